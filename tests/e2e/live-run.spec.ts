/**
 * <LiveRun demo="async_loop" /> in Chromium: a real run from the dev server, and the
 * committed recording wherever there is no live run (no endpoint, static build, export,
 * the presenter's next-slide preview).
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { DEV_PORT, STATIC_PORT } from '../../playwright.config'
import { loadDeck } from '../support/deck'

async function liveSlideNo(): Promise<number> {
  const slide = (await loadDeck()).find(s => s.content.includes('<LiveRun demo="async_loop"'))
  if (!slide)
    throw new Error('slides.md has no slide with <LiveRun demo="async_loop" />')
  return slide.no
}

/** Console errors and failed responses on the page. */
function pageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error')
      errors.push(msg.text())
  })
  page.on('pageerror', error => errors.push(error.message))
  page.on('response', (response) => {
    if (response.status() >= 400)
      errors.push(`${response.status()} ${response.url()}`)
  })
  return errors
}

/** Every request the page makes to the live-run endpoints. */
function liveRequests(page: Page): string[] {
  const seen: string[] = []
  page.on('request', (request) => {
    if (request.url().includes('/__live/'))
      seen.push(`${request.method()} ${request.url()}`)
  })
  return seen
}

test('dev server: Run streams the real traceback onto the slide', async ({ page }) => {
  const no = await liveSlideNo()
  const errors = pageErrors(page)
  await page.goto(`http://localhost:${DEV_PORT}/${no}`)
  const live = page.locator(`.slidev-page-${no} .live-run[data-demo="async_loop"]`)
  await expect(live).toHaveAttribute('data-state', 'idle')
  await live.getByRole('button', { name: 'Run async_loop live' }).click()
  await expect(live).toHaveAttribute('data-state', 'running')
  await expect(live).toHaveAttribute('data-state', 'done', { timeout: 20_000 })

  const pane = live.locator('.pane')
  await expect(pane).toContainText('Traceback (most recent call last)')
  await expect(pane).toContainText('Exception: nested error in async code')
  const text = await pane.innerText()
  expect(text).toMatch(/in foo[\s\S]*in bar[\s\S]*in blow_up/)
  // stderr is told apart by a text tag, not only by colour.
  await expect(live.locator('.line[data-stream="stderr"] .tag').first()).toHaveText('err')
  await expect(live.locator('.foot .chain')).toHaveText('foo → bar → blow_up')
  await expect(live.locator('.meta')).toContainText(/exit 1 · \d+\.\d s/)
  await expect(live.getByRole('button', { name: 'Run async_loop live' })).toHaveText('↻ Run again')
  expect(errors).toEqual([])
})

test('dev server: clicking again, or leaving the slide, cancels the run', async ({ page }) => {
  const no = await liveSlideNo()
  await page.goto(`http://localhost:${DEV_PORT}/${no}`)
  const live = page.locator(`.slidev-page-${no} .live-run`)
  await expect(live).toHaveAttribute('data-state', 'idle')

  const aborted: string[] = []
  page.on('requestfailed', (request) => {
    if (request.url().includes('/__live/run'))
      aborted.push(request.failure()?.errorText ?? '')
  })
  await live.getByRole('button', { name: 'Run async_loop live' }).click()
  await live.getByRole('button', { name: 'Stop async_loop' }).click()
  await expect(live).toHaveAttribute('data-state', 'idle')
  await expect(live.locator('.meta')).toContainText('stopped after')
  await expect.poll(() => aborted.length).toBe(1)

  await live.getByRole('button', { name: 'Run async_loop live' }).click()
  await expect(live).toHaveAttribute('data-state', 'running')
  await page.keyboard.press('ArrowLeft')
  await expect(page.locator(`.slidev-page-${no - 1}`)).toBeVisible()
  await expect.poll(() => aborted.length).toBe(2)
  await expect(live).toHaveAttribute('data-state', 'idle')
})

test('dev server with the endpoint unreachable: the recording, with its label', async ({ page }) => {
  const no = await liveSlideNo()
  await page.route('**/__live/**', route => route.abort('connectionrefused'))
  await page.goto(`http://localhost:${DEV_PORT}/${no}`)
  const live = page.locator(`.slidev-page-${no} .live-run`)
  await expect(live).toHaveAttribute('data-state', 'recorded')
  await expect(live.locator('.meta')).toHaveText(/^recorded with CPython \d+\.\d+\.\d+$/)
  await expect(live.locator('.pane')).toContainText('Exception: nested error in async code')
  await expect(live.getByRole('button')).toHaveCount(0)
})

test('static build: the recording, and no request to a live endpoint', async ({ page }) => {
  const no = await liveSlideNo()
  const requests = liveRequests(page)
  const errors = pageErrors(page)
  await page.goto(`http://localhost:${STATIC_PORT}/${no}`)
  const live = page.locator(`.slidev-page-${no} .live-run`)
  await expect(live).toHaveAttribute('data-state', 'recorded')
  await expect(live.locator('.meta')).toHaveText(/^recorded with CPython \d+\.\d+\.\d+$/)
  await expect(live.locator('.pane')).toContainText('in blow_up')
  expect(requests).toEqual([])
  expect(errors).toEqual([])
})

