import { expect, test } from '@playwright/test'
import { DEV_PORT, STATIC_PORT } from '../../playwright.config'
import { isLocalUrl, loadDeck } from '../support/deck'

const servers = [
  { name: 'dev server', port: DEV_PORT },
  { name: 'static build', port: STATIC_PORT },
]

for (const server of servers) {
  test(`${server.name}: every slide renders, with no console error and no request beyond localhost`, async ({ page }) => {
    const slides = await loadDeck()
    const errors: string[] = []
    const external: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error')
        errors.push(`${page.url()}: ${msg.text()}`)
    })
    page.on('pageerror', error => errors.push(`${page.url()}: ${error.message}`))
    page.on('response', (response) => {
      if (response.status() >= 400)
        errors.push(`${response.status()} ${response.url()}`)
    })
    page.on('request', (request) => {
      if (!isLocalUrl(request.url()))
        external.push(request.url())
    })

    for (const slide of slides) {
      await page.goto(`http://localhost:${server.port}/${slide.no}`)
      const current = page.locator(`.slidev-page-${slide.no}`)
      await expect(current).toBeVisible()
      if (slide.title)
        await expect(current.getByText(titleMatcher(slide.title)).first()).toBeVisible()
    }
    expect(errors, 'console errors').toEqual([])
    expect(external, 'requests beyond localhost').toEqual([])
  })
}

/** The title as markdown-it renders it: its typographer curls quotes. */
function titleMatcher(title: string): RegExp {
  return new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, '[\'’]').replace(/"/g, '["“”]'))
}
