/**
 * Readable from the back of the room: every slide, at its first and its last click, on the
 * dev server. Fails on any text cut off (ellipsised, clipped by its box, or beyond the
 * slide), any text under 14 px at the deck's design size, and any axe-core
 * `color-contrast` violation (WCAG AA). Screenshots of every slide at both clicks go to
 * `slide-shots/` (git-ignored), to look at.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'
import { DEV_PORT } from '../../playwright.config'
import { loadDeck, ROOT } from '../support/deck'
import { position } from '../support/slides'

const SHOTS = join(ROOT, 'slide-shots')
/** Smallest text the audience reads, in CSS px at the deck's design size (Slidev's 980 px canvas). */
const MIN_FONT_PX = 14

/** Text elements of the slide that are cut off or too small; and the smallest text size seen. */
function textProblems(page: Page, no: number, minPx: number) {
  return page.evaluate(({ no, minPx }) => {
    const slide = document.querySelector(`.slidev-page-${no}`)
    if (!slide)
      return { problems: [{ kind: 'clipped' as const, what: `slide ${no}`, detail: 'not rendered' }], minFont: 0 }
    const box = slide.getBoundingClientRect()
    const problems: { kind: 'clipped' | 'small', what: string, detail: string }[] = []
    let minFont = Infinity
    const describe = (el: Element) => {
      const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).slice(0, 3).join('.')}` : ''
      return `${el.tagName.toLowerCase()}${cls} "${(el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 50)}"`
    }
    const hidden = (el: Element) => {
      for (let e: Element | null = el; e && e !== slide; e = e.parentElement) {
        const s = getComputedStyle(e)
        if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0 || e.classList.contains('slidev-vclick-hidden'))
          return true
      }
      return false
    }
    const ownText = (el: Element) => [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '')
    for (const el of slide.querySelectorAll('*')) {
      if (el instanceof SVGElement && !(el instanceof SVGTextElement))
        continue
      const text = (el.textContent ?? '').trim()
      if (!text || hidden(el))
        continue
      const style = getComputedStyle(el)
      // Too small: any text the element itself holds.
      if (ownText(el)) {
        const px = Number.parseFloat(style.fontSize)
        minFont = Math.min(minFont, px)
        if (px < minPx - 0.01)
          problems.push({ kind: 'small', what: describe(el), detail: `${px.toFixed(1)} px` })
        // Beyond the slide.
        const r = el.getBoundingClientRect()
        if (r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1))
          problems.push({ kind: 'clipped', what: describe(el), detail: 'beyond the slide' })
      }
      // Cut: an element whose content is wider or taller than the box that hides the rest.
      const clipsX = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis'
      const clipsY = style.overflowY !== 'visible'
      if (clipsX && el.scrollWidth > el.clientWidth + 1)
        problems.push({ kind: 'clipped', what: describe(el), detail: `${el.scrollWidth} px of content in ${el.clientWidth} px${style.textOverflow === 'ellipsis' ? ' (ellipsis)' : ''}` })
      else if (clipsY && el.scrollHeight > el.clientHeight + 1)
        problems.push({ kind: 'clipped', what: describe(el), detail: `${el.scrollHeight} px of content in ${el.clientHeight} px high` })
    }
    return { problems, minFont }
  }, { no, minPx })
}

test('every slide at its first and last click: nothing cut, nothing under 14 px, AA contrast', async ({ page }) => {
  test.setTimeout(600_000)
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  const slides = await loadDeck()
  const clipped: string[] = []
  const small: string[] = []
  const contrast: string[] = []
  let minFont = Infinity
  const slidesWith = { clipped: new Set<number>(), small: new Set<number>(), contrast: new Set<number>() }

  for (const slide of slides) {
    await page.goto(`http://localhost:${DEV_PORT}/${slide.no}`)
    await expect(page.locator(`.slidev-page-${slide.no}`)).toBeVisible()
    await expect(page.locator(`.slidev-page-${slide.no} .slidev-slide-loading`)).toHaveCount(0)
    await page.waitForLoadState('networkidle')
    // Components register their clicks as they mount: read until the count holds.
    let { total } = await position(page)
    for (let previous = -1; previous !== total;) {
      previous = total
      await page.waitForTimeout(300)
      total = (await position(page)).total
    }
    for (const click of [...new Set([0, total])]) {
      if (click > 0) {
        await page.goto(`http://localhost:${DEV_PORT}/${slide.no}?clicks=${click}`)
        await expect(page.locator(`.slidev-page-${slide.no}`)).toBeVisible()
        await page.waitForLoadState('networkidle')
      }
      await page.evaluate(() => document.fonts.ready)
      // Transitions (pushes and pops) end before anything is measured.
      await page.waitForTimeout(450)
      const where = `slide ${slide.no} "${slide.title}" click ${click}`
      await page.locator(`.slidev-page-${slide.no}`).screenshot({ path: join(SHOTS, `${String(slide.no).padStart(2, '0')}-click${click}.png`) })

      const text = await textProblems(page, slide.no, MIN_FONT_PX)
      minFont = Math.min(minFont, text.minFont)
      for (const p of text.problems) {
        ;(p.kind === 'clipped' ? clipped : small).push(`${where}: ${p.what} — ${p.detail}`)
        slidesWith[p.kind === 'clipped' ? 'clipped' : 'small'].add(slide.no)
      }
      const axe = await new AxeBuilder({ page }).include(`.slidev-page-${slide.no}`).withRules(['color-contrast']).analyze()
      for (const violation of axe.violations) {
        for (const node of violation.nodes) {
          contrast.push(`${where}: ${node.target.join(' ')} — ${node.any.map(a => a.message).join('; ')}`)
          slidesWith.contrast.add(slide.no)
        }
      }
    }
  }

  console.log(`design walk: ${slides.length} slides · clipped ${clipped.length} on ${slidesWith.clipped.size} slides · `
    + `under ${MIN_FONT_PX} px ${small.length} on ${slidesWith.small.size} slides (smallest ${minFont} px) · `
    + `contrast ${contrast.length} on ${slidesWith.contrast.size} slides`)
  writeFileSync(join(SHOTS, 'report.json'), `${JSON.stringify({ minFont, clipped, small, contrast }, null, 2)}\n`)
  expect(clipped, 'text cut off').toEqual([])
  expect(small, `text under ${MIN_FONT_PX} px`).toEqual([])
  expect(contrast, 'color-contrast (axe-core, WCAG AA)').toEqual([])
  expect(minFont).toBeGreaterThanOrEqual(MIN_FONT_PX)
})

