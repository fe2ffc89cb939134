/**
 * CPython: every interpreter >= 3.6 on this machine, and traced runs through
 * `engine/python/tracer.py` (its header documents how the demo runs and the events it
 * writes on fd 3). The traced run prints exactly what a plain `python3 demos/x.py` prints;
 * the steps, the logical asyncio stacks and the structured exception come on the side.
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pathRewrites, portablePaths, type PlainCommand, type RecordOptions, type RuntimeAdapter } from '../adapter'
import { REPO_ROOT, type Demo } from '../demos'
import {
  RecordingSchema, SCHEMA_VERSION,
  type AsyncChain, type Frame, type OutputChunk, type OutsideView, type Recording, type RuntimeInfo, type Step, type StepKind, type Traceback,
} from '../schema'
import { DEFAULT_OUTPUT_CAP_BYTES, DEFAULT_TIMEOUT_MS, isExecutable, readJsonLines, round, spawnLimited, streamText, type LimitedSpawnResult } from '../spawn'

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
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const python3 = join(dir, 'python3')
    if (isExecutable(python3))
      return python3
  }
  return null
}

/** `python3` first, then every `python3.X` on PATH, then pyenv's, uv's and `.runtimes/`'s. Nothing is assumed to exist. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
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
  found.push(...installedPythons(env))
  return found.filter(isExecutable).filter((path, i, all) => all.indexOf(path) === i)
}

/**
 * uv's managed interpreters (`uv python install`), and the ones `npm run runtimes` put in the
 * project's `.runtimes/python-*` (CPython 3.14 from Debian unstable: scripts/lib/debian-cpython.ts).
 */
function installedPythons(env: NodeJS.ProcessEnv): string[] {
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
  const runtimes = join(REPO_ROOT, '.runtimes')
  for (const name of list(runtimes).filter(n => /^python-\d+\.\d+$/.test(n)))
    found.push(join(runtimes, name, 'bin', `python${name.slice('python-'.length)}`))
  return found
}

function byVersionSuffix(a: string, b: string): number {
  return Number(a.split('.')[1]) - Number(b.split('.')[1])
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.a-z]+/).map(Number)
  const pb = b.split(/[.a-z]+/).map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d)
      return d
  }
  return 0
}

