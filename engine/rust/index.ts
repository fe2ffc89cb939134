/**
 * Rust: the demo is compiled with the real rustc (std only), then the binary runs; a panic
 * is Rust's uncaught error and its printed backtrace (RUST_BACKTRACE=1, pinned by spawn.ts)
 * is the traceback.
 *
 * Steps come from gdb, when it is installed with its Python API: `gdb_tracer.py` stops on
 * each line of the demo's async fn bodies and `main`, on their polls returning, on the thread
 * parking and on the panic, and records the physical stack gdb unwinds. Rust has no
 * runtime-level async stack, so `asyncChains` is always null. Without gdb the recording has
 * the output and the traceback, and no steps.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PlainCommand, RecordOptions, RuntimeAdapter } from '../adapter'
import { portablePaths } from '../adapter'
import { REPO_ROOT, type Demo } from '../demos'
import { SCHEMA_VERSION, type Frame, type OutputChunk, type Recording, type RuntimeInfo, type Step, type StepKind, type Traceback } from '../schema'
import { isExecutable, readJsonLines, spawnLimited, streamText, type LimitedSpawnResult } from '../spawn'

/** What every demo is compiled with: debug info for file:line in the backtrace, no optimisation. */
export const RUSTC_FLAGS = ['--edition', '2021', '-g', '-C', 'opt-level=0']
const COMPILE_TIMEOUT_MS = 120_000
const PROBE_TIMEOUT_MS = 10_000
const TRACER = fileURLToPath(new URL('./gdb_tracer.py', import.meta.url))

// --- discovery ---------------------------------------------------------------------------

async function capture(command: string, args: string[], timeoutMs = PROBE_TIMEOUT_MS): Promise<{ ok: boolean, stdout: string, result: LimitedSpawnResult }> {
  const result = await spawnLimited({ command, args, cwd: REPO_ROOT, timeoutMs }).done
  const ok = result.spawnError === null && result.exitCode === 0 && !result.timedOut
  return { ok, stdout: streamText(result.output, 'stdout'), result }
}

function onPath(name: string): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter(dir => dir && isAbsolute(dir))
    .map(dir => join(dir, name)).filter(isExecutable)
}

function rustupToolchains(): string[] {
  const home = process.env.RUSTUP_HOME ?? join(homedir(), '.rustup')
  try {
    return readdirSync(join(home, 'toolchains')).sort()
      .map(toolchain => join(home, 'toolchains', toolchain, 'bin', 'rustc')).filter(isExecutable)
  }
  catch {
    return []
  }
}

/**
 * The rustc that really compiles: `~/.cargo/bin/rustc` is a rustup proxy (a link to rustup),
 * so its real path is not a compiler; the toolchain's own binary lives in its sysroot.
 */
async function resolveRustc(candidate: string): Promise<RuntimeInfo | null> {
  const sysroot = await capture(candidate, ['--print', 'sysroot'])
  let executable = realpathSync(candidate)
  if (sysroot.ok) {
    const inSysroot = join(sysroot.stdout.trim(), 'bin', 'rustc')
    if (isExecutable(inSysroot))
      executable = realpathSync(inSysroot)
  }
  const version = await capture(executable, ['--version'])
  const match = /^rustc (\S+)/.exec(version.stdout)
  if (!version.ok || !match)
    return null
  return { name: 'rustc', version: match[1]!, executable }
}

/** Every distinct rustc, in the order a user would get them: PATH, rustup's proxy, its toolchains. */
async function* rustcs(): AsyncGenerator<RuntimeInfo> {
  const candidates = [...onPath('rustc'), join(homedir(), '.cargo', 'bin', 'rustc'), ...rustupToolchains()]
  const seen = new Set<string>()
  const executables = new Set<string>()
  for (const candidate of candidates) {
    if (!isExecutable(candidate))
      continue
    const key = realpathSync(candidate)
    if (seen.has(key))
      continue
    seen.add(key)
    const runtime = await resolveRustc(candidate)
    if (runtime && !executables.has(runtime.executable)) {
      executables.add(runtime.executable)
      yield runtime
    }
  }
}

