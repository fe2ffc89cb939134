/**
 * Deck benchmarks: dev server start until the first slide is rendered in Chromium, and
 * the static build's time and size, each beside a blank Slidev deck made in the same run.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { browserArgs, findBrowser } from '../lib/browser'
import { ROOT } from '../lib/paths'
import { megabytes, ratio, seconds, type BenchRow } from './table'

const SLIDEV = join(ROOT, 'node_modules/@slidev/cli/bin/slidev.mjs')

/** A blank deck inside the repo, so it resolves the same node_modules. */
function makeBlankDeck(): string {
  const dir = join(ROOT, 'node_modules/.cache/bench-blank-deck')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'slides.md'), [
    '---',
    'theme: default',
    'fonts:',
    '  provider: none',
    'favicon: false',
    '---',
    '',
    '# Blank deck',
    '',
  ].join('\n'))
  return dir
}

function dirSize(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirSize(path) : statSync(path).size
  }
  return total
}

function build(deckDir: string, entry: string, outDir: string): { ms: number, bytes: number } {
  rmSync(outDir, { recursive: true, force: true })
  const start = performance.now()
  const result = spawnSync(process.execPath, [SLIDEV, 'build', entry, '--out', outDir], { cwd: deckDir, stdio: 'pipe' })
  const elapsed = performance.now() - start
  if (result.status !== 0)
    throw new Error(`slidev build failed in ${deckDir}:\n${result.stderr}`)
  return { ms: elapsed, bytes: dirSize(outDir) }
}

async function devServerToFirstSlide(deckDir: string, port: number): Promise<number> {
  const browser = await chromium.launch({ executablePath: findBrowser(), args: browserArgs() })
  const start = performance.now()
  const server = spawn(process.execPath, [SLIDEV, 'slides.md', '--port', String(port), '--open=false'], { cwd: deckDir, stdio: 'ignore', detached: true })
  try {
    const page = await browser.newPage()
    for (;;) {
      try {
        await page.goto(`http://localhost:${port}/1`, { timeout: 30_000 })
        break
      }
      catch {
        if (performance.now() - start > 60_000)
          throw new Error(`dev server in ${deckDir} did not answer within 60 s`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    await page.locator('.slidev-page-1').waitFor({ state: 'visible', timeout: 60_000 })
    return performance.now() - start
  }
  finally {
    process.kill(-server.pid!, 'SIGTERM')
    await browser.close()
  }
}

export async function benchDeck(): Promise<BenchRow[]> {
  const blank = makeBlankDeck()
  // Best of three, alternating, so a busy moment of the machine hits both decks alike.
  const oursRuns: { ms: number, bytes: number }[] = []
  const theirsRuns: { ms: number, bytes: number }[] = []
  for (let i = 0; i < 3; i++) {
    oursRuns.push(build(ROOT, 'slides.md', join(ROOT, 'node_modules/.cache/bench-dist')))
    theirsRuns.push(build(blank, 'slides.md', join(blank, 'dist')))
  }
  const best = (runs: { ms: number, bytes: number }[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a))
  const ours = best(oursRuns)
  const theirs = best(theirsRuns)
  const ourStart = await devServerToFirstSlide(ROOT, 3051)
  const blankStart = await devServerToFirstSlide(blank, 3052)
  const buildRatio = ours.ms / theirs.ms
  return [
    { name: 'dev server start → first slide rendered', value: seconds(ourStart), baseline: `${seconds(blankStart)} (blank deck)`, target: 'report', ok: undefined },
    { name: 'static build time (best of 3)', value: seconds(ours.ms), baseline: `${seconds(theirs.ms)} (blank deck)`, target: `≤ 1.5× blank (${ratio(buildRatio)})`, ok: buildRatio <= 1.5 },
    { name: 'static build size (dist/)', value: megabytes(ours.bytes), baseline: `${megabytes(theirs.bytes)} (blank deck)`, target: '< 3 MB', ok: ours.bytes < 3 * 1024 * 1024 },
  ]
}
