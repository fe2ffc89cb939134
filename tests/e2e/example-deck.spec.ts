/**
 * The example deck (examples/minimal): its own demos and recordings, the addon listed in its
 * headmatter like any deck would, served from its own folder. Its timeline steps through
 * its own recording, a live run streams from its dev server, the static build shows the
 * recording and asks no server, and nothing leaves this machine — so the addon cannot
 * quietly depend on the talk.
 */
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { selectSteps } from 'slidev-addon-async-stacks/composables/frames'
import { engineConfig } from 'async-stacks-engine/config'
import { findEntry } from 'async-stacks-engine/recording-lookup'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { EXAMPLE_DEV_PORT, EXAMPLE_STATIC_PORT } from '../../playwright.config'
import { isLocalUrl, ROOT } from '../support/deck'
import { position } from '../support/slides'
import { expectTimelineWalk } from '../support/timeline'

const EXAMPLE = engineConfig({ root: join(ROOT, 'examples/minimal') })
const recordingOf = (demo: string) => readManifestRecording(findEntry(readManifest(EXAMPLE.recordingsDir), demo), EXAMPLE.recordingsDir)

/** Console errors, failed responses and requests beyond this machine. */
function watch(page: Page): { errors: string[], remote: string[], live: string[] } {
  const seen = { errors: [] as string[], remote: [] as string[], live: [] as string[] }
  page.on('console', msg => msg.type() === 'error' && seen.errors.push(msg.text()))
  page.on('pageerror', error => seen.errors.push(error.message))
  page.on('response', response => response.status() >= 400 && seen.errors.push(`${response.status()} ${response.url()}`))
  page.on('request', (request) => {
    if (!isLocalUrl(request.url()))
      seen.remote.push(request.url())
    if (request.url().includes('/__live/'))
      seen.live.push(request.url())
  })
  return seen
}

test('the step timeline walks the example\'s own recording, line and both stacks at each step', async ({ page }) => {
  const seen = watch(page)
  const recording = recordingOf('worker')
  expect(recording.demo.file).toBe('demos/worker.py')
  const steps = selectSteps(recording.steps, 'key')
  expect(steps.length).toBeGreaterThan(3)

  await page.goto(`http://localhost:${EXAMPLE_DEV_PORT}/3`)
  const root = page.locator('.slidev-page-3 .stack-timeline')
  await expect(root).toBeVisible()
  await expect.poll(async () => (await position(page)).total).toBe(steps.length - 1)
  await expectTimelineWalk(page, root, recording, steps)
  // The traceback walk of the same demo, at its last frame: parse's raise, as printed.
  const frames = recording.traceback!.frames.length
  await page.goto(`http://localhost:${EXAMPLE_DEV_PORT}/2?clicks=${frames}`)
  const walk = page.locator('.slidev-page-2 .traceback-walk')
  await expect(walk).toHaveAttribute('data-step', String(frames))
  await expect(walk).toContainText('ValueError: bad record 3')
  await expect(walk.locator('.row.current')).toHaveAttribute('data-line', '7')
  expect(seen.errors).toEqual([])
  expect(seen.remote).toEqual([])
})

test('a component given a recording object shows it: the slide imports the JSON itself', async ({ page }) => {
  const seen = watch(page)
  const recording = recordingOf('retry')
  await page.goto(`http://localhost:${EXAMPLE_DEV_PORT}/5`)
  const root = page.locator('.slidev-page-5 .stack-timeline')
  await expect(root).toBeVisible()
  await expect(root).toHaveAttribute('data-kind', selectSteps(recording.steps, 'key')[0]!.kind)
  await expect(root).toContainText(`${recording.runtime.name} ${recording.runtime.version}`)
  await expect(root).toContainText('async function withRetry(task, attempts)')
  expect(seen.errors).toEqual([])
})

test('dev server: Run streams the example\'s own program, run under Node, onto the slide', async ({ page }) => {
  const seen = watch(page)
  await page.goto(`http://localhost:${EXAMPLE_DEV_PORT}/4`)
  const live = page.locator('.slidev-page-4 .live-run[data-demo="retry"]')
  await expect(live).toHaveAttribute('data-state', 'idle')
  await live.getByRole('button', { name: 'Run retry live' }).click()
  await expect(live).toHaveAttribute('data-state', 'done', { timeout: 20_000 })
  const pane = live.locator('.pane')
  await expect(pane).toContainText('Error: user service unavailable (user 7)')
  const text = await pane.innerText()
  expect(text).toMatch(/at fetchUser[\s\S]*at async withRetry[\s\S]*at async main/)
  expect(seen.live.some(url => url.endsWith('/__live/run'))).toBe(true)
  expect(seen.errors).toEqual([])
  expect(seen.remote).toEqual([])
})

test('static build: the recording, labelled, and no request to a live endpoint or beyond this machine', async ({ page }) => {
  const seen = watch(page)
  const recording = recordingOf('retry')
  await page.goto(`http://localhost:${EXAMPLE_STATIC_PORT}/4`)
  const live = page.locator('.slidev-page-4 .live-run[data-demo="retry"]')
  await expect(live).toBeVisible()
  await expect(live).toContainText(`recorded with ${recording.runtime.name} ${recording.runtime.version}`)
  await expect(live.locator('.pane')).toContainText('Error: user service unavailable (user 7)')
  for (const no of [1, 2, 3, 5]) {
    await page.goto(`http://localhost:${EXAMPLE_STATIC_PORT}/${no}`)
    await expect(page.locator(`.slidev-page-${no}`)).toBeVisible()
  }
  expect(seen.live).toEqual([])
  expect(seen.remote).toEqual([])
  expect(seen.errors).toEqual([])
})