let gdbProbe: Promise<string | null> | undefined

/** gdb with its Python API, or null: gdb is optional (steps need it, the traceback does not). */
export function findGdb(): Promise<string | null> {
  gdbProbe ??= (async () => {
    for (const gdb of onPath('gdb')) {
      const probe = await capture(gdb, ['-nx', '-q', '-batch', '-ex', 'python print("gdb-python-ok")'])
      if (probe.ok && probe.stdout.includes('gdb-python-ok'))
        return gdb
    }
    return null
  })()
  return gdbProbe
}

// --- compiling ---------------------------------------------------------------------------

export function cacheDir(): string {
  return existsSync(join(REPO_ROOT, 'node_modules'))
    ? join(REPO_ROOT, 'node_modules', '.cache', 'async-traces', 'rust')
    : join(tmpdir(), 'async-traces', 'rust')
}

/** The binary for this source and this compiler: a changed source or rustc is a new file. */
export function binaryPath(demo: Demo, runtime: RuntimeInfo): string {
  const hash = createHash('sha256')
    .update([demo.source, runtime.version, runtime.executable, demo.absPath, ...RUSTC_FLAGS].join('\0'))
    .digest('hex')
    .slice(0, 16)
  return join(cacheDir(), `${demo.name}-${hash}`)
}

export type CompileResult =
  | { ok: true, binary: string, cached: boolean, wallTimeMs: number }
  | { ok: false, result: LimitedSpawnResult }

/** Compile the demo unless this exact source was compiled by this rustc already. */
export async function compileDemo(demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal): Promise<CompileResult> {
  const binary = binaryPath(demo, runtime)
  if (isExecutable(binary))
    return { ok: true, binary, cached: true, wallTimeMs: 0 }
  mkdirSync(cacheDir(), { recursive: true })
  // Written next to its final name and renamed: two runs at once never see half a binary.
  const partial = `${binary}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  const result = await spawnLimited({
    command: runtime.executable,
    args: [...RUSTC_FLAGS, '-o', partial, demo.absPath],
    cwd: REPO_ROOT,
    timeoutMs: COMPILE_TIMEOUT_MS,
    signal,
  }).done
  if (result.exitCode !== 0 || result.spawnError || !isExecutable(partial)) {
    rmSync(partial, { force: true })
    return { ok: false, result }
  }
  renameSync(partial, binary)
  return { ok: true, binary, cached: false, wallTimeMs: result.wallTimeMs }
}

/** What a user types: rustc's defaults do the rest (opt-level 0, a binary named after the file). */
export function displayCommand(demo: Demo): string[] {
  return ['rustc', '--edition', '2021', '-g', demo.file, '&&', `./${demo.name}`]
}

// --- the panic -----------------------------------------------------------------------------

/** `thread 'main' (1234) panicked at demos/x.rs:11:5:`, the message on the next lines (Rust ≥ 1.73; recent versions add the thread id). */
const PANIC_LINE = /^thread '([^']*)'(?: \(\d+\))? panicked at (?:(.*):|'(.*)', (.*))$/gm

/**
 * The main thread's panic as the program printed it. The default panic hook prints
 * std's own backtrace (backtrace-rs over the binary's DWARF); that printed text is the
 * primary source: the frames are parsed from it, and checked against gdb's stack at the panic
 * when there is a traced run.
 */
export function parsePanic(stderr: string, demo: Demo): Traceback | null {
  let panic: RegExpExecArray | undefined
  for (const match of stderr.matchAll(PANIC_LINE)) {
    if (match[1] === 'main')
      panic = match
  }
  if (!panic)
    return null
  const lines = stderr.slice(panic.index).split('\n')
  let end = 1
  // Before Rust 1.73 the message was on the first line: `panicked at 'message', src/x.rs:2:5`.
  const messageLines: string[] = panic[3] !== undefined ? [panic[3]] : []
  while (panic[3] === undefined && end < lines.length && lines[end] !== 'stack backtrace:' && !lines[end]!.startsWith('note: run with `RUST_BACKTRACE')) {
    messageLines.push(lines[end]!)
    end++
  }
  const frames: Frame[] = []
  if (lines[end] === 'stack backtrace:') {
    end++
    for (; end < lines.length; end++) {
      const line = lines[end]!
      const at = /^\s+at (.+?)(?::(\d+))?(?::(\d+))?$/.exec(line)
      const numbered = /^\s*\d+: (.+)$/.exec(line)
      const inlined = /^ {6,}(\S.*)$/.exec(line)
      if (at && frames.length) {
        const frame = frames.at(-1)!
        const file = resolve(REPO_ROOT, at[1]!)
        frame.isUser = file === demo.absPath
        frame.file = frame.isUser ? demo.file : at[1]!
        frame.line = at[2] ? Number(at[2]) : null
        frame.column = at[3] ? Number(at[3]) : null
        frame.source = frame.isUser && frame.line ? sourceLine(demo, frame.line) : null
      }
      else if (numbered || inlined) {
        frames.push({ function: (numbered ?? inlined)![1]!, file: '', line: null, column: null, source: null, isUser: false, isAsync: false })
      }
      else {
        break
      }
    }
  }
  // The hint std prints after the frames belongs to the backtrace.
  if (end < lines.length && lines[end]!.startsWith('note: '))
    end++
  const text = portablePaths(lines.slice(0, end).join('\n'), demo)
  return {
    text,
    exception: { type: 'panic', message: messageLines.join('\n') },
    frames: frames.reverse(),
  }
}

