/**
 * CPython: every interpreter >= 3.6 on this machine, and traced runs through
 * `engine/python/tracer.py` (its header documents how the demo runs and the events it
 * writes on fd 3). The traced run prints exactly what a plain `python3 demos/x.py` prints;
 * the steps, the logical asyncio stacks and the structured exception come on the side.
 */
import { readdirSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PlainCommand, RecordOptions, RunFindings, TraceContext, TraceOutcome } from '../adapter'
import { engineConfig } from '../config'
import type { Demo } from '../demos'
import { recordTraced, withPipeline } from '../pipeline'
import { portablePaths, portableValue } from '../portable'
import type { OutsideView, Recording, RuntimeInfo, Step, Traceback } from '../schema'
import { isExecutable, spawnLimited, streamText, type LimitedSpawnResult } from '../spawn'
import { lineOffsets } from '../line-offsets'
import { onPath } from '../path-lookup'
import { compareVersions } from '../versions'
import { frameOf, runTracer, SourceLines, tracerNotes } from '../tracer-protocol'

const BOOT_DIR = fileURLToPath(new URL('./boot', import.meta.url))
export const MIN_VERSION: [number, number] = [3, 6]

// --- discovery -----------------------------------------------------------------------

/** Runs under Python 2 as well, so that a `python3.X` that is something else is told apart. */
const PROBE = [
  'import sys, json',
  'v = sys.version_info',
  'level = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v[3])',
  'impl = getattr(getattr(sys, "implementation", None), "name", "cpython")',
  'print(json.dumps({"impl": impl, "major": v[0], "minor": v[1], "executable": sys.executable,',
  '  "version": "%d.%d.%d" % tuple(v[:3]) + (level + str(v[4]) if level else "")}))',
].join('\n')

interface Probe { impl: string, major: number, minor: number, executable: string, version: string }

function realOrSelf(path: string): string {
  try {
    return realpathSync(path)
  }
  catch {
    return path
  }
}

/** The `python3` a shell would run: the first on PATH, or null. */
export function python3OnPath(env: NodeJS.ProcessEnv = process.env): string | null {
  return onPath('python3', env)
}

/** `python3` first, then every `python3.X` on PATH, then pyenv's, uv's and `.runtimes/`'s. Nothing is assumed to exist. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env, runtimesDir = engineConfig().runtimesDir): string[] {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean)
  const found: string[] = []
  const python3 = python3OnPath(env)
  if (python3)
    found.push(python3)
  for (const dir of dirs) {
    let names: string[]
    try {
      names = readdirSync(dir)
    }
    catch {
      continue
    }
    for (const name of names.filter(n => /^python3\.\d+$/.test(n)).sort(byVersionSuffix))
      found.push(join(dir, name))
  }
  const pyenvRoot = env.PYENV_ROOT || join(env.HOME || homedir(), '.pyenv')
  let versions: string[] = []
  try {
    versions = readdirSync(join(pyenvRoot, 'versions'))
  }
  catch {}
  for (const version of versions.sort()) {
    for (const name of ['python3', 'python']) {
      const path = join(pyenvRoot, 'versions', version, 'bin', name)
      if (isExecutable(path)) {
        found.push(path)
        break
      }
    }
  }
  found.push(...installedPythons(env, runtimesDir))
  return found.filter(isExecutable).filter((path, i, all) => all.indexOf(path) === i)
}

/**
 * uv's managed interpreters (`uv python install`), and the ones `npm run runtimes` put in the
 * runtimes folder's `python-*` (CPython 3.14 from Debian unstable: python/debian-cpython.ts).
 */
function installedPythons(env: NodeJS.ProcessEnv, runtimes: string): string[] {
  const home = env.HOME || homedir()
  const uvDir = env.UV_PYTHON_INSTALL_DIR || join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'uv', 'python')
  const found: string[] = []
  const list = (dir: string) => {
    try {
      return readdirSync(dir).sort()
    }
    catch {
      return []
    }
  }
  for (const name of list(uvDir).filter(n => n.startsWith('cpython-')))
    found.push(join(uvDir, name, 'bin', 'python3'))
  for (const name of list(runtimes).filter(n => /^python-\d+\.\d+$/.test(n)))
    found.push(join(runtimes, name, 'bin', `python${name.slice('python-'.length)}`))
  return found
}

function byVersionSuffix(a: string, b: string): number {
  return Number(a.split('.')[1]) - Number(b.split('.')[1])
}

