/**
 * Each printed step equals what the screen shows at that click once its animations are over.
 *
 * The step-by-step components animate pushes and pops on screen (Vue <TransitionGroup>,
 * switched off in print mode) and take their state from the click index alone. Here every
 * slide holding one is walked on the dev server with the arrow keys, waiting at each click
 * until no element is mid-transition, and compared with the page `steps.pdf` is printed
 * from: Slidev's `/print?print=clicks` (each click of each slide mounted fresh at its
 * click), in the export's own build (scripts/export/server.ts: the dev server has no
 * print page). Compared: each component's visible text, its frame lists (`data-function`,
 * folded runs' `data-functions`) and its step attributes; not pixels.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { DEV_PORT } from '../../playwright.config'
import { buildDeck, serveStatic, type StaticServer } from '../../scripts/export/server'
import { loadDeck, ROOT, type DeckSlide } from '../support/deck'
import { position } from '../support/slides'

test.describe.configure({ mode: 'serial' })

const COMPONENTS = join(ROOT, 'packages/slidev-addon-async-stacks/components')

/** The root element of each component that steps with clicks, by its file. */
const STEPPING: Record<string, string> = {
  'StackTimeline.vue': '.stack-timeline',
  'TracebackWalk.vue': '.traceback-walk',
  'TraceCompare.vue': '.trace-compare',
  'TraceVersions.vue': '.trace-versions',
  'StackOverTimeCompare.vue': '.stack-over-time-compare',
}
/** Steps with clicks too, but what it shows on screen is a live run, not the recording print mode shows. */
const NOT_COMPARED = ['LiveRun.vue']
const SELECTOR = Object.values(STEPPING).join(', ')

/** What one component shows: the state compared between screen and print. */
interface Shown {
  component: string
  /** `data-step`, `data-shown` … of the component's root. */
  state: Record<string, string>
  /** Visible text, whitespace collapsed. */
  text: string
  /** Each visible frame's `data-function` (or a folded run's `data-functions`), in page order. */
  frames: string[]
}

/** Every stepping component under `rootSelector`, as it is drawn now. */
function readShown(page: Page, rootSelector: string): Promise<Shown[]> {
  return page.evaluate(({ rootSelector, selector }) => {
    const root = document.querySelector(rootSelector)
    if (!root)
      throw new Error(`${rootSelector} is not on the page`)
    const visible = (el: Element, stop: Element) => {
      for (let e: Element | null = el; e && e !== stop.parentElement; e = e.parentElement) {
        const style = getComputedStyle(e)
        if (style.display === 'none' || Number(style.opacity) === 0 || e.classList.contains('slidev-vclick-hidden'))
          return false
      }
      return getComputedStyle(el).visibility === 'visible'
    }
    return [...root.querySelectorAll(selector)].map((component) => {
      const texts: string[] = []
      const walker = document.createTreeWalker(component, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement && visible(node.parentElement, component))
          texts.push(node.textContent ?? '')
      }
      const state: Record<string, string> = {}
      for (const name of component.getAttributeNames().filter(n => n.startsWith('data-') && !n.startsWith('data-v-')))
        state[name] = component.getAttribute(name)!
      return {
        component: component.classList[0]!,
        state,
        text: texts.join(' ').replace(/\s+/g, ' ').trim(),
        frames: [...component.querySelectorAll('[data-function], [data-functions]')]
          .filter(el => visible(el, component))
          .map(el => el.getAttribute('data-function') ?? el.getAttribute('data-functions')!),
      }
    })
  }, { rootSelector, selector: SELECTOR })
}

/** Until no element is in a Vue enter or leave transition (and two frames more, for the styles). */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('[class*="-enter-active"], [class*="-leave-active"], [class*="-move"]'), undefined, { timeout: 15_000 })
  await page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))))
}

let slides: DeckSlide[] = []
let dist = ''
let server: StaticServer | undefined
/** Print page containers' ids (`007-03`: slide 7 after 2 clicks), in page order. */
let printIds: string[] = []
let printPage: Page