function sourceLine(demo: Demo, line: number): string | null {
  return demo.source.split('\n')[line - 1]?.trim() ?? null
}

// --- the traced run ------------------------------------------------------------------------

interface TracerFrame { function: string, file: string, line: number | null, user: boolean }
type TracerEvent =
  | { event: 'started', lines: number[] }
  | { event: 'step', kind: StepKind, t: number, stack: TracerFrame[], where: TracerFrame | null, detail: string | null }
  | { event: 'exit', code: number | null, signal: string | null }
  | { event: 'error', message: string, fatal?: boolean }

function toFrame(frame: TracerFrame, demo: Demo): Frame {
  const isUser = frame.user || frame.file === demo.absPath
  return {
    function: frame.function,
    file: isUser ? demo.file : frame.file,
    line: frame.line,
    column: null,
    source: isUser && frame.line ? sourceLine(demo, frame.line) : null,
    isUser,
    isAsync: false,
  }
}

interface TracedRun {
  result: LimitedSpawnResult
  steps: Step[]
  started: boolean
  exit: { code: number | null, signal: string | null } | null
  errors: string[]
}

/**
 * The binary under gdb. A step is reported as soon as gdb sends it, except a `raise`, which
 * waits for the panic message (std prints it after the stop).
 */
async function runTraced(gdb: string, binary: string, options: RecordOptions, emitOutput: (chunk: OutputChunk) => void): Promise<TracedRun> {
  const { demo } = options
  const traced: Omit<TracedRun, 'result'> = { steps: [], started: false, exit: null, errors: [] }
  // Output before the tracer says the program started is gdb's own, or the program's racing
  // ahead of the `started` event on the other pipe: it waits for that event.
  const early: OutputChunk[] = []
  const config = JSON.stringify({ binary, demo: demo.absPath })
  const run = spawnLimited({
    command: gdb,
    args: ['-nx', '-q', '-batch', '-iex', 'set auto-load off', '-ex', `python TRACE_CONFIG = ${config}`, '-x', TRACER],
    cwd: REPO_ROOT,
    timeoutMs: options.timeoutMs,
    outputCapBytes: options.outputCapBytes,
    extraPipes: 2, // fd 3: the tracer's events; fd 4: gdb's own messages
    onOutput: chunk => traced.started ? emitOutput(chunk) : early.push(chunk),
    signal: options.signal,
  })
  let gdbLog = ''
  run.extra[1]!.setEncoding('utf8').on('data', (text: string) => {
    gdbLog = (gdbLog + text).slice(-4000)
  })
  const onEvent = (event: TracerEvent) => {
    if (event.event === 'started') {
      traced.started = true
      early.splice(0).forEach(emitOutput)
    }
    else if (event.event === 'exit') {
      traced.exit = { code: event.code, signal: event.signal }
    }
    else if (event.event === 'error') {
      traced.errors.push(event.message)
    }
    else if (event.event === 'step') {
      // Where the step is: the line that ran for `call`/`resume`/`line`; for `await`/`return`
      // the frame that just returned (its stack no longer has it); for `idle`/`block`/`raise`
      // the innermost frame of the demo, with std's frames (park, panic_fmt…) above it.
      const where = event.where ?? event.stack[0]
      const step: Step = {
        index: traced.steps.length,
        kind: event.kind,
        atMs: event.t,
        file: where ? toFrame(where, demo).file : demo.file,
        line: where?.line ?? null,
        function: where?.function ?? '??',
        physicalStack: event.stack.map(frame => toFrame(frame, demo)).reverse(),
        asyncChains: null,
        detail: event.detail,
      }
      traced.steps.push(step)
      // From a panic on, steps wait for the panic message (see `record`).
      if (!traced.steps.some(s => s.kind === 'raise'))
        options.onEvent?.({ type: 'step', step })
    }
  }
  readJsonLines<TracerEvent>(run.extra[0]!, onEvent, line => traced.errors.push(`unreadable tracer event: ${line}`))
  const result = await run.done
  if (!traced.started && !result.timedOut && !result.cancelled) {
    const last = gdbLog.trim().split('\n').slice(-3).join(' / ')
    traced.errors.push(`gdb did not start the program${last ? `: ${last}` : ''}`)
  }
  return { ...traced, result }
}

