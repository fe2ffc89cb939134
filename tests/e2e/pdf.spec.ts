import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { loadDeck, ROOT } from '../support/deck'
import { pdfFonts, readPdf } from '../support/pdf'

test('npm run export: one page per slide, every title in the text, fonts embedded', async () => {
  test.setTimeout(240_000)
  execFileSync('npm', ['run', 'export'], { cwd: ROOT, stdio: 'pipe' })
  const pdf = join(ROOT, 'exports/slides.pdf')
  const slides = await loadDeck()
  const { pages } = await readPdf(pdf)

  expect(pages).toHaveLength(slides.length)
  const normalize = (text: string) => text.replace(/\s+/g, ' ')
  for (const slide of slides)
    expect(normalize(pages[slide.no - 1]!), `slide ${slide.no}`).toContain(normalize(slide.title))

  const fonts = await pdfFonts(pdf)
  expect(fonts.length).toBeGreaterThan(0)
  expect(fonts.filter(font => !font.embedded), 'fonts not embedded').toEqual([])
})