test('export (print mode) and the presenter\'s next-slide preview show the recording and run nothing', async ({ page }) => {
  const no = await liveSlideNo()
  const requests = liveRequests(page)
  await page.goto(`http://localhost:${DEV_PORT}/${no}?print=true`)
  const printed = page.locator(`.slidev-page-${no} .live-run`)
  await expect(printed).toHaveAttribute('data-state', 'recorded')
  await expect(printed.locator('.meta')).toHaveText(/^recorded with CPython/)
  expect(requests).toEqual([])

  await page.goto(`http://localhost:${DEV_PORT}/presenter/${no - 1}`)
  const preview = page.locator('.grid-section.next .live-run')
  await expect(preview).toHaveAttribute('data-state', 'recorded')
  await expect(preview.getByRole('button')).toHaveCount(0)
})

/** The presenter window and the audience window of one browser, both on the live slide, idle. */
async function presenterAndAudience(context: BrowserContext) {
  const no = await liveSlideNo()
  const presenter = await context.newPage()
  const audience = await context.newPage()
  const presenterRequests = liveRequests(presenter)
  const audienceRequests = liveRequests(audience)
  const errors = [...pageErrors(presenter), ...pageErrors(audience)]
  await presenter.goto(`http://localhost:${DEV_PORT}/presenter/${no}`)
  await audience.goto(`http://localhost:${DEV_PORT}/${no}`)
  const driving = presenter.locator(`.grid-section.main .slidev-page-${no} .live-run`)
  const mirrored = audience.locator(`.slidev-page-${no} .live-run`)
  await expect(driving).toHaveAttribute('data-state', 'idle')
  await expect(mirrored).toHaveAttribute('data-state', 'idle')
  return { presenter, driving, mirrored, presenterRequests, audienceRequests, errors }
}

test('presenter and audience windows: a run started in the presenter window plays on the projector too', async ({ context }) => {
  const { driving, mirrored, audienceRequests, errors } = await presenterAndAudience(context)

  await driving.getByRole('button', { name: 'Run async_loop live' }).click()
  await expect(mirrored).toHaveAttribute('data-state', 'running')
  await expect(mirrored).toHaveAttribute('data-following', 'true')
  await expect(mirrored).toHaveAttribute('data-state', 'done', { timeout: 20_000 })
  await expect(mirrored.locator('.pane')).toContainText('Exception: nested error in async code')
  await expect(mirrored.locator('.foot .chain')).toHaveText('foo → bar → blow_up')
  await expect(driving).toHaveAttribute('data-state', 'done')
  // Only the window that started the run asked the server to run it.
  expect(audienceRequests.filter(r => r.startsWith('POST'))).toEqual([])

  // Stop pressed on the projector's window stops the run in the presenter's.
  await driving.getByRole('button', { name: 'Run async_loop live' }).click()
  await expect(mirrored).toHaveAttribute('data-state', 'running')
  await mirrored.getByRole('button', { name: 'Stop async_loop' }).click()
  await expect(driving).toHaveAttribute('data-state', 'idle')
  await expect(driving.locator('.meta')).toContainText('stopped after')
  expect(errors).toEqual([])
})

test('run-on-click: the clicker\'s next click starts the run in the presenter window, and the projector follows it', async ({ context }) => {
  const { presenter, driving, mirrored, presenterRequests, audienceRequests } = await presenterAndAudience(context)
  await expect(driving.locator('.hint')).toContainText('Next click')

  await presenter.bringToFront()
  await presenter.keyboard.press('ArrowRight')
  await expect(driving).toHaveAttribute('data-state', 'running')
  await expect(mirrored).toHaveAttribute('data-following', 'true')
  await expect(mirrored).toHaveAttribute('data-state', 'done', { timeout: 20_000 })
  await expect(driving).toHaveAttribute('data-state', 'done')
  await expect(mirrored.locator('.foot .chain')).toHaveText('foo → bar → blow_up')
  // One run, from the presenter's window.
  expect(presenterRequests.filter(r => r.startsWith('POST'))).toHaveLength(1)
  expect(audienceRequests.filter(r => r.startsWith('POST'))).toEqual([])

  // Back a click, forward again: a new run; back while it runs stops it.
  await presenter.keyboard.press('ArrowLeft')
  await presenter.keyboard.press('ArrowRight')
  await expect(driving).toHaveAttribute('data-state', 'running')
  await presenter.keyboard.press('ArrowLeft')
  await expect(driving).toHaveAttribute('data-state', 'idle')
  await expect(mirrored).not.toHaveAttribute('data-state', 'running')
})
