/**
 * What an export needs to know about the deck before a browser opens: its slides (title,
 * speaker notes) as Slidev itself parses them, the page size, and the demos with their
 * committed recordings (the cover's runtime versions and the handout's appendix).
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { load, parseAspectRatio } from '@slidev/parser/fs'
import { listDemos } from 'async-stacks-engine/demos'
import { defaultEntry, recordedDemos } from 'async-stacks-engine/recording-lookup'
import { isLink, manifestRecordingPath, readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'
import { DeckInputError, ExportError } from './errors'

export interface DeckSlide {
  /** 1-based, as in the deck's URL and on the print page. */
  no: number
  /** The slide's title as written (may hold Markdown such as `code`). */
  title: string
  /** The title as plain text, for outlines and headings. */
  plainTitle: string
  /** Speaker notes, raw Markdown ('' when there are none). */
  note: string
}

export interface DeckDemo {
  name: string
  /** Repo-relative: `demos/sync.py`. */
  file: string
  source: string
  /** The committed default recording, or null when the demo has none yet. */
  recording: Recording | null
}

export interface Deck {
  entry: string
  root: string
  title: string
  info: string
  author: string
  slides: DeckSlide[]
  /**
   * Slide canvas in CSS px. The height is exact (980 / (16/9) = 551.25), not rounded as
   * `slidev export` rounds it: a page 0.25 px shorter than its slide lets the slide's
   * bottom edge spill onto the next page, where its clipped text then shows up in a
   * search (and only in some runs).
   */
  width: number
  height: number
  dark: boolean
  demos: DeckDemo[]
  /** Problems with recordings that do not stop the export (shown as warnings). */
  warnings: string[]
}

/** `Rust's backtrace: \`{{closure}}\` frames` → `Rust's backtrace: {{closure}} frames`. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, '$1$2')
    .replace(/(^|\W)\*([^*]+)\*(?=\W|$)/g, '$1$2')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Each demo's default recording from `recordings/manifest.json` (the first one listed when
 * none is marked default); none yet is fine. Read by the engine's one reader: a manifest
 * that is not valid, or names a file outside recordings/, stops the export.
 */
function readRecordings(root: string, warnings: string[]): Map<string, Recording> {
  const found = new Map<string, Recording>()
  const dir = join(root, 'recordings')
  const manifest = readManifest(dir)
  for (const demo of recordedDemos(manifest)) {
    const entry = defaultEntry(manifest, demo)!
    const path = manifestRecordingPath(entry, dir)
    if (!existsSync(path) && !isLink(path)) {
      warnings.push(`${entry.file} is in recordings/manifest.json but not on disk (run \`npm run record -- ${entry.demo}\`)`)
      continue
    }
    found.set(entry.demo, readManifestRecording(entry, dir))
  }
  return found
}

/**
 * The demos, listed as everyone lists them (engine/demos.ts): a symbolic link or a stray
 * file in demos/ stops the export, naming it, before anything is read or rendered.
 */
function readDemos(root: string, warnings: string[]): DeckDemo[] {
  const dir = join(root, 'demos')
  if (!existsSync(dir) && !isLink(dir))
    return []
  try {
    const demos = listDemos(dir)
    const recordings = readRecordings(root, warnings)
    return demos.map(demo => ({ name: demo.name, file: demo.file, source: demo.source, recording: recordings.get(demo.name) ?? null }))
  }
  catch (error) {
    throw new DeckInputError((error as Error).message)
  }
}

export async function loadDeck(entry: string): Promise<Deck> {
  if (!existsSync(entry) || !statSync(entry).isFile())
    throw new ExportError(`no deck at ${entry}`)
  const root = dirname(entry)
  // The demos and recordings first: a refused file stops the export before anything else.
  const warnings: string[] = []
  const demos = readDemos(root, warnings)
  const data = await load({ roots: [root], userRoot: root }, entry)
  const headmatter = data.headmatter as Record<string, unknown>
  const slides = data.slides.map((slide, i) => {
    const title = (slide.title ?? '').trim()
    return { no: i + 1, title, plainTitle: plainText(title) || `Slide ${i + 1}`, note: (slide.note ?? '').trim() }
  })
  if (!slides.length)
    throw new ExportError(`${entry} has no slides`)
  const width = Number(headmatter.canvasWidth ?? 980)
  const aspect = headmatter.aspectRatio === undefined ? 16 / 9 : parseAspectRatio(headmatter.aspectRatio as string | number)
  return {
    entry,
    root,
    title: String(headmatter.title ?? slides[0]!.plainTitle),
    info: typeof headmatter.info === 'string' ? headmatter.info.trim() : '',
    author: typeof headmatter.author === 'string' ? headmatter.author : '',
    slides,
    width,
    height: width / aspect,
    dark: headmatter.colorSchema === 'dark',
    demos,
    warnings,
  }
}