async function probe(candidate: string, from: NodeJS.ProcessEnv): Promise<Probe | null> {
  // pyenv's shims need to know where pyenv is and which version is selected.
  const env: Record<string, string> = {}
  for (const key of ['PYENV_ROOT', 'PYENV_VERSION']) {
    if (from[key])
      env[key] = from[key]!
  }
  // -S: no `site` (nor the .pth files it runs): a tenth of a second less, the same answer.
  const run = spawnLimited({ command: candidate, args: ['-S', '-c', PROBE], cwd: process.cwd(), env, timeoutMs: 15_000, outputCapBytes: 64 * 1024 })
  const result = await run.done
  if (result.exitCode !== 0 || result.spawnError)
    return null
  try {
    const found = JSON.parse(streamText(result.output, 'stdout').trim()) as Probe
    return typeof found.executable === 'string' && found.executable ? found : null
  }
  catch {
    return null
  }
}

function isSupported(found: Probe | null): found is Probe {
  return found !== null && found.impl === 'cpython'
    && (found.major > MIN_VERSION[0] || (found.major === MIN_VERSION[0] && found.minor >= MIN_VERSION[1]))
}

/** `discoverPythons()[0]`: the `python3` on PATH when it will do, probed alone. */
export async function discoverDefaultPython(env: NodeJS.ProcessEnv = process.env, runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo | null> {
  const python3 = python3OnPath(env)
  const found = python3 ? await probe(python3, env) : null
  if (isSupported(found))
    return { name: 'CPython', version: found.version, executable: found.executable }
  return (await discoverPythons(env, runtimesDir))[0] ?? null
}

/** Every CPython >= 3.6 here, deduplicated by real path; the `python3` on PATH first. */
export async function discoverPythons(env: NodeJS.ProcessEnv = process.env, runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo[]> {
  const candidates = pythonCandidates(env, runtimesDir)
  const python3 = python3OnPath(env)
  // The same binary under two names is probed once (a shim is a script: its own real path).
  const unique = candidates.filter((path, i) => candidates.findIndex(other => realOrSelf(other) === realOrSelf(path)) === i)
  const probes = await Promise.all(unique.map(path => probe(path, env)))
  const seen = new Set<string>()
  const found: { runtime: RuntimeInfo, isDefault: boolean }[] = []
  probes.forEach((result, i) => {
    if (!isSupported(result))
      return
    const real = realOrSelf(result.executable)
    if (seen.has(real))
      return
    seen.add(real)
    found.push({
      runtime: { name: 'CPython', version: result.version, executable: result.executable },
      isDefault: unique[i] === python3,
    })
  })
  const rest = found.filter(f => !f.isDefault).map(f => f.runtime).sort((a, b) => compareVersions(b.version, a.version))
  return [...found.filter(f => f.isDefault).map(f => f.runtime), ...rest]
}

// --- the printed traceback -------------------------------------------------------------

export interface PrintedFrame { file: string, line: number, function: string }
export interface PrintedTraceback { frames: PrintedFrame[], exceptionLine: string | null }

const HEADER = /^(?:( {2}\+ )(?:Exception Group )?)?Traceback \(most recent call last\):$/
const CHAIN_SEPARATORS = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
]

/**
 * The frames of the last (outermost) exception in a printed traceback, as Python prints
 * them, `[Previous line repeated N more times]` expanded; and its `Type: message` line.
 */
export function parsePrintedTraceback(text: string): PrintedTraceback {
  const lines = text.split('\n')
  let start = -1
  let prefix = ''
  for (let i = lines.length - 1; i >= 0; i--) {
    const header = HEADER.exec(lines[i]!)
    if (header) {
      start = i
      prefix = header[1] ? '  | ' : ''
      break
    }
  }
  if (start < 0) {
    // A SyntaxError in the main file has no header and no frames.
    const last = lines.filter(l => l && !l.startsWith(' ')).at(-1) ?? null
    return { frames: [], exceptionLine: last }
  }
  const frames: PrintedFrame[] = []
  const frameLine = /^ {2}File "(.*)", line (\d+), in (.*)$/
  const repeated = /^ {2}\[Previous line repeated (\d+) more times?\]$/
  let exceptionLine: string | null = null
  for (let i = start + 1; i < lines.length; i++) {
    const raw = lines[i]!
    if (!raw.startsWith(prefix)) {
      break
    }
    const line = raw.slice(prefix.length)
    const frame = frameLine.exec(line)
    const again = repeated.exec(line)
    if (frame) {
      frames.push({ file: frame[1]!, line: Number(frame[2]), function: frame[3]! })
    }
    else if (again && frames.length) {
      for (let n = Number(again[1]); n > 0; n--)
        frames.push({ ...frames.at(-1)! })
    }
    else if (!line.startsWith('  ')) {
      exceptionLine = line
      break
    }
  }
  return { frames, exceptionLine }
}

/**
 * Where the uncaught exception's text starts in stderr when the tracer could not say:
 * the last top-level `Traceback` header, with the chained exceptions printed before it;
 * else the last `  File "…", line N` block (a SyntaxError in the demo itself).
 */
export function findTracebackStart(stderr: string): number {
  const lines = stderr.split('\n')
  const offsets = lineOffsets(lines)
  let i = lines.length - 1
  while (i >= 0 && !HEADER.test(lines[i]!)) i--
  if (i >= 0) {
    // Walk back over "During handling of the above exception…" to the first of the chain.
    for (;;) {
      if (i >= 3 && lines[i - 1] === '' && CHAIN_SEPARATORS.includes(lines[i - 2]!) && lines[i - 3] === '') {
        let j = i - 4
        while (j >= 0 && !HEADER.test(lines[j]!)) j--
        if (j < 0)
          break
        i = j
        continue
      }
      break
    }
    return offsets[i]!
  }
  for (let k = lines.length - 1; k >= 0; k--) {
    if (/^ {2}File ".*", line \d+/.test(lines[k]!))
      return offsets[k]!
  }
  return -1
}

// --- the traced run --------------------------------------------------------------------

export class PythonTracebackMismatch extends Error {}

/**
 * The command of a traced run: exactly `plainCommand`, with the tracer loaded at start-up
 * as `sitecustomize` from boot/ (what `tracer.py`'s `launch` sets up when run by hand,
 * without the extra interpreter start). The pinned environment has no PYTHONPATH of its own.
 */
export function tracedCommand(demo: Demo, runtime: RuntimeInfo): { command: string, args: string[], env: Record<string, string> } {
  return {
    command: runtime.executable,
    args: [demo.absPath],
    env: { PYTHONPATH: BOOT_DIR, TRACE_PREVIOUS_PYTHONPATH: 'unset', TRACE_DEMO: demo.absPath, TRACE_EVENTS_FD: '3' },
  }
}

/** `record`, also returning the run as spawnLimited saw it (the output before paths are rewritten). */
export function recordRun(options: RecordOptions): Promise<{ recording: Recording, run: LimitedSpawnResult }> {
  return recordTraced(pythonAdapter, options)
}

/** The tracer loaded in the program (it says hello) and what it saw; a run without it is refused. */
async function trace(context: TraceContext): Promise<TraceOutcome> {
  const { demo, runtime } = context
  const traced = tracedCommand(demo, runtime)
  const pstreeAt = context.pstreeAt !== undefined && hasPstree(runtime) ? context.pstreeAt : undefined
  if (pstreeAt !== undefined)
    traced.env.TRACE_HOLD_IDLE = '1'
  let outsideView: OutsideView | undefined
  let outsideRun: Promise<void> | null = null
  // Held at an idle step: the first one with `pstreeAt` in a task's chain gets looked at from outside.
  const onHeld = (step: Step, release: () => void, pid: number | undefined) => {
    const wanted = pstreeAt !== undefined && !outsideRun
      && !!step.asyncChains?.some(chain => chain.frames.some(frame => frame.isUser && frame.function === pstreeAt))
    if (!wanted || !pid)
      return release()
    outsideRun = pstree(runtime, pid, step.index, context.signal).then((view) => {
      outsideView = view
      context.onOutsideView(view)
    }).finally(release)
  }
  const { run, report } = await runTracer({ ...traced, onHeld }, context).done
  await outsideRun
  const killed = run.timedOut || run.truncated || run.cancelled
  const { hello } = report
  if (!hello && !killed && !run.spawnError) {
    const stderr = streamText(run.output, 'stderr').trim().split('\n').slice(-5).join('\n')
    const said = report.warnings.length ? ` (${report.warnings.join('; ')})` : ''
    throw new Error(`the Python tracer did not start under ${runtime.executable} (exit ${run.exitCode ?? run.signal}) for ${demo.file}${said}${stderr ? `:\n${stderr}` : ''}`)
  }
  return {
    run,
    runtime: hello?.impl && hello.version && hello.executable ? { name: hello.impl, version: hello.version, executable: hello.executable } : undefined,
    notes: tracerNotes(report, demo, run.exitCode, killed),
    tracer: report,
    outsideView,
  }
}

/** The uncaught exception the tracer saw, its text exactly as printed. */
function parseTraceback({ demo, outcome, stderr }: RunFindings): Traceback | null {
  const exc = outcome.tracer?.exc
  if (!exc)
    return null
  let start = exc.printed ? stderr.lastIndexOf(exc.printed) : -1
  if (start < 0)
    start = findTracebackStart(stderr)
  if (start < 0 && exc.compile)
    start = 0 // e.g. 3.9+: `SyntaxError: Non-UTF-8 code …` is all it prints
  const text = portablePaths(start >= 0 ? stderr.slice(start) : (exc.printed ?? ''), demo)
  const sources = new SourceLines(demo)
  const frames = exc.frames.map(([file, line, column, name, source]) => portableValue({ ...frameOf([file, line, column, name], demo, sources), source }, demo))
  // null: the message comes from the demo's own __str__, which the tracer does not call; the printed line has it.
  const printedLine = parsePrintedTraceback(text).exceptionLine ?? ''
  const message = exc.msg ?? (printedLine.startsWith(`${exc.type}: `) ? printedLine.slice(exc.type.length + 2) : '')
  return { text, exception: { type: exc.type, message }, frames }
}

/** The printed traceback and the interpreter's traceback objects must tell the same story: a disagreement is the tracer's bug, thrown. */
function crossCheck(traceback: Traceback, { demo, outcome }: RunFindings): null {
  // A demo's own sys.excepthook prints what it likes: nothing to hold it to.
  if (outcome.run.truncated || outcome.tracer?.exc?.hook === 'custom')
    return null
  const printed = parsePrintedTraceback(traceback.text)
  const said = printed.frames.map(f => `${f.function} (${f.file}:${f.line})`)
  const known = traceback.frames.map(f => `${f.function} (${f.file}:${f.line})`)
  const problems: string[] = []
  if (said.join('\n') !== known.join('\n'))
    problems.push(`printed frames [${said.join(' → ')}] but the traceback objects have [${known.join(' → ')}]`)
  const { type, message } = traceback.exception
  const line = printed.exceptionLine
  const firstLine = message.split('\n')[0]!
  const expected = message ? `${type}: ${firstLine}` : type
  if (line === null || !(line === expected || line.startsWith(`${type}: `) || line === type))
    problems.push(`printed exception line ${JSON.stringify(line)}, expected ${JSON.stringify(expected)}`)
  if (problems.length)
    throw new PythonTracebackMismatch(`python adapter: the traceback printed for ${demo.file} disagrees with the interpreter's own: ${problems.join('; ')}`)
  return null
}

/** `python -m asyncio ps|pstree <pid>` came with CPython 3.14. */
export function hasPstree(runtime: Pick<RuntimeInfo, 'version'>): boolean {
  const [major = 0, minor = 0] = runtime.version.split('.').map(Number)
  return major > 3 || (major === 3 && minor >= 14)
}

const PTRACE_REFUSED = /Operation not permitted|Permission denied|PermissionError|EPERM/i

/**
 * `python3.14 -m asyncio pstree <pid>` against the program's own PID (never another: the
 * caller passes the PID of the process it spawned), with an argument array, a 5 s timeout
 * and a 64 KiB cap. It reads the program's memory, which needs ptrace permission.
 */
export async function pstree(runtime: RuntimeInfo, pid: number, atStep: number, signal?: AbortSignal): Promise<OutsideView> {
  const [major, minor] = runtime.version.split('.')
  const args = ['-m', 'asyncio', 'pstree', String(pid)]
  const result = await spawnLimited({ command: runtime.executable, args, cwd: process.cwd(), timeoutMs: 5_000, outputCapBytes: 64 * 1024, signal }).done
  const stdout = streamText(result.output, 'stdout')
  const stderr = streamText(result.output, 'stderr')
  let note: string | null = null
  if (result.spawnError)
    note = `could not start ${runtime.executable}: ${result.spawnError}`
  else if (result.timedOut)
    note = 'pstree did not answer within 5 s: killed'
  else if (PTRACE_REFUSED.test(stderr))
    note = 'the system did not let pstree read the program\'s memory: it needs ptrace permission (Linux: the same user and kernel.yama.ptrace_scope 0, or CAP_SYS_PTRACE, which root has; macOS: root)'
  else if (result.exitCode !== 0)
    note = `pstree exited with ${result.exitCode ?? result.signal}`
  return { command: [`python${major}.${minor}`, ...args], atStep, stdout, stderr, exitCode: result.exitCode, note }
}

function plainCommand(demo: Demo, runtime: RuntimeInfo): PlainCommand {
  return { command: runtime.executable, args: [demo.absPath], display: ['python3', demo.file] }
}

export const pythonAdapter = withPipeline({
  language: 'python',
  discover: runtimesDir => discoverPythons(process.env, runtimesDir),
  discoverDefault: runtimesDir => discoverDefaultPython(process.env, runtimesDir),
  plainCommand,
  trace,
  parseTraceback,
  crossCheck,
  compileError: ({ outcome }) => outcome.tracer?.exc?.compile ? outcome.tracer.exc.type : null,
})

export default pythonAdapter