/** The user frames of the printed backtrace and of gdb's stack at the panic should be the same calls. */
function crossCheck(traceback: Traceback, raise: Step | undefined): string | null {
  if (!raise)
    return null
  const printed = traceback.frames.filter(f => f.isUser).map(f => `${f.function}:${f.line}`)
  const unwound = raise.physicalStack.filter(f => f.isUser).map(f => `${f.function}:${f.line}`)
  if (printed.join(' ') === unwound.join(' '))
    return null
  return `the printed backtrace (${printed.join(' → ')}) and gdb's stack at the panic (${unwound.join(' → ')}) differ`
}

// --- the adapter -------------------------------------------------------------------------

export interface RustAdapter extends RuntimeAdapter {
  /** Compile the demo, so that `plainCommand`'s binary exists. */
  prepare: (demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal) => Promise<void>
}

export const rustAdapter: RustAdapter = {
  language: 'rust',

  async discover(): Promise<RuntimeInfo[]> {
    const found: RuntimeInfo[] = []
    for await (const runtime of rustcs())
      found.push(runtime)
    return found
  },

  async discoverDefault(): Promise<RuntimeInfo | null> {
    for await (const runtime of rustcs())
      return runtime
    return null
  },

  /**
   * The compiled binary, run as is. It exists once `prepare` (or a recording) compiled it:
   * this method is synchronous and never starts rustc.
   */
  plainCommand(demo: Demo, runtime: RuntimeInfo): PlainCommand {
    return { command: binaryPath(demo, runtime), args: [], display: displayCommand(demo) }
  },

  /** Compile the demo so that `plainCommand` can run; throws with rustc's output if it does not compile. */
  async prepare(demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal): Promise<void> {
    const compiled = await compileDemo(demo, runtime, signal)
    if (!compiled.ok) {
      const output = portablePaths(compiled.result.output.map(c => c.text).join(''), demo)
      throw new Error(`rustc could not compile ${demo.file}:\n${compiled.result.spawnError ?? output}`)
    }
  },

  async record(options: RecordOptions): Promise<Recording> {
    const { demo, runtime } = options
    const command = displayCommand(demo)
    options.onEvent?.({ type: 'start', demo: demo.name, runtime, command })
    const relativize = (chunk: OutputChunk): OutputChunk => ({ ...chunk, text: portablePaths(chunk.text, demo) })
    const emitOutput = (chunk: OutputChunk) => options.onEvent?.({ type: 'output', chunk: relativize(chunk) })
    const recording = (run: LimitedSpawnResult, exit: { code: number | null, signal: string | null }, rest: Pick<Recording, 'traceback' | 'steps' | 'stepsNote'>): Recording => ({
      schemaVersion: SCHEMA_VERSION,
      demo: { name: demo.name, file: demo.file, language: 'rust', source: demo.source },
      runtime,
      command,
      recordedAt: new Date().toISOString(),
      run: {
        exitCode: exit.code,
        signal: exit.signal,
        wallTimeMs: run.wallTimeMs,
        timedOut: run.timedOut,
        truncated: run.truncated,
        output: run.output.map(relativize),
      },
      ...rest,
    })
    const finish = (result: Recording): Recording => {
      options.onEvent?.({ type: 'end', recording: result })
      return result
    }

    const compiled = await compileDemo(demo, runtime, options.signal)
    if (!compiled.ok) {
      const { result } = compiled
      for (const chunk of result.output)
        emitOutput(chunk)
      const why = result.spawnError
        ?? (result.timedOut ? `rustc timed out after ${COMPILE_TIMEOUT_MS / 1000} s` : `rustc exited with code ${result.exitCode}`)
      return finish(recording(result, { code: result.exitCode, signal: result.signal }, {
        traceback: null,
        steps: [],
        stepsNote: `${demo.file} did not compile (${why}): the output is the compiler's and nothing ran`,
      }))
    }

    const gdb = await findGdb()
    let run: LimitedSpawnResult | undefined
    let exit: { code: number | null, signal: string | null } | null = null
    let steps: Step[] = []
    const notes: string[] = []
    if (gdb) {
      const traced = await runTraced(gdb, compiled.binary, options, emitOutput)
      if (traced.started || traced.result.timedOut || traced.result.cancelled) {
        run = traced.result
        exit = traced.exit
        steps = traced.steps
        if (traced.errors.length)
          notes.push(`the gdb tracer reported: ${traced.errors.slice(0, 3).join('; ')}: steps may be partial`)
      }
      else {
        notes.push(`no steps: ${traced.errors.join('; ')}`)
      }
    }
    else {
      notes.push('no tracer for Rust: backtrace only (steps need gdb with its Python API, which was not found)')
    }
    // Without gdb, or when gdb could not start it, the binary runs on its own.
    run ??= await spawnLimited({
      command: compiled.binary,
      args: [],
      cwd: REPO_ROOT,
      timeoutMs: options.timeoutMs,
      outputCapBytes: options.outputCapBytes,
      onOutput: emitOutput,
      signal: options.signal,
    }).done
    if (run.spawnError)
      notes.push(run.spawnError)
    exit ??= { code: run.exitCode, signal: run.signal }
    if (run.timedOut)
      notes.push(`the run timed out: ${steps.length ? 'steps are partial' : 'no steps'}`)

    const failed = exit.code !== 0 || exit.signal !== null
    const traceback = failed ? parsePanic(streamText(run.output, 'stderr'), demo) : null
    const raise = steps.find(step => step.kind === 'raise')
    if (raise) {
      if (traceback)
        raise.detail = `panic: ${traceback.exception.message}`
      for (const step of steps.slice(raise.index))
        options.onEvent?.({ type: 'step', step })
    }
    if (traceback) {
      const mismatch = crossCheck(traceback, raise)
      if (mismatch)
        notes.push(mismatch)
    }
    return finish(recording(run, exit, {
      traceback,
      steps,
      stepsNote: notes.length ? notes.join('; ') : null,
    }))
  },
}

