/** pdf-lib helpers for the export: outline (bookmarks), metadata, Chromium's named destinations. */
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRef, type PDFPage } from 'pdf-lib'

export interface OutlineItem {
  title: string
  /** 0-based page index. */
  page: number
  children?: OutlineItem[]
}

/** Replace the document outline with `items` (nested items start open). */
export function setOutline(doc: PDFDocument, items: OutlineItem[]): void {
  if (!items.length)
    return
  const { context } = doc
  const pages = doc.getPages()
  const rootRef = context.nextRef()

  const addLevel = (level: OutlineItem[], parent: PDFRef): { first: PDFRef, last: PDFRef, count: number } => {
    const refs = level.map(() => context.nextRef())
    let count = level.length
    level.forEach((item, i) => {
      const page: PDFPage = pages[Math.min(Math.max(item.page, 0), pages.length - 1)]!
      const dict = context.obj({
        Title: PDFHexString.fromText(item.title),
        Parent: parent,
        Dest: [page.ref, 'XYZ', null, null, null],
      })
      if (i > 0)
        dict.set(PDFName.of('Prev'), refs[i - 1]!)
      if (i < refs.length - 1)
        dict.set(PDFName.of('Next'), refs[i + 1]!)
      if (item.children?.length) {
        const sub = addLevel(item.children, refs[i]!)
        dict.set(PDFName.of('First'), sub.first)
        dict.set(PDFName.of('Last'), sub.last)
        dict.set(PDFName.of('Count'), context.obj(sub.count))
        count += sub.count
      }
      context.assign(refs[i]!, dict)
    })
    return { first: refs[0]!, last: refs.at(-1)!, count }
  }

  const top = addLevel(items, rootRef)
  context.assign(rootRef, context.obj({ Type: 'Outlines', First: top.first, Last: top.last, Count: top.count }))
  doc.catalog.set(PDFName.of('Outlines'), rootRef)
  doc.catalog.set(PDFName.of('PageMode'), PDFName.of('UseOutlines'))
}

export interface Metadata {
  title: string
  subject?: string
  author?: string
  /** The export's date: the same all day, so two exports in a row are identical. */
  date: Date
}

export function setMetadata(doc: PDFDocument, meta: Metadata): void {
  doc.setTitle(meta.title, { showInWindowTitleBar: true })
  if (meta.subject)
    doc.setSubject(meta.subject)
  if (meta.author)
    doc.setAuthor(meta.author)
  doc.setCreator('Slidev (scripts/export.ts)')
  doc.setProducer('Chromium + pdf-lib')
  doc.setCreationDate(meta.date)
  doc.setModificationDate(meta.date)
}

/**
 * Chromium writes a named destination for every element a link points to
 * (`<a href="#slide-3">` → `/slide-3`): its page, exactly as laid out. Returns name → page index.
 */
export function namedDestinations(doc: PDFDocument): Map<string, number> {
  const result = new Map<string, number>()
  const dests = doc.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict)
  if (!dests)
    return result
  const pageIndex = new Map(doc.getPages().map((page, i) => [page.ref.toString(), i]))
  for (const [name, value] of dests.entries()) {
    const dest = doc.context.lookup(value)
    const array = dest instanceof PDFDict ? dest.lookupMaybe(PDFName.of('D'), PDFArray) : dest
    if (!(array instanceof PDFArray))
      continue
    const target = array.get(0)
    const index = target instanceof PDFRef ? pageIndex.get(target.toString()) : undefined
    if (index !== undefined)
      result.set(name.decodeText(), index)
  }
  return result
}
