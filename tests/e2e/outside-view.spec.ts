/**
 * <OutsideView demo="async_loop" /> in Chromium: on the dev server a real run under the
 * server's CPython 3.14, held while blow_up awaits, and pstree's tree beside the held step;
 * in the static build the recorded tree, labelled. (Without a CPython 3.14 on this machine
 * the dev server shows the recorded tree too, saying why.)
 */
import { expect, test } from '@playwright/test'
import { pstreeRuntime } from 'async-stacks-engine/index'
import { DEV_PORT, STATIC_PORT } from '../../playwright.config'
import { loadDeck } from '../support/deck'

async function slideNo(): Promise<number> {
  const slide = (await loadDeck()).find(s => s.content.includes('<OutsideView demo="async_loop"'))
  if (!slide)
    throw new Error('slides.md has no slide with <OutsideView demo="async_loop" />')
  return slide.no
}

test('dev server: Run shows the live pstree tree of the running demo beside the step it is held at', async ({ page }) => {
  const no = await slideNo()
  const errors: string[] = []
  page.on('console', msg => msg.type() === 'error' && errors.push(msg.text()))
  page.on('pageerror', error => errors.push(error.message))
  await page.goto(`http://localhost:${DEV_PORT}/${no}`)
  const view = page.locator(`.slidev-page-${no} .outside-view[data-demo="async_loop"]`)
  if (!await pstreeRuntime()) {
    await expect(view).toHaveAttribute('data-state', 'recorded')
    await expect(view.locator('.meta')).toContainText('no CPython 3.14')
    return
  }
  await expect(view).toHaveAttribute('data-state', 'idle')
  await view.getByRole('button', { name: 'Run async_loop and look at it with pstree' }).click()
  await expect(view).toHaveAttribute('data-live', 'true', { timeout: 20_000 })
  const command = await view.locator('.command').innerText()
  expect(command).toMatch(/^\$ python3\.14 -m asyncio pstree \d+$/)
  const tree = view.locator('.tree').first()
  await expect(tree).toContainText('(T) Task-1')
  expect(await tree.innerText()).toMatch(/foo demos\/async_loop\.py:13[\s\S]*bar demos\/async_loop\.py:9[\s\S]*blow_up demos\/async_loop\.py:4[\s\S]*sleep /)
  await expect(view.locator('.meta')).toContainText(/live, while the program was held at step \d+ \(idle\)/)
  // Beside it, our chain at that step: the same four frames.
  await expect(view.locator('.inside .frame')).toHaveCount(4)
  await expect(view).toHaveAttribute('data-state', 'done', { timeout: 20_000 })
  await page.locator(`.slidev-page-${no}`).screenshot({ path: 'test-results/outside-view-live.png' })
  expect(errors).toEqual([])
})

test('static build: the recorded tree, labelled with the runtime that printed it', async ({ page }) => {
  const no = await slideNo()
  await page.goto(`http://localhost:${STATIC_PORT}/${no}`)
  const view = page.locator(`.slidev-page-${no} .outside-view[data-demo="async_loop"]`)
  await expect(view).toHaveAttribute('data-state', 'recorded')
  await expect(view.locator('.meta')).toContainText('recorded with CPython 3.14')
  await expect(view.locator('.tree')).toContainText('blow_up demos/async_loop.py:4')
  await expect(view.getByRole('button')).toHaveCount(0)
})