test.beforeAll(async ({ browser }) => {
  test.setTimeout(600_000)
  slides = await loadDeck()
  dist = mkdtempSync(join(tmpdir(), 'print-matches-screen-'))
  const build = buildDeck(join(ROOT, 'slides.md'), ROOT, dist, 540_000)
  await build.done
  server = await serveStatic(dist, 0)
  printPage = await browser.newPage()
  await printPage.goto(`http://localhost:${server.port}/print?print=clicks`)
  // Settled as the export waits: every slide mounted, nothing loading, the page count steady.
  let last = -1
  for (let stable = 0; stable < 3; await printPage.waitForTimeout(200)) {
    const state = await printPage.evaluate(() => ({
      ids: [...document.querySelectorAll('.print-slide-container')].map(el => el.id),
      loading: document.querySelectorAll('.slidev-slide-loading').length,
    }))
    const mounted = new Set(state.ids.map(id => id.split('-')[0])).size
    stable = mounted === slides.length && !state.loading && state.ids.length === last ? stable + 1 : 0
    last = state.ids.length
    printIds = state.ids
  }
  await printPage.evaluate(() => document.fonts.ready.then(() => undefined))
})

test.afterAll(async () => {
  await printPage?.close()
  await server?.stop()
  if (dist)
    rmSync(dist, { recursive: true, force: true })
})

test('every component that steps with clicks is compared here', () => {
  const stepping = readdirSync(COMPONENTS)
    .filter(file => file.endsWith('.vue') && /\buseStepClicks\(/.test(readFileSync(join(COMPONENTS, file), 'utf8')))
  expect(stepping.filter(file => !(file in STEPPING) && !NOT_COMPARED.includes(file))).toEqual([])
})

test('each click of each stepping slide prints as the screen shows it, transitions over', async ({ page }) => {
  test.setTimeout(900_000)
  const printedSlides = await printPage.evaluate(selector =>
    [...document.querySelectorAll('.print-slide-container')]
      .filter(el => el.querySelector(selector))
      .map(el => Number(el.id.split('-')[0])), SELECTOR)
  const stepping = slides.filter(slide => printedSlides.includes(slide.no))
  // The deck's stepping slides: StackTimeline, TracebackWalk, TraceCompare, TraceVersions, StackOverTimeCompare.
  expect(stepping.length, 'slides with a stepping component').toBeGreaterThanOrEqual(10)

  let compared = 0
  const mismatches: string[] = []
  for (const slide of stepping) {
    await page.goto(`http://localhost:${DEV_PORT}/${slide.no}`)
    await page.locator(`.slidev-page-${slide.no} :is(${SELECTOR})`).first().waitFor()
    await settle(page)
    const { total } = await position(page)
    const printed = printIds.filter(id => Number(id.split('-')[0]) === slide.no)
    expect(printed.length, `slide ${slide.no} "${slide.title}": printed steps = clicks on screen + 1`).toBe(total + 1)
    for (let click = 0; ; click++) {
      expect((await position(page)).clicks, `slide ${slide.no}: at click ${click}`).toBe(click)
      const screen = await readShown(page, `.slidev-page-${slide.no}`)
      const print = await readShown(printPage, `[id="${String(slide.no).padStart(3, '0')}-${String(click + 1).padStart(2, '0')}"]`)
      expect(screen.length, `slide ${slide.no} click ${click}: components on screen`).toBeGreaterThan(0)
      try {
        expect(print).toEqual(screen)
      }
      catch (error) {
        mismatches.push(`slide ${slide.no} "${slide.title}", click ${click}/${total}:\n${(error as Error).message}`)
      }
      compared++
      if (click === total)
        break
      await page.keyboard.press('ArrowRight')
      await expect.poll(async () => (await position(page)).clicks).toBe(click + 1)
      await settle(page)
    }
  }
  expect(mismatches, `${mismatches.length} of ${compared} steps differ`).toEqual([])
  console.log(`print matches screen: ${compared} steps on ${stepping.length} slides`)
})