async function probe(candidate: string, from: NodeJS.ProcessEnv): Promise<Probe | null> {
  // pyenv's shims need to know where pyenv is and which version is selected.
  const env: Record<string, string> = {}
  for (const key of ['PYENV_ROOT', 'PYENV_VERSION']) {
    if (from[key])
      env[key] = from[key]!
  }
  // -S: no `site` (nor the .pth files it runs): a tenth of a second less, the same answer.
  const run = spawnLimited({ command: candidate, args: ['-S', '-c', PROBE], cwd: REPO_ROOT, env, timeoutMs: 15_000, outputCapBytes: 64 * 1024 })
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
export async function discoverDefaultPython(env: NodeJS.ProcessEnv = process.env): Promise<RuntimeInfo | null> {
  const python3 = python3OnPath(env)
  const found = python3 ? await probe(python3, env) : null
  if (isSupported(found))
    return { name: 'CPython', version: found.version, executable: found.executable }
  return (await discoverPythons(env))[0] ?? null
}

/** Every CPython >= 3.6 here, deduplicated by real path; the `python3` on PATH first. */
export async function discoverPythons(env: NodeJS.ProcessEnv = process.env): Promise<RuntimeInfo[]> {
  const candidates = pythonCandidates(env)
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
  const offsets: number[] = []
  let at = 0
  for (const line of lines) {
    offsets.push(at)
    at += line.length + 1
  }
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

type TracerFrame = [file: string, line: number | null, column: number | null, name: string]
interface HelloEvent { e: 'hello', impl: string, version: string, executable: string, demo: string, backend: string, maxSteps: number }
interface StepEvent { e: 'step', i: number, k: StepKind, t: number, s: TracerFrame[], a: { l: string, c: boolean, s: TracerFrame[], w: string | null }[] | null, d: string | null, g?: { l: string, t: boolean, s: TracerFrame[], b: string[] }[], h?: 1 }
interface CappedEvent { e: 'capped', n: number, why: string }
interface ExcEvent { e: 'exc', type: string, msg: string | null, frames: [string, number | null, number | null, string, string | null][], printed: string | null, compile: boolean, hook: 'default' | 'custom' | 'unknown' }
interface EndEvent { e: 'end', exit: number, started: boolean, steps: number, capped: boolean, overheadMs: number, skipped: number }
interface WarnEvent { e: 'warn', msg: string }
type TracerEvent = HelloEvent | StepEvent | CappedEvent | ExcEvent | EndEvent | WarnEvent

class Sources {
  private files = new Map<string, string[] | null>()
  constructor(private demo: Demo) {}

  line(file: string, line: number | null): string | null {
    if (!line || line < 1)
      return null
    let lines = this.files.get(file)
    if (lines === undefined) {
      try {
        lines = (file === this.demo.absPath ? this.demo.source : readFileSync(file, 'utf8')).split(/\r?\n/)
      }
      catch {
        lines = null
      }
      this.files.set(file, lines)
    }
    return lines?.[line - 1]?.trim() || null
  }
}

/** Makes output portable as it streams, holding back a tail that could be the start of a path to rewrite. */
class OutputRelativizer {
  private pending: Record<OutputChunk['stream'], { text: string, atMs: number } | null> = { stdout: null, stderr: null }
  readonly chunks: OutputChunk[] = []
  private readonly needles: string[]
  constructor(private demo: Demo, private emit: (chunk: OutputChunk) => void) {
    this.needles = pathRewrites(demo).map(([from]) => from)
  }

  push(chunk: OutputChunk): void {
    const held = this.pending[chunk.stream]
    const text = (held?.text ?? '') + chunk.text
    let keep = 0
    for (const needle of this.needles) {
      for (let k = Math.min(needle.length - 1, text.length); k > keep; k--) {
        if (text.endsWith(needle.slice(0, k))) {
          keep = k
          break
        }
      }
    }
    this.pending[chunk.stream] = keep ? { text: text.slice(text.length - keep), atMs: held?.atMs ?? chunk.atMs } : null
    this.out(chunk.stream, text.slice(0, text.length - keep), held?.atMs ?? chunk.atMs)
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const held = this.pending[stream]
      this.pending[stream] = null
      if (held)
        this.out(stream, held.text, held.atMs)
    }
  }

  private out(stream: OutputChunk['stream'], raw: string, atMs: number): void {
    if (!raw)
      return
    const chunk: OutputChunk = { stream, atMs, text: portablePaths(raw, this.demo) }
    this.emit(chunk)
    const last = this.chunks.at(-1)
    // Like spawnLimited: consecutive pieces of one stream within 1 ms are one chunk.
    if (last && last.stream === stream && atMs - last.atMs < 1)
      last.text += chunk.text
    else
      this.chunks.push({ ...chunk })
  }
}

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

/** `record`, also returning the run as spawnLimited saw it (the output before relativizing). */
export async function recordRun(options: RecordOptions): Promise<{ recording: Recording, run: LimitedSpawnResult }> {
  const { demo, runtime } = options
  if (!isExecutable(runtime.executable))
    throw new Error(`the Python interpreter ${runtime.executable} (${runtime.name} ${runtime.version}) is not there any more or is not executable: cannot record ${demo.file}`)
  const plain = plainCommand(demo, runtime)
  options.onEvent?.({ type: 'start', demo: demo.name, runtime, command: plain.display })

  const sources = new Sources(demo)
  const rel = (text: string) => portablePaths(text, demo)
  const toFrame = ([file, line, column, name]: TracerFrame): Frame => ({
    function: name,
    file: rel(file),
    line,
    column,
    source: sources.line(file, line),
    isUser: file === demo.absPath,
    isAsync: false,
  })

  const output = new OutputRelativizer(demo, chunk => options.onEvent?.({ type: 'output', chunk }))
  const traced = tracedCommand(demo, runtime)
  const pstreeAt = options.pstreeAt !== undefined && hasPstree(runtime) ? options.pstreeAt : undefined
  if (pstreeAt !== undefined)
    traced.env.TRACE_HOLD_IDLE = '1'
  const run = spawnLimited({
    ...traced,
    cwd: REPO_ROOT,
    timeoutMs: options.timeoutMs,
    outputCapBytes: options.outputCapBytes,
    extraPipes: 1,
    onOutput: chunk => output.push(chunk),
    signal: options.signal,
  })

  const steps: Step[] = []
  const warnings: string[] = []
  const got: { hello?: HelloEvent, capped?: CappedEvent, exc?: ExcEvent, end?: EndEvent } = {}
  let outsideView: OutsideView | undefined
  let outsideRun: Promise<void> | null = null
  const go = () => {
    try {
      run.extra[0]!.write('g')
    }
    catch {} // the program is gone: nothing to let go
  }
  // Held at an idle step: the first one with `pstreeAt` in a task's chain gets looked at from outside.
  const held = (step: Step) => {
    const wanted = pstreeAt !== undefined && !outsideRun
      && !!step.asyncChains?.some(chain => chain.frames.some(frame => frame.isUser && frame.function === pstreeAt))
    if (!wanted || !run.child.pid)
      return go()
    outsideRun = pstree(runtime, run.child.pid, step.index, options.signal).then((view) => {
      outsideView = { ...view, stdout: rel(view.stdout), stderr: rel(view.stderr) }
      options.onEvent?.({ type: 'outside', view: outsideView })
    }).finally(go)
  }

  const onTracerEvent = (event: TracerEvent) => {
    switch (event.e) {
      case 'hello': got.hello = event; break
      case 'capped': got.capped = event; break
      case 'exc': got.exc = event; break
      case 'end': got.end = event; break
      case 'warn': warnings.push(event.msg); break
      case 'step': {
        const physicalStack = event.s.map(toFrame)
        const here = physicalStack.at(-1)
        const asyncChains: AsyncChain[] | null = event.a?.map(chain => ({
          label: chain.l,
          current: chain.c,
          frames: chain.s.map(toFrame),
          awaiting: chain.w === null ? null : rel(chain.w),
        })) ?? null
        const step: Step = {
          index: steps.length,
          kind: event.k,
          atMs: round(event.t),
          file: here?.file ?? demo.file,
          line: here?.line ?? null,
          function: here?.function ?? '<unknown>',
          physicalStack,
          asyncChains,
          detail: event.d === null ? null : rel(event.d),
        }
        if (event.g)
          step.callGraph = event.g.map(node => ({ label: node.l, task: node.t, frames: node.s.map(toFrame), awaitedBy: node.b }))
        steps.push(step)
        options.onEvent?.({ type: 'step', step })
        if (event.h)
          held(step)
      }
    }
  }

  readJsonLines<TracerEvent>(run.extra[0]!, onTracerEvent, line => warnings.push(`unreadable tracer event: ${line}`))
  // Resolves once every pipe is closed, the events pipe too (even one a grandchild held: see spawnLimited).
  const result = await run.done
  await outsideRun
  output.flush()
  if (result.spawnError)
    throw new Error(`${result.spawnError} (${runtime.name} ${runtime.version}, needed to record ${demo.file})`)
  const killed = result.timedOut || result.truncated || result.cancelled
  const { hello, capped, exc, end } = got
  if (!hello && !killed) {
    const stderr = streamText(result.output, 'stderr').trim().split('\n').slice(-5).join('\n')
    throw new Error(`the Python tracer did not start under ${runtime.executable} (exit ${result.exitCode ?? result.signal}) for ${demo.file}${stderr ? `:\n${stderr}` : ''}`)
  }

  const traceback = exc ? buildTraceback(exc, result, demo, toFrame) : null
  const notes: string[] = []
  if (result.timedOut)
    notes.push(`timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: the program was killed, the ${steps.length} steps before that are kept`)
  if (result.truncated)
    notes.push(`the output and steps passed the cap of ${options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES} bytes: the program was killed, the ${steps.length} steps before that are kept`)
  if (result.cancelled)
    notes.push('the run was cancelled: the program was killed')
  if (capped)
    notes.push(`${capped.why}: the steps stop at ${capped.n}, the program ran on`)
  if (end?.skipped)
    notes.push(`${end.skipped} steps close to the recursion limit were left out`)
  if (exc?.compile)
    notes.push(`${demo.file} did not compile: nothing ran`)
  else if (end && !end.started)
    notes.push(`${demo.file} did not run (exit ${result.exitCode})`)
  if (hello && !end && !killed)
    notes.push('the program ended without the tracer seeing it end (os._exit() or a crash): the steps may stop early')
  if (warnings.length)
    notes.push(`tracer: ${warnings.join('; ')}`)

  const recording = RecordingSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    demo: { name: demo.name, file: demo.file, language: demo.language, source: demo.source },
    runtime: hello ? { name: hello.impl, version: hello.version, executable: hello.executable } : runtime,
    command: plain.display,
    recordedAt: new Date().toISOString(),
    run: {
      exitCode: result.exitCode,
      signal: result.signal,
      wallTimeMs: result.wallTimeMs,
      timedOut: result.timedOut,
      truncated: result.truncated,
      output: output.chunks,
    },
    traceback,
    steps,
    stepsNote: notes.length ? notes.join('; ') : null,
    ...(outsideView ? { outsideView } : {}),
  } satisfies Recording)
  options.onEvent?.({ type: 'end', recording })
  return { recording, run: result }
}

