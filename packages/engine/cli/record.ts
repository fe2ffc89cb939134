/**
 * `async-stacks record` (`npm run record` in a deck): run every demo under its real runtime
 * and write the recordings folder. It works on any folder: by default the current one's
 * `demos/` and `recordings/` (engine/config.ts).
 *
 *   async-stacks record                    every demo, under its default runtime, in parallel
 *   async-stacks record --matrix           also under every other runtime version found
 *   async-stacks record async_loop         only the named demos
 *   async-stacks record --check            re-run every committed recording whose runtime is
 *                                          here, and fail naming the demo and the difference
 *   async-stacks record --root my-deck     the deck in another folder
 *
 * Options:
 *   --check               compare the committed recordings with fresh runs; write nothing
 *   --matrix              every runtime version found, not only the default one
 *   --versions <list>     only these runtime versions (comma-separated; `3.8` matches 3.8.18,
 *                         `10` Node 10.24.1): re-record some of the matrix, keep the rest
 *   --root <dir>          the project: its demos/, recordings/ and .runtimes/ (default: here)
 *   --demos <dir>         the demos folder (default <root>/demos/)
 *   --recordings <dir>    the recordings folder to write (default <root>/recordings/; --out is the same)
 *   --runtimes <dir>      where `async-stacks runtimes` installed runtimes (default
 *                         <root>/.runtimes/, or $ASYNC_STACKS_RUNTIMES)
 *   --concurrency <n>     runs at a time (default 16)
 *   --help                this text
 *
 * A demo is a regular file directly in the demos folder whose extension names its runtime
 * (.py, .mjs, .js, .rs); a symbolic link, a folder or a file with another extension there
 * stops the command, naming it (dotfiles, editors' backups `*~` and README files are ignored).
 *
 * Exit codes: 0 done (a demo that does not compile is recorded, and reported with ⚠); 1 a
 * run failed or --check found a difference; 2 bad input: an unknown option, a demo that
 * does not exist, a refused entry in demos/, an invalid recordings/manifest.json.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import pLimit from 'p-limit'
import { compileFailure } from '../adapter'
import { diffRecordings } from '../compare'
import { engineConfig } from '../config'
import { DemoListError, DemosFolderError, listDemos, type Demo } from '../demos'
import { defaultRuntimeFor, recordDemo, RuntimeMissingError, runtimesFor } from '../index'
import { versionMatches } from '../recording-lookup'
import { machinePaths, manifestFileOf, readAllRecordings, readManifest, readManifestRecording, recordingPath, shownPath, writeJsonAtomic, type ManifestEntry } from '../recordings'
import { RecordingError, type Recording, type RuntimeInfo, type StepKind } from '../schema'
import { optionList, parseCommandLine, UsageError, type OptionSpec } from './options'

const OPTIONS = {
  'check': { type: 'boolean', default: false },
  'matrix': { type: 'boolean', default: false },
  'versions': { type: 'string', multiple: true, value: '<list>' },
  'root': { type: 'string', value: '<dir>' },
  'demos': { type: 'string', value: '<dir>' },
  'runtimes': { type: 'string', value: '<dir>' },
  'recordings': { type: 'string', value: '<dir>' },
  'out': { type: 'string', value: '<dir>' },
  'concurrency': { type: 'string', default: '16', value: '<n>' },
  'help': { type: 'boolean', short: 'h', default: false },
} satisfies Record<string, OptionSpec>

function parseOptions(argv: string[]) {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, true)
  // Demos mostly sleep: running them all at once is what keeps recording fast.
  const concurrency = Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency takes a whole number of runs at a time (1 or more), not ${JSON.stringify(values.concurrency)}`)
  if (values.out !== undefined && values.recordings !== undefined && resolve(values.out) !== resolve(values.recordings))
    throw new UsageError('--out and --recordings are the same option: give one')
  const named = positionals.filter(name => name.startsWith('-'))
  if (named.length)
    throw new UsageError(`unknown option ${named[0]} (options: ${optionList(OPTIONS)})`)
  const versions = (values.versions ?? []).flatMap(list => list.split(',')).map(version => version.trim()).filter(Boolean)
  if (values.versions && !versions.length)
    throw new UsageError('--versions takes runtime versions, comma-separated: --versions 3.8,3.9')
  const recordings = values.recordings ?? values.out
  return {
    help: values.help,
    check: values.check,
    // --versions picks among every version found, as --matrix does.
    matrix: values.matrix || versions.length > 0,
    versions,
    config: engineConfig({ root: values.root, demos: values.demos, recordings, runtimes: values.runtimes }),
    concurrency,
    names: positionals,
  }
}

type Options = ReturnType<typeof parseOptions>

/**
 * Programs get going one per core at a time: until a program first waits (sleeps, awaits,
 * idles) it is busy starting (interpreter, imports, debugger), and a program starved of CPU
 * then shows it in its step times, as its own clock runs on. After that they run together:
 * the demos mostly sleep. A slot is held until the program's first wait (or its end).
 */
