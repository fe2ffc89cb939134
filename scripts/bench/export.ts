/**
 * Export benchmark: `npm run export` (slides.pdf, steps.pdf and handout.pdf from one
 * server and one browser) beside one plain `slidev export` (slides.pdf only) of the same
 * deck, in the same run. The two alternate, RUNS times each, and the best time of each
 * counts: the machine is shared, and the best run is the one least disturbed by others.
 * BENCH_EXPORT_ENTRY=<deck.md> benchmarks another deck than slides.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { findBrowser } from '../lib/browser'
import { ROOT } from '../lib/paths'
import { ratio, seconds, type BenchRow } from './table'

const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 3)
const OUT = join(ROOT, 'node_modules/.cache/bench-export')
const ENTRY = resolve(process.env.BENCH_EXPORT_ENTRY ?? join(ROOT, 'slides.md'))

function timed(command: string, args: string[], cwd = ROOT): number {
  const start = performance.now()
  const result = spawnSync(command, args, { cwd, stdio: 'pipe', encoding: 'utf8' })
  const elapsed = performance.now() - start
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`)
  return elapsed
}

export async function benchExport(): Promise<BenchRow[]> {
  const browser = findBrowser()
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  const ours: number[] = []
  const plain: number[] = []
  for (let run = 0; run < RUNS; run++) {
    plain.push(timed(process.execPath, [
      join(ROOT, 'node_modules/@slidev/cli/bin/slidev.mjs'),
      'export',
      ENTRY,
      '--executable-path',
      browser,
      '--output',
      join(OUT, 'plain.pdf'),
      '--timeout',
      '120000',
    ], dirname(ENTRY)))
    ours.push(timed('npm', ['run', '--silent', 'export', '--', '--out', join(OUT, 'ours'), '--entry', ENTRY]))
  }
  const best = Math.min(...ours)
  const baseline = Math.min(...plain)
  const ratioValue = best / baseline
  return [{
    name: `npm run export (slides + steps + handout), best of ${RUNS}`,
    value: seconds(best),
    baseline: `${seconds(baseline)} (one plain slidev export, best of ${RUNS})`,
    target: `≤ 1.5× plain (${ratio(ratioValue)})`,
    ok: ratioValue <= 1.5,
  }]
}
