/**
 * The stack-over-time picture, checked against the recordings themselves: every frame of
 * every step's thread stack is inside a bar of its function at its depth, and each bar is
 * drawn where its times fall on the picture's own axis, within a pixel.
 */
import { expect, test } from '@playwright/test'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { DEV_PORT } from '../../playwright.config'
import { loadDeck } from '../support/deck'

const SEEDS = ['sync', 'async_loop', 'async', 'rust_async']

function defaultRecording(demo: string) {
  const entry = readManifest().find(e => e.demo === demo && e.default)
  if (!entry)
    throw new Error(`no recording of ${demo}`)
  return readManifestRecording(entry)
}

test('stack over time: the bars are the recorded frames, at their recorded times (±1 px)', async ({ page }) => {
  const slide = (await loadDeck()).find(s => s.content.includes('<StackOverTimeCompare'))
  expect(slide, 'a slide with the stacks over time').toBeTruthy()
  await page.goto(`http://localhost:${DEV_PORT}/${slide!.no}?clicks=${SEEDS.length - 1}`)
  for (const demo of SEEDS) {
    const recording = defaultRecording(demo)
    const figure = page.locator(`.slidev-page-${slide!.no} .stack-over-time[data-demo="${demo}"]`)
    await expect(figure).toBeVisible()
    const drawn = await figure.evaluate((el) => {
      const axis = el.querySelector('.axis line')!
      const bars = [...el.querySelectorAll('.physical .bar')].map((g) => {
        const r = g.querySelector('rect')!
        return {
          function: g.getAttribute('data-function')!,
          depth: Number(g.getAttribute('data-depth')),
          startMs: Number(g.getAttribute('data-start-ms')),
          endMs: Number(g.getAttribute('data-end-ms')),
          x: Number(r.getAttribute('x')),
          width: Number(r.getAttribute('width')),
        }
      })
      return { x1: Number(axis.getAttribute('x1')), x2: Number(axis.getAttribute('x2')), bars, vector: el.querySelector('svg') !== null && !el.querySelector('img, canvas') }
    })
    expect(drawn.vector, `${demo}: an SVG`).toBe(true)
    const endMs = Math.max(...recording.steps.map(s => s.atMs))
    const px = (ms: number) => drawn.x1 + (ms / endMs) * (drawn.x2 - drawn.x1)
    const times = new Set([...recording.steps.map(s => s.atMs), endMs])
    expect(drawn.bars.length, `${demo}: bars`).toBeGreaterThan(0)
    for (const bar of drawn.bars) {
      const what = `${demo}: ${bar.function} at depth ${bar.depth}, ${bar.startMs}–${bar.endMs} ms`
      // It went on the stack at a recorded step that shows it there, and left at a recorded time.
      expect(recording.steps.some(s => s.atMs === bar.startMs && s.physicalStack[bar.depth]?.function === bar.function), `${what}: starts at a step that shows it`).toBe(true)
      expect(times.has(bar.endMs), `${what}: ends at a recorded time`).toBe(true)
      // Every step strictly inside the bar shows the frame where the bar says.
      for (const s of recording.steps.filter(s => s.atMs > bar.startMs && s.atMs < bar.endMs))
        expect(s.physicalStack[bar.depth]?.function, `${what}: step ${s.index}`).toBe(bar.function)
      // Drawn where its times fall, within a pixel.
      expect(Math.abs(bar.x - px(bar.startMs)), `${what}: x`).toBeLessThanOrEqual(1)
      expect(Math.abs(bar.width - Math.max(1, px(bar.endMs) - px(bar.startMs))), `${what}: width`).toBeLessThanOrEqual(1)
    }
    // Every frame of every step is inside a bar of its own.
    for (const s of recording.steps) {
      for (const [depth, frame] of s.physicalStack.entries()) {
        const covered = drawn.bars.some(b => b.function === frame.function && b.depth === depth && b.startMs <= s.atMs && s.atMs <= b.endMs)
        expect(covered, `${demo}: step ${s.index} (${s.atMs} ms) ${frame.function} at depth ${depth} drawn`).toBe(true)
      }
    }
  }
  // Sync Python is one solid tower: each of our functions is one bar, from its call to the raise.
  const sync = defaultRecording('sync')
  const raiseAt = sync.steps.find(s => s.kind === 'raise')!.atMs
  const foo = page.locator(`.slidev-page-${slide!.no} .stack-over-time[data-demo="sync"] .bar[data-function="foo"]`)
  await expect(foo).toHaveCount(1)
  expect(Number(await foo.getAttribute('data-end-ms'))).toBeGreaterThanOrEqual(raiseAt)
})