const starting = pLimit(availableParallelism())
const WAITING: ReadonlySet<StepKind> = new Set(['await', 'idle', 'block'])
/** The talk's moment to look from outside: while blow_up awaits its sleep (CPython 3.14+; ignored elsewhere). */
const PSTREE_AT = 'blow_up'
function recordWithRoom(demo: Demo, runtime: RuntimeInfo): Promise<Recording> {
  return new Promise((resolve, reject) => {
    void starting(() => new Promise<void>((started) => {
      recordDemo(demo, { runtime, pstreeAt: PSTREE_AT, onEvent: event => event.type === 'step' && WAITING.has(event.step.kind) && started() })
        .then(resolve, reject)
        .finally(started)
    }))
  })
}

/** Run tasks with at most `limit` at once, keeping their order in the results. */
function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const run = pLimit(limit)
  return Promise.all(items.map(item => run(() => task(item))))
}

const rel = shownPath
const label = (runtime: Pick<RuntimeInfo, 'name' | 'version'>) => `${runtime.name} ${runtime.version}`
/** `--versions 3.8`: 3.8 and 3.8.x; `--versions 10`: 10.x.y. */
const wantedVersion = (version: string, wanted: string[]) => !wanted.length || wanted.some(w => versionMatches(version, w))

function summary(recording: Recording): string {
  const { run, traceback, steps } = recording
  const flagsText = [run.timedOut && 'TIMED OUT', run.truncated && 'TRUNCATED'].filter(Boolean).join(', ')
  const ending = traceback ? `${traceback.exception.type}: ${traceback.exception.message}` : `exit ${run.exitCode}`
  return `${ending}; ${steps.length} steps; ${Math.round(run.wallTimeMs)} ms${flagsText ? `; ${flagsText}` : ''}`
}

/** The demos to work on: all of them, or the ones named (each must exist). Listing refuses links and stray files. */
function selectedDemos(options: Options): Demo[] {
  const demos = listDemos(options.config.demosDir)
  const unknown = options.names.filter(name => !demos.some(demo => demo.name === name))
  if (unknown.length)
    throw new UsageError(`no demo named ${unknown.join(', ')} in ${shownPath(options.config.demosDir)}/ (have: ${demos.map(d => d.name).join(', ') || 'none'})`)
  return options.names.length ? demos.filter(demo => options.names.includes(demo.name)) : demos
}

/** Each demo's wall time in its default recording, when there is one: only a hint for the order. */
function lastWallTimes(manifest: ManifestEntry[], dir: string): Map<string, number> {
  const times = new Map<string, number>()
  for (const entry of manifest.filter(e => e.default)) {
    try {
      times.set(entry.demo, readManifestRecording(entry, dir).run.wallTimeMs)
    }
    catch {} // a recording that cannot be read is only a missing hint here; writing the manifest reads them all again
  }
  return times
}

async function record(options: Options): Promise<number> {
  const demos = selectedDemos(options)
  const dir = options.config.recordingsDir
  const manifest = readManifest(dir) // an invalid one stops here, before anything runs
  let problems = 0
  let runs = 0
  const notCompiled: string[] = []
  const limit = pLimit(options.concurrency)
  const runtimesOf = (demo: Demo): Promise<RuntimeInfo[]> => options.matrix
    ? runtimesFor(demo.language, options.config.runtimesDir)
    // Without --matrix only the default runtime is needed: the others are not even probed.
    : defaultRuntimeFor(demo.language, options.config.runtimesDir).then(runtime => (runtime ? [runtime] : []))
  const which = options.versions.length ? ` under runtime versions ${options.versions.join(', ')}` : options.matrix ? ' under every runtime version found' : ''
  console.error(`record: ${demos.length} demos${which}, ${options.concurrency} runs at a time`)
  // The longest runs (as last recorded) start first, so that none is left running alone at the end.
  const lastTime = lastWallTimes(manifest, dir)
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
      return fresh && wantedVersion(runtime.version, options.versions)
    })
    runs += jobs.length
    return Promise.all(jobs.map(runtime => limit(async () => {
      try {
        const recording = await recordWithRoom(demo, runtime)
        const path = recordingPath(demo.name, runtime, dir)
        // Nothing of this machine goes into a recording (the engine rewrites paths; this is the last check).
        const leaks = machinePaths(recording, options.config.root)
        if (leaks.length)
          throw new Error(`the recording would keep ${leaks.length > 1 ? `${leaks.length} paths` : 'a path'} of this machine, so it was not written: ${leaks.slice(0, 3).join('; ')}`)
        writeJsonAtomic(path, recording)
        const failure = compileFailure(recording)
        if (failure) {
          notCompiled.push(demo.name)
          console.error(`⚠ ${demo.name} · ${label(runtime)} → ${rel(path)}: ${failure} — recorded`)
        }
        else {
          console.error(`✓ ${demo.name} · ${label(runtime)} → ${rel(path)}: ${summary(recording)}`)
        }
        // The default recording is the default runtime's, even when --versions left it out.
        return { demo: demo.name, runtime: runtime.name, version: runtime.version, file: manifestFileOf(path, dir), default: runtime === runtimes[0] } satisfies ManifestEntry
      }
      catch (error) {
        problems++
        console.error(`✗ ${demo.name} · ${label(runtime)}: ${(error as Error).message}`)
        return undefined
      }
    })))
  }))
  writeManifest(written.flat().filter(entry => entry !== undefined), manifest, options)
  const compiled = notCompiled.length ? ` (${notCompiled.length} did not compile)` : ''
  console.error(`record: ${runs} runs, ${problems ? `${problems} failed` : 'all recorded'}${compiled}`)
  return problems
}