function buildTraceback(
  exc: ExcEvent,
  result: LimitedSpawnResult,
  demo: Demo,
  toFrame: (frame: TracerFrame) => Frame,
): Traceback {
  const stderr = streamText(result.output, 'stderr')
  let start = exc.printed ? stderr.lastIndexOf(exc.printed) : -1
  if (start < 0)
    start = findTracebackStart(stderr)
  if (start < 0 && exc.compile)
    start = 0 // e.g. 3.9+: `SyntaxError: Non-UTF-8 code …` is all it prints
  const raw = start >= 0 ? stderr.slice(start) : (exc.printed ?? '')
  const frames = exc.frames.map(([file, line, column, name, source]) => ({ ...toFrame([file, line, column, name]), source }))
  const text = portablePaths(raw, demo)
  // null: the message comes from the demo's own __str__, which the tracer does not call; the printed line has it.
  const printedLine = parsePrintedTraceback(text).exceptionLine ?? ''
  const message = exc.msg ?? (printedLine.startsWith(`${exc.type}: `) ? printedLine.slice(exc.type.length + 2) : '')
  const traceback: Traceback = {
    text,
    exception: { type: exc.type, message },
    frames,
  }
  // A demo's own sys.excepthook prints what it likes: nothing to hold it to.
  if (!result.truncated && exc.hook !== 'custom')
    crossCheck(traceback, raw, demo)
  return traceback
}

/** The printed traceback and the interpreter's traceback objects must tell the same story. */
function crossCheck(traceback: Traceback, raw: string, demo: Demo): void {
  const printed = parsePrintedTraceback(portablePaths(raw, demo))
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
  const result = await spawnLimited({ command: runtime.executable, args, cwd: REPO_ROOT, timeoutMs: 5_000, outputCapBytes: 64 * 1024, signal }).done
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

export const pythonAdapter: RuntimeAdapter = {
  language: 'python',
  discover: () => discoverPythons(),
  discoverDefault: () => discoverDefaultPython(),
  plainCommand,
  record: async options => (await recordRun(options)).recording,
}
