/**
 * What an export watches in the browser: every request must stay on this machine, and a
 * slide that throws (an uncaught error, a console error, a crash) fails the export. The
 * first failure rejects `failed`, so the export stops at once instead of timing out.
 */
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core'
import { ExportError } from './errors'

/** Hosts an export may talk to: only this machine (and in-page data). */
export function isLocalUrl(url: string): boolean {
  if (/^(data|blob|about|chrome-error):/.test(url))
    return true
  try {
    const { hostname } = new URL(url)
    return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]'
  }
  catch {
    return false
  }
}

export class Guard {
  readonly failed: Promise<never>
  readonly warnings: string[] = []
  requests = 0
  /** Reads a script the deck's server serves (`/assets/md-x1y2.js`), to name the slide it belongs to. */
  sourceOf: (path: string) => string | undefined = () => undefined
  private reject!: (error: Error) => void
  private error: Error | undefined

  constructor() {
    this.failed = new Promise<never>((_, reject) => {
      this.reject = reject
    })
    this.failed.catch(() => {})
  }

  get failure(): Error | undefined {
    return this.error
  }

  fail(error: Error): void {
    if (this.error)
      return
    this.error = error
    this.reject(error)
  }

  /** Run `work`, but stop with the first failure the guard sees. */
  race<T>(work: Promise<T>): Promise<T> {
    work.catch(() => {})
    const raced = Promise.race([work, this.failed])
    raced.catch(() => {}) // awaited later; never an unhandled rejection meanwhile
    return raced
  }

  watchContext(context: BrowserContext): void {
    const check = (url: string, what: string) => {
      if (!isLocalUrl(url))
        this.fail(new ExportError(`the export made a request beyond localhost (${what}): ${url}\nEverything the deck shows must come from this machine (npm packages, public/, recordings/).`))
    }
    context.on('request', (request) => {
      this.requests++
      check(request.url(), `${request.resourceType()} from ${request.frame().url() || 'the page'}`)
    })
    context.on('page', page => page.on('websocket', socket => check(socket.url(), 'websocket')))
  }

  /**
   * ` (slide 7)` when a script in `text` (a stack, a console location) is the compiled
   * code of exactly one slide: Slidev names each slide's component `slides.md__slidev_7`.
   */
  private slideOf(text: string | undefined): string {
    const slides = new Set<string>()
    for (const [, path] of (text ?? '').matchAll(/https?:\/\/localhost:\d+(\/[^\s:)]+\.m?js)/g)) {
      const found = [...new Set([...(this.sourceOf(path!) ?? '').matchAll(/__slidev_(\d+)\b/g)].map(match => match[1]!))]
      if (found.length === 1)
        slides.add(found[0]!)
    }
    return slides.size ? ` (slide ${[...slides].join(', ')})` : ''
  }

  /** `label` says which document failed: `slides.pdf`, `steps.pdf`, `handout`. */
  watchPage(page: Page, label: string): void {
    page.on('pageerror', (error) => {
      const stack = (error.stack ?? '').split('\n').slice(0, 6).join('\n')
      this.fail(new ExportError(`${label}: the deck threw${this.slideOf(error.stack)}: ${error.message}\n${stack}`))
    })
    page.on('console', (message: ConsoleMessage) => {
      const { url, lineNumber } = message.location()
      // Chromium asks for /favicon.ico by itself when a deck declares none (`favicon: false`).
      if (message.type() === 'error' && /\/favicon\.ico$/.test(url))
        return
      if (message.type() === 'error') {
        const text = message.text().split('\n').slice(0, 8).join('\n')
        const where = url ? `\n  at ${url}${lineNumber ? `:${lineNumber}` : ''}` : ''
        this.fail(new ExportError(`${label}: console error${this.slideOf(`${message.text()}\n${url}`)}: ${text}${where}`))
      }
      else if (message.type() === 'warning' && !this.warnings.includes(message.text())) {
        this.warnings.push(message.text())
      }
    })
    page.on('crash', () => this.fail(new ExportError(`${label}: the browser page crashed`)))
  }
}