/** The manifest lists every recording on disk; this run's default wins, else the old one stays. */
function writeManifest(fresh: ManifestEntry[], old: ManifestEntry[], options: Options): void {
  const dir = options.config.recordingsDir
  const demos = new Set(listDemos(options.config.demosDir).map(demo => demo.name))
  const entries: ManifestEntry[] = readAllRecordings(dir)
    .filter(({ recording }) => demos.has(recording.demo.name))
    .map(({ path, recording }) => {
      const file = manifestFileOf(path, dir)
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
  writeJsonAtomic(resolve(dir, 'manifest.json'), entries)
}

async function check(options: Options): Promise<number> {
  const demos = selectedDemos(options)
  readManifest(options.config.recordingsDir) // validated: an invalid manifest fails the check
  const committed = readAllRecordings(options.config.recordingsDir)
    .filter(({ recording }) => demos.some(demo => demo.name === recording.demo.name) && wantedVersion(recording.runtime.version, options.versions))
  let failures = 0
  for (const demo of demos) {
    if (!committed.some(({ recording }) => recording.demo.name === demo.name) && !options.versions.length) {
      console.error(`✗ ${demo.name}: no recording in recordings/ — run \`npm run record -- ${demo.name}\``)
      failures++
    }
  }
  const results = await pool(committed, options.concurrency, async ({ path, recording }) => {
    const demo = demos.find(d => d.name === recording.demo.name)
    if (!demo)
      return `✗ ${rel(path)}: its demo ${recording.demo.file} no longer exists`
    if (demo.source !== recording.demo.source)
      return `✗ ${rel(path)}: ${demo.file} changed since it was recorded — run \`npm run record -- ${demo.name}\``
    const leaks = machinePaths(recording, options.config.root)
    if (leaks.length)
      return `✗ ${rel(path)} keeps a path of the machine it was recorded on — run \`npm run record -- ${demo.name}\`: ${leaks[0]}`
    const runtime = (await runtimesFor(demo.language, options.config.runtimesDir)).find(r => r.name === recording.runtime.name && r.version === recording.runtime.version)
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

/** Bad input, one line: a missing demos folder or a refused entry in it, an invalid manifest, an unknown option or demo. */
function isInputError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof DemoListError || error instanceof DemosFolderError || error instanceof RecordingError
}

/** The command: its exit code (0 done, 1 a run failed or --check differs, 2 bad input). */
export async function main(argv: string[]): Promise<number> {
  let options: Options
  try {
    options = parseOptions(argv)
    if (options.help) {
      const doc = readFileSync(new URL(import.meta.url), 'utf8').match(/\/\*\*([\s\S]*?)\*\//)![1]!
      console.log(doc.replace(/^ \* ?/gm, '').trim())
      return 0
    }
    return (options.check ? await check(options) : await record(options)) ? 1 : 0
  }
  catch (error) {
    if (isInputError(error)) {
      console.error(`record: ${error.message}`)
      return 2
    }
    // Not foreseen: its message, and the stack only when asked for (RECORD_DEBUG=1).
    console.error(`record failed: ${(error as Error).message ?? String(error)}`)
    if (process.env.RECORD_DEBUG)
      console.error((error as Error).stack)
    return 1
  }
}

