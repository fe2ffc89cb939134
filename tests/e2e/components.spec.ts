/**
 * The step-by-step components in the real deck, in Chromium: stepping with the arrow keys
 * shows exactly the recorded steps, and no component slide is blank or overflowing.
 */
import { expect, test } from '@playwright/test'
import { selectSteps } from 'slidev-addon-async-stacks/composables/frames'
import { findEntry } from 'async-stacks-engine/recording-lookup'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { DEV_PORT } from '../../playwright.config'
import { loadDeck } from '../support/deck'
import { inkRatio, overflowOf, position } from '../support/slides'
import { expectTimelineWalk } from '../support/timeline'

function defaultRecording(demo: string) {
  return readManifestRecording(findEntry(readManifest(), demo))
}

for (const demo of ['async_loop', 'async']) {
  test(`StackTimeline ${demo}: the arrow keys walk the recorded key moments, line and both stacks at each`, async ({ page }) => {
    const slide = (await loadDeck()).find(s => s.content.includes(`<StackTimeline demo="${demo}" />`))
    expect(slide, `a slide with <StackTimeline demo="${demo}" />`).toBeTruthy()
    const recording = defaultRecording(demo)
    const steps = selectSteps(recording.steps, 'key')

    await page.goto(`http://localhost:${DEV_PORT}/${slide!.no}`)
    const root = page.locator(`.slidev-page-${slide!.no} .stack-timeline`)
    await expect(root).toBeVisible()
    await expect.poll(async () => (await position(page)).total).toBe(steps.length - 1)

    await expectTimelineWalk(page, root, recording, steps)
    // Back with the usual key: the previous step again.
    await page.goto(`http://localhost:${DEV_PORT}/${slide!.no}?clicks=2`)
    await expect(root).toHaveAttribute('data-step', '2')
    await page.keyboard.press('ArrowLeft')
    await expect(root).toHaveAttribute('data-step', '1')
    await expect(root).toHaveAttribute('data-kind', steps[1]!.kind)
  })
}

test('every component slide, at its first and last click, is drawn (not blank) and fits the slide', async ({ page }) => {
  test.setTimeout(240_000)
  const components = /<(TracebackWalk|StackTimeline|TraceCompare|TraceVersions|StackOverTimeCompare|LiveRun|CodePane)\b/
  const slides = (await loadDeck()).filter(s => components.test(s.content))
  expect(slides.length).toBeGreaterThan(10)
  const problems: string[] = []
  for (const slide of slides) {
    await page.goto(`http://localhost:${DEV_PORT}/${slide.no}`)
    await expect(page.locator(`.slidev-page-${slide.no} .slidev-slide-loading`)).toHaveCount(0)
    await page.waitForLoadState('networkidle')
    const { total } = await position(page)
    for (const click of [0, total]) {
      await page.goto(`http://localhost:${DEV_PORT}/${slide.no}?clicks=${click}`)
      await page.waitForLoadState('networkidle')
      const selector = `.slidev-page-${slide.no} :is(.traceback-walk, .stack-timeline, .trace-compare, .trace-versions, .stack-over-time, .live-run, .code-pane)`
      await expect(page.locator(selector).first()).toBeVisible()
      const ink = await inkRatio(page, selector)
      if (ink < 0.02)
        problems.push(`slide ${slide.no} "${slide.title}" click ${click}: blank (${(ink * 100).toFixed(1)}% ink)`)
      const overflow = await overflowOf(page, slide.no)
      if (overflow.length)
        problems.push(`slide ${slide.no} click ${click}: ${overflow.join('; ')}`)
    }
  }
  expect(problems).toEqual([])
})
