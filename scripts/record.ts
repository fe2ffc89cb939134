/**
 * `npm run record`: run every demo under its real runtime and write `recordings/`.
 *
 *   npm run record                    every demo, under its default runtime, in parallel
 *   npm run record -- --matrix        also under every other runtime version found
 *   npm run record -- async_loop      only the named demos
 *   npm run record -- --check         re-run every committed recording whose runtime is here,
 *                                     and fail naming the demo and the difference
 *   npm run record -- --out DIR       write somewhere else than recordings/ (benchmarks)
 */
import { availableParallelism } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { diffRecordings } from '../engine/compare'
import { listDemos, REPO_ROOT, type Demo } from '../engine/demos'
import { defaultRuntimeFor, recordDemo, RuntimeMissingError, runtimesFor } from '../engine/index'
import { manifestFileOf, readAllRecordings, readManifest, readManifestRecording, RECORDINGS_DIR, recordingPath, writeJsonAtomic, type ManifestEntry } from '../engine/recordings'
import type { Recording, RuntimeInfo, StepKind } from '../engine/schema'

const { values: flags, positionals } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    matrix: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
    out: { type: 'string' },
  },
  allowPositionals: true,
})

// Demos mostly sleep: running them all at once is what keeps recording fast.
const concurrency = Math.max(1, Number(flags.concurrency) || 16)
const outDir = flags.out ? resolve(flags.out) : RECORDINGS_DIR

/** At most `limit` holders at once, served in order; `acquire` gives the function that lets go. */
function semaphore(limit: number): () => Promise<() => void> {
  let active = 0
  const waiting: (() => void)[] = []
  return async () => {
    if (active >= limit)
      await new Promise<void>(resolve => waiting.push(resolve))
    active++
    let held = true
    return () => {
      if (!held)
        return
      held = false
      active--
      waiting.shift()?.()
    }
  }
}

/** At most `limit` tasks at once; the others wait their turn, in order. */
function limiter(limit: number): <R>(task: () => Promise<R>) => Promise<R> {
  const acquire = semaphore(limit)
  return async <R>(task: () => Promise<R>): Promise<R> => {
    const release = await acquire()
    try {
      return await task()
    }
    finally {
      release()
    }
  }
}

/**
 * Programs get going one per core at a time: until a program first waits (sleeps, awaits,
 * idles) it is busy starting (interpreter, imports, debugger), and a program starved of CPU
 * then shows it in its step times, as its own clock runs on. After that they run together:
 * the demos mostly sleep.
 */
const starting = semaphore(availableParallelism())
const WAITING: ReadonlySet<StepKind> = new Set(['await', 'idle', 'block'])
async function recordWithRoom(demo: Demo, runtime: RuntimeInfo): Promise<Recording> {
  const started = await starting()
  try {
    return await recordDemo(demo, { runtime, onEvent: event => event.type === 'step' && WAITING.has(event.step.kind) && started() })
  }
  finally {
    started()
  }
}

/** Run tasks with at most `limit` at once, keeping their order in the results. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const run = limiter(limit)
  return Promise.all(items.map(item => run(() => task(item))))
}

const rel = (path: string) => relative(REPO_ROOT, path)
const label = (runtime: RuntimeInfo) => `${runtime.name} ${runtime.version}`

function summary(recording: Recording): string {
  const { run, traceback, steps } = recording
  const flagsText = [run.timedOut && 'TIMED OUT', run.truncated && 'TRUNCATED'].filter(Boolean).join(', ')
  const ending = traceback ? `${traceback.exception.type}: ${traceback.exception.message}` : `exit ${run.exitCode}`
  return `${ending}; ${steps.length} steps; ${Math.round(run.wallTimeMs)} ms${flagsText ? `; ${flagsText}` : ''}`
}

function selectedDemos(): Demo[] {
  const demos = listDemos()
  const unknown = positionals.filter(name => !demos.some(demo => demo.name === name))
  if (unknown.length) {
    console.error(`record: no demo named ${unknown.join(', ')} in demos/ (have: ${demos.map(d => d.name).join(', ')})`)
    process.exit(2)
  }
  return positionals.length ? demos.filter(demo => positionals.includes(demo.name)) : demos
}

/** Each demo's wall time in its default recording, when there is one: only a hint for the order. */
function lastWallTimes(): Map<string, number> {
  const times = new Map<string, number>()
  for (const entry of readManifest(outDir).filter(e => e.default)) {
    try {
      times.set(entry.demo, readManifestRecording(entry, outDir).run.wallTimeMs)
    }
    catch {}
  }
  return times
}

