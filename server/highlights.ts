/**
 * `virtual:demo-highlights`: every demo's source, highlighted by shiki on the server with
 * the deck's own themes, as token lines. The components render these spans, so the page
 * ships no grammar and the PDF shows the same colours as the deck's code blocks.
 */
import type { Plugin } from 'vite'
import { virtualJsonModule } from './virtual-module'
import { codeToTokens, type BundledLanguage } from 'shiki'
import { DEMOS_DIR, listDemos } from '../engine/demos'
import { runtimeOf } from '../engine/runtimes'
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
export async function highlightDemos(warn: (message: string) => void = message => console.warn(`[demo-highlights] ${message} (skipped)`)): Promise<DemoHighlights> {
  const result: DemoHighlights = {}
  for (const demo of listDemos(DEMOS_DIR, { onProblem: problem => warn(problem.message) })) {
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

export function demoHighlights(): Plugin {
  return virtualJsonModule('demo-highlights', DEMOS_DIR, () => highlightDemos())
}
