/**
 * The deck cut into sentences, the unit the claim list classifies: every sentence of a
 * slide (headings, bullets, paragraphs, table rows; not HTML or components) and of its
 * speaker notes (`[click]` markers taken out), whitespace collapsed, markup kept verbatim.
 */
import { loadDeck } from '../support/deck'

export interface DeckSentence {
  /** The slide's title as Slidev gives it (markup taken out). */
  slide: string
  where: 'slide' | 'note'
  sentence: string
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim()

/** Sentences of one run of text: a break after `.`, `!` or `?` (and a closing quote, `*` or `)`) and a space. */
export function splitSentences(text: string): string[] {
  return collapse(text).split(/(?<=[.!?]["*)]?)\s+/).map(s => s.trim()).filter(Boolean)
}

/** The runs of text of a slide's markdown: one per heading, bullet, paragraph or table row. */
function slideUnits(content: string): string[] {
  const units: string[] = []
  let current: string[] = []
  const flush = () => {
    if (current.length)
      units.push(current.join(' '))
    current = []
  }
  for (const raw of content.split('\n')) {
    const line = raw.trimEnd()
    const trimmed = line.trim()
    if (!trimmed || trimmed.startsWith('<') || /^\|[\s|:-]+\|$/.test(trimmed)) {
      flush()
      continue
    }
    if (/^#+\s/.test(trimmed) || /^[-*]\s/.test(trimmed) || trimmed.startsWith('|')) {
      flush()
      current.push(trimmed.replace(/^#+\s+|^[-*]\s+/, ''))
      if (!/^[-*]\s/.test(trimmed))
        flush()
      continue
    }
    current.push(trimmed)
  }
  flush()
  return units
}

/** The runs of text of a slide's notes: paragraphs, cut again at every `[click]`. */
function noteUnits(note: string): string[] {
  return note.split(/\n\s*\n/).flatMap(paragraph => paragraph.split(/\[click\]/)).map(collapse).filter(Boolean)
}

export async function deckSentences(): Promise<DeckSentence[]> {
  const out: DeckSentence[] = []
  for (const slide of await loadDeck()) {
    for (const unit of slideUnits(slide.content))
      for (const sentence of splitSentences(unit)) out.push({ slide: slide.title, where: 'slide', sentence })
    for (const unit of noteUnits(slide.note))
      for (const sentence of splitSentences(unit)) out.push({ slide: slide.title, where: 'note', sentence })
  }
  return out
}