test('content slides carry their section\'s colour: a band in the flavour of the last section slide before them', async ({ page }) => {
  test.setTimeout(300_000)
  const slides = await loadDeck()
  let section: string | null = null
  const seen = new Set<string>()
  for (const slide of slides) {
    if (slide.layout === 'section')
      section = /\bflavor-(\w+)/.exec(slide.class)?.[1] ?? null
    const expected = ['cover', 'section', 'end'].includes(slide.layout) ? null : section
    await page.goto(`http://localhost:${DEV_PORT}/${slide.no}`)
    await page.locator(`.slidev-page-${slide.no}`).waitFor()
    const band = page.locator(`.slidev-page-${slide.no} .deck-section-band`)
    if (expected === null) {
      await expect(band, `slide ${slide.no} "${slide.title}": no band`).toHaveCount(0)
      continue
    }
    await expect(band, `slide ${slide.no} "${slide.title}": the ${expected} band`).toHaveAttribute('data-flavor', expected)
    const box = await band.boundingBox()
    expect(box && box.width >= 4 && box.height > 600, `slide ${slide.no}: the band runs down the left edge`).toBe(true)
    seen.add(expected)
  }
  expect([...seen].sort(), 'every flavour has content slides').toEqual(['asyncio', 'js', 'mixed', 'rust', 'sync'])
})
