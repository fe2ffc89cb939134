/**
 * `virtual:demo-highlights`: every demo's source, highlighted by shiki on the server with
 * the deck's own themes, as token lines. The components render these spans, so the page
 * ships no grammar and the PDF shows the same colours as the deck's code blocks.
 */
import type { Plugin } from 'vite'
import { virtualJsonModule } from './virtual-module'
import { codeToTokens, type BundledLanguage } from 'shiki'
import { listDemos } from 'async-stacks-engine/demos'
import { runtimeOf } from 'async-stacks-engine/runtimes'
import { SHIKI_THEMES } from '../setup/shiki-themes'

export interface HighlightedToken {
  content: string
  /** `--shiki-light` / `--shiki-dark` colours (and font styles), as inline CSS. */
  style: string
}

export type DemoHighlights = Record<string, HighlightedToken[][]>

/**
 * Demos are listed as everyone lists them (engine/demos.ts); an entry that is not a demo (a
 * symbolic link, a stray file) is left out with a warning, so the deck still builds and
 * shows the others.
 */
export async function highlightDemos(demosDir: string, warn: (message: string) => void = message => console.warn(`[demo-highlights] ${message} (skipped)`)): Promise<DemoHighlights> {
  const result: DemoHighlights = {}
  for (const demo of listDemos(demosDir, { onProblem: problem => warn(problem.message) })) {
    const { tokens } = await codeToTokens(demo.source.replace(/\n$/, ''), {
      lang: (runtimeOf(demo.language)?.shiki ?? 'text') as BundledLanguage,
      themes: SHIKI_THEMES,
      defaultColor: false,
    })
    result[demo.name] = tokens.map(line => line.map(token => ({
      content: token.content,
      style: Object.entries(token.htmlStyle ?? {}).map(([key, value]) => `${key}:${value}`).join(';'),
    })))
  }
  return result
}

/** The deck's demos folder (its `demos/`: engine/config.ts), highlighted. */
export function demoHighlights(demosDir: string): Plugin {
  return virtualJsonModule('demo-highlights', demosDir, () => highlightDemos(demosDir))
}
