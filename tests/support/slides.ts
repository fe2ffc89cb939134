/** Browser-side checks shared by the deck's Playwright tests. */
import type { Page } from '@playwright/test'

/** Where the deck is: slide number and click, read from Slidev's own navigation state. */
export async function position(page: Page): Promise<{ no: number, clicks: number, total: number }> {
  return page.evaluate(() => {
    const nav = (window as unknown as { __slidev__: { nav: { currentSlideNo: number, clicks: number, clicksTotal: number } } }).__slidev__.nav
    return { no: nav.currentSlideNo, clicks: nav.clicks, total: nav.clicksTotal }
  })
}

/**
 * Elements of the current slide drawn outside the slide's box, and panes whose content
 * is clipped (scrolls inside a box that cannot scroll). Empty when the slide fits.
 */
export async function overflowOf(page: Page, no: number): Promise<string[]> {
  return page.evaluate((no) => {
    const slide = document.querySelector(`.slidev-page-${no}`)
    if (!slide)
      return [`slide ${no} not rendered`]
    const box = slide.getBoundingClientRect()
    const problems: string[] = []
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`
    for (const el of slide.querySelectorAll('*')) {
      const style = getComputedStyle(el)
      if (style.visibility === 'hidden' || style.display === 'none' || el.closest('.slidev-vclick-hidden'))
        continue
      // What is drawn of the element: its box, cut by every ancestor that clips its content.
      const r = el.getBoundingClientRect()
      let { left, top, right, bottom } = r
      for (let parent = el.parentElement; parent && parent !== slide; parent = parent.parentElement) {
        const ps = getComputedStyle(parent)
        if (ps.overflowX === 'visible' && ps.overflowY === 'visible')
          continue
        const pr = parent.getBoundingClientRect()
        left = Math.max(left, pr.left)
        top = Math.max(top, pr.top)
        right = Math.min(right, pr.right)
        bottom = Math.min(bottom, pr.bottom)
      }
      if (r.width === 0 || r.height === 0 || right <= left || bottom <= top)
        continue
      if (left < box.left - 1 || top < box.top - 1 || right > box.right + 1 || bottom > box.bottom + 1)
        problems.push(`outside the slide: ${describe(el)}`)
      const clipped = (style.overflowY === 'hidden' && el.scrollHeight > el.clientHeight + 2)
        || (style.overflowX === 'hidden' && el.scrollWidth > el.clientWidth + 2 && style.textOverflow !== 'ellipsis')
      if (clipped && el.matches('pre, .code-pane, .traceback, .stack-pane, table'))
        problems.push(`clipped: ${describe(el)}`)
    }
    return problems.slice(0, 5)
  }, no)
}

/** Fraction of the screenshot's pixels that differ from its most common colour: ~0 means blank. */
export async function inkRatio(page: Page, selector: string): Promise<number> {
  const element = page.locator(selector).first()
  const png = await element.screenshot()
  return page.evaluate(async (base64) => {
    const img = new Image()
    img.src = `data:image/png;base64,${base64}`
    await img.decode()
    const canvas = new OffscreenCanvas(img.width, img.height)
    const ctx = canvas.getContext('2d')!
    ctx.drawImage(img, 0, 0)
    const data = ctx.getImageData(0, 0, img.width, img.height).data
    const counts = new Map<number, number>()
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i]! >> 4) << 8 | (data[i + 1]! >> 4) << 4 | (data[i + 2]! >> 4)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    const most = Math.max(...counts.values())
    return 1 - most / (data.length / 4)
  }, png.toString('base64'))
}
