/**
 * Trace engine benchmarks: a traced run against a plain run of each seed demo (target:
 * traced ≤ 1.3× plain), and `npm run record` of every demo against the slowest single
 * plain run (target ≤ 2×). Plain and traced runs alternate so machine load hits both alike.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { defaultRuntime, recordDemo } from 'async-stacks-engine/index'
import { adapterFor } from 'async-stacks-engine/runtimes'
import { listDemos, type Demo } from 'async-stacks-engine/demos'
import { spawnLimited } from 'async-stacks-engine/spawn'
import { ROOT } from '../lib/paths'
import { median, ms, ratio, type BenchRow } from './table'

const SEED_DEMOS = ['sync', 'async_loop', 'async']
const ROUNDS = 5

async function plainRun(demo: Demo): Promise<number> {
  const runtime = await defaultRuntime(demo)
  const adapter = await adapterFor(demo.language)
  if (adapter.prepare)
    await adapter.prepare(demo, runtime)
  const { command, args } = adapter.plainCommand(demo, runtime)
  const start = performance.now()
  await spawnLimited({ command, args, cwd: ROOT }).done
  return performance.now() - start
}

async function tracedRun(demo: Demo): Promise<number> {
  const start = performance.now()
  await recordDemo(demo)
  return performance.now() - start
}

/** CPU time (user + system) of this process's finished children, from /proc (Linux); 0 elsewhere. */
function childrenCpuMs(): number {
  try {
    // Fields 16 and 17 (cutime, cstime), in clock ticks of 1/100 s; the name in field 2 may hold spaces.
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  }
  catch {
    return 0
  }
}

export async function benchEngine(): Promise<BenchRow[]> {
  const demos = listDemos()
  const rows: BenchRow[] = []
  for (const name of SEED_DEMOS) {
    const demo = demos.find(d => d.name === name)
    if (!demo)
      continue
    const plain: number[] = []
    const traced: number[] = []
    await tracedRun(demo) // warm caches once (tsx, interpreter, page cache)
    for (let i = 0; i < ROUNDS; i++) {
      plain.push(await plainRun(demo))
      traced.push(await tracedRun(demo))
    }
    const r = median(traced) / median(plain)
    rows.push({ name: `traced run: ${demo.file}`, value: ms(median(traced)), baseline: `${ms(median(plain))} plain`, target: `≤ 1.3× (${ratio(r)})`, ok: r <= 1.3 })
  }

  let slowestPlain = 0
  for (const demo of demos)
    slowestPlain = Math.max(slowestPlain, median([await plainRun(demo), await plainRun(demo), await plainRun(demo)]))
  const cpuBefore = childrenCpuMs()
  const start = performance.now()
  // The command a user types, npm included; written elsewhere so recordings/ stays as committed.
  const record = spawnSync('npm', ['run', '--silent', 'record', '--', '--out', join(ROOT, 'node_modules/.cache/bench-recordings')], { cwd: ROOT, stdio: 'pipe' })
  const recordMs = performance.now() - start
  if (record.status !== 0)
    throw new Error(`npm run record failed:\n${record.stderr}`)
  const r = recordMs / slowestPlain
  rows.push({ name: `npm run record (${demos.length} demos)`, value: ms(recordMs), baseline: `${ms(slowestPlain)} slowest plain demo`, target: `≤ 2× (${ratio(r)})`, ok: r <= 2 })
  // However well the runs overlap, the CPU they need, spread over every core, is a floor.
  const cpuMs = childrenCpuMs() - cpuBefore
  if (cpuMs > 0) {
    const cores = availableParallelism()
    rows.push({ name: '  CPU time npm run record used', value: ms(cpuMs), baseline: `÷ ${cores} cores = ${ms(cpuMs / cores)} at best`, target: 'report' })
  }
  return rows
}