async function record(): Promise<number> {
  const demos = selectedDemos()
  let problems = 0
  let runs = 0
  const limit = limiter(concurrency)
  const runtimesOf = (demo: Demo): Promise<RuntimeInfo[]> => flags.matrix
    ? runtimesFor(demo.language)
    // Without --matrix only the default runtime is needed: the others are not even probed.
    : defaultRuntimeFor(demo.language).then(runtime => (runtime ? [runtime] : []))
  console.error(`record: ${demos.length} demos${flags.matrix ? ' under every runtime version found' : ''}, ${concurrency} runs at a time`)
  // The longest runs (as last recorded) start first, so that none is left running alone at the end.
  const lastTime = lastWallTimes()
  const expected = (demo: Demo) => lastTime.get(demo.name) ?? Number.MAX_SAFE_INTEGER // never recorded: first
  const ordered = [...demos].sort((a, b) => expected(b) - expected(a))
  const runtimesFound = new Map(ordered.map(demo => [demo.name, runtimesOf(demo)]))
  for (const found of runtimesFound.values())
    await found.catch(() => undefined)
  const written = await Promise.all(ordered.map(async (demo) => {
    const runtimes = await runtimesFound.get(demo.name)!
    if (!runtimes.length) {
      console.error(`✗ ${demo.file}: ${new RuntimeMissingError(demo.language, `no ${demo.language} runtime found`).message}; its committed recordings are kept`)
      return []
    }
    // One recording per runtime version: the same version found twice (on PATH and in
    // .runtimes/) is recorded once, with the first (default) executable.
    const versions = new Set<string>()
    const jobs = runtimes.filter((runtime) => {
      const fresh = !versions.has(label(runtime))
      versions.add(label(runtime))
      return fresh
    })
    runs += jobs.length
    return Promise.all(jobs.map(runtime => limit(async () => {
      try {
        const recording = await recordWithRoom(demo, runtime)
        const path = recordingPath(demo.name, runtime, outDir)
        writeJsonAtomic(path, recording)
        console.error(`✓ ${demo.name} · ${label(runtime)} → ${rel(path)}: ${summary(recording)}`)
        return { demo: demo.name, runtime: runtime.name, version: runtime.version, file: manifestFileOf(path, outDir), default: runtime === runtimes[0] } satisfies ManifestEntry
      }
      catch (error) {
        problems++
        console.error(`✗ ${demo.name} · ${label(runtime)}: ${(error as Error).message}`)
        return undefined
      }
    })))
  }))
  writeManifest(written.flat().filter(entry => entry !== undefined))
  console.error(`record: ${runs} runs, ${problems ? `${problems} failed` : 'all recorded'}`)
  return problems
}

/** The manifest lists every recording on disk; this run's default wins, else the old one stays. */
function writeManifest(fresh: ManifestEntry[]): void {
  const old = readManifest(outDir)
  const demos = new Set(listDemos().map(demo => demo.name))
  const entries: ManifestEntry[] = readAllRecordings(outDir)
    .filter(({ recording }) => demos.has(recording.demo.name))
    .map(({ path, recording }) => {
      const file = manifestFileOf(path, outDir)
      const freshDefault = fresh.find(entry => entry.demo === recording.demo.name && entry.default)
      const isDefault = freshDefault
        ? freshDefault.file === file
        : old.some(entry => entry.file === file && entry.default)
      return { demo: recording.demo.name, runtime: recording.runtime.name, version: recording.runtime.version, file, default: isDefault }
    })
  // A demo whose default is gone gets its newest recording as default.
  for (const demo of demos) {
    const own = entries.filter(entry => entry.demo === demo)
    if (own.length && !own.some(entry => entry.default))
      own.at(-1)!.default = true
  }
  writeJsonAtomic(join(outDir, 'manifest.json'), entries)
}

async function check(): Promise<number> {
  const demos = selectedDemos()
  const committed = readAllRecordings().filter(({ recording }) => demos.some(demo => demo.name === recording.demo.name))
  let failures = 0
  for (const demo of demos) {
    if (!committed.some(({ recording }) => recording.demo.name === demo.name)) {
      console.error(`✗ ${demo.name}: no recording in recordings/ — run \`npm run record -- ${demo.name}\``)
      failures++
    }
  }
  const results = await pool(committed, concurrency, async ({ path, recording }) => {
    const demo = demos.find(d => d.name === recording.demo.name)
    if (!demo)
      return `✗ ${rel(path)}: its demo ${recording.demo.file} no longer exists`
    if (demo.source !== recording.demo.source)
      return `✗ ${rel(path)}: ${demo.file} changed since it was recorded — run \`npm run record -- ${demo.name}\``
    const runtime = (await runtimesFor(demo.language)).find(r => r.name === recording.runtime.name && r.version === recording.runtime.version)
    if (!runtime)
      return `- ${rel(path)}: skipped, ${label(recording.runtime)} is not on this machine`
    const fresh = await recordWithRoom(demo, runtime) // run as `record` runs it
    const differences = diffRecordings(recording, fresh)
    if (differences.length)
      return `✗ ${demo.name} · ${label(runtime)} differs from ${rel(path)}:\n    ${differences.join('\n    ')}`
    return `✓ ${demo.name} · ${label(runtime)}`
  })
  for (const line of results) {
    console.error(line)
    if (line.startsWith('✗'))
      failures++
  }
  console.error(failures ? `record --check: ${failures} recording(s) out of date` : `record --check: all ${committed.length} recordings agree with fresh runs`)
  return failures
}

const problems = flags.check ? await check() : await record()
process.exitCode = problems ? 1 : 0
