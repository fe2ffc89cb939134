import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { DEV_PORT } from '../../playwright.config'
import { isLocalUrl, loadDeck, ROOT } from '../support/deck'
import { overflowOf, position } from '../support/slides'

const SHOTS = join(ROOT, 'test-results/slides')

test('the whole talk, walked with the arrow keys: no console error, no overflow, no external request', async ({ page }) => {
  test.setTimeout(300_000)
  mkdirSync(SHOTS, { recursive: true })
  const slides = await loadDeck()
  const errors: string[] = []
  const external: string[] = []
  page.on('console', msg => msg.type() === 'error' && errors.push(`${page.url()}: ${msg.text()}`))
  page.on('pageerror', error => errors.push(`${page.url()}: ${error.message}`))
  page.on('request', request => !isLocalUrl(request.url()) && external.push(request.url()))

  await page.goto(`http://localhost:${DEV_PORT}/1`)
  await expect(page.locator('.slidev-page-1')).toBeVisible()
  const overflowing: string[] = []
  const clicksOf = new Map<number, number>()
  const seen = new Set<number>()
  let last = ''
  for (let presses = 0; presses < 1000; presses++) {
    let at = await position(page)
    if (!seen.has(at.no)) {
      // A slide's components register their clicks when they mount: let it settle first.
      await expect(page.locator(`.slidev-page-${at.no}`)).toBeVisible()
      await expect(page.locator(`.slidev-page-${at.no} .slidev-slide-loading`)).toHaveCount(0)
      await page.waitForLoadState('networkidle')
      // Settled when the click count reads the same twice, 400 ms apart.
      for (let previous = -1; previous !== at.total;) {
        previous = at.total
        await page.waitForTimeout(400)
        at = await position(page)
      }
    }
    const key = `${at.no}/${at.clicks}`
    if (key === last)
      break
    last = key
    clicksOf.set(at.no, at.total)
    seen.add(at.no)
    // Every click state must fit, not only the first.
    const problems = await overflowOf(page, at.no)
    if (problems.length)
      overflowing.push(`slide ${at.no} click ${at.clicks}: ${problems.join('; ')}`)
    if (at.clicks === at.total)
      await page.locator(`.slidev-page-${at.no}`).screenshot({ path: join(SHOTS, `${String(at.no).padStart(2, '0')}.png`) })
    await page.keyboard.press('ArrowRight')
    await page.waitForTimeout(60)
  }

  expect([...seen].sort((a, b) => a - b)).toEqual(slides.map(s => s.no))
  expect(errors, 'console errors').toEqual([])
  expect(external, 'requests beyond localhost').toEqual([])
  expect(overflowing, 'overflowing slides').toEqual([])

  // Presenter mode carries the talk: every slide has notes, with one [click] per click.
  const notes = slides.map((slide) => {
    const markers = slide.note.match(/\[click(:\d+)?\]/g) ?? []
    const last = markers.at(-1)?.match(/\d+/)
    return { no: slide.no, title: slide.title, clicks: clicksOf.get(slide.no), marked: last ? Number(last[0]) : markers.length, hasNote: slide.note.length > 0 }
  })
  expect(notes.filter(n => !n.hasNote).map(n => n.title), 'slides without speaker notes').toEqual([])
  expect(notes.filter(n => n.clicks !== n.marked).map(n => `slide ${n.no} "${n.title}": ${n.clicks} clicks, ${n.marked} [click] markers`), 'notes out of step with the clicks').toEqual([])
})
