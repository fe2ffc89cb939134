/**
 * The one browser lookup that export, tests and scripts share.
 * Order: $CHROMIUM_PATH, Playwright's own Chromium if installed, then a system Chromium/Chrome.
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { onPath } from 'async-stacks-engine/path-lookup'

export const BROWSER_ENV = 'CHROMIUM_PATH'

const SYSTEM_BROWSERS = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'chrome',
]

const APP_BROWSERS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]

export class BrowserNotFoundError extends Error {
  constructor(detail = '') {
    super([
      'No Chromium browser found.',
      detail,
      'Install one:',
      '  Debian/Ubuntu:  sudo apt-get install chromium',
      '  elsewhere:      npx playwright install chromium',
      `or point ${BROWSER_ENV} at a Chromium or Chrome executable.`,
    ].filter(Boolean).join('\n'))
    this.name = 'BrowserNotFoundError'
  }
}

/** The Chromium executable to use; throws BrowserNotFoundError with install advice. */
export function findBrowser(): string {
  const fromEnv = process.env[BROWSER_ENV]
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new BrowserNotFoundError(`${BROWSER_ENV} is set to ${fromEnv}, but there is no file there.`)
    return fromEnv
  }
  try {
    const playwrights = chromium.executablePath()
    if (playwrights && existsSync(playwrights))
      return playwrights
  }
  catch {}
  for (const name of SYSTEM_BROWSERS) {
    const found = onPath(name)
    if (found)
      return found
  }
  const app = APP_BROWSERS.find(path => existsSync(path))
  if (app)
    return app
  throw new BrowserNotFoundError()
}

/**
 * Flags for a quiet, offline, headless Chromium: no background traffic to Google, and
 * no sandbox when running as root (Chromium refuses to start otherwise).
 */
export function browserArgs(): string[] {
  const args = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    '--disable-gpu',
  ]
  if (process.getuid?.() === 0)
    args.push('--no-sandbox')
  return args
}
