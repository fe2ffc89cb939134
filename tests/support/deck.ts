/** The deck as Slidev itself parses it: slide count, titles and speaker notes for tests. */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { load } from '@slidev/parser/fs'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface DeckSlide {
  /** 1-based, as in the deck's URL. */
  no: number
  title: string
  note: string
  /** The slide's markdown, without its frontmatter and notes. */
  content: string
  /** Its frontmatter's `layout` and `class` ('' when not set). */
  layout: string
  class: string
}

export async function loadDeck(): Promise<DeckSlide[]> {
  const data = await load({ roots: [ROOT], userRoot: ROOT }, join(ROOT, 'slides.md'))
  return data.slides
    .filter(slide => !slide.frontmatter.disabled && !slide.frontmatter.hide)
    .map((slide, i) => ({ no: i + 1, title: plainText(slide.title ?? ''), note: (slide.note ?? '').trim(), content: slide.content ?? '', layout: String(slide.frontmatter.layout ?? ''), class: String(slide.frontmatter.class ?? '') }))
}

/** A markdown title as the slide shows it: `asyncio.run` → asyncio.run. */
function plainText(markdown: string): string {
  return markdown.replace(/`|\*\*/g, '').trim()
}

/** Hosts a page of the deck may talk to: only this machine. */
export function isLocalUrl(url: string): boolean {
  if (/^(data|blob|about):/.test(url))
    return true
  const { hostname } = new URL(url)
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]'
}
