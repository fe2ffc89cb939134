/**
 * `npm run export`: the deck to PDF with Slidev's exporter, in the browser the project finds.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrowserNotFoundError, findBrowser } from './lib/browser'

const root = fileURLToPath(new URL('..', import.meta.url))
export const EXPORT_DIR = join(root, 'exports')

function main() {
  let browser: string
  try {
    browser = findBrowser()
  }
  catch (error) {
    if (error instanceof BrowserNotFoundError) {
      console.error(error.message)
      process.exit(2)
    }
    throw error
  }
  mkdirSync(EXPORT_DIR, { recursive: true })
  const out = join(EXPORT_DIR, 'slides.pdf')
  const result = spawnSync(process.execPath, [
    join(root, 'node_modules/@slidev/cli/bin/slidev.mjs'),
    'export',
    '--executable-path',
    browser,
    '--output',
    out,
    '--timeout',
    '60000',
  ], { cwd: root, stdio: 'inherit' })
  process.exit(result.status ?? 1)
}

main()
