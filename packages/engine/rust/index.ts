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
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PlainCommand, PrepareFailure, RunFindings, TraceContext, TraceOutcome } from '../adapter'
import type { Demo } from '../demos'
import { executablesOnPath } from '../path-lookup'
import { withPipeline } from '../pipeline'
import { portablePaths } from '../portable'
import type { Frame, RuntimeInfo, Traceback } from '../schema'
import { isExecutable, spawnLimited, streamText, type LimitedSpawnResult } from '../spawn'
import { runTracer, tracerNotes } from '../tracer-protocol'

/** What every demo is compiled with: debug info for file:line in the backtrace, no optimisation. */
export const RUSTC_FLAGS = ['--edition', '2021', '-g', '-C', 'opt-level=0']
const COMPILE_TIMEOUT_MS = 120_000
const PROBE_TIMEOUT_MS = 10_000
const TRACER = fileURLToPath(new URL('./gdb_tracer.py', import.meta.url))

// --- discovery ---------------------------------------------------------------------------

async function capture(command: string, args: string[], timeoutMs = PROBE_TIMEOUT_MS): Promise<{ ok: boolean, stdout: string, result: LimitedSpawnResult }> {
  const result = await spawnLimited({ command, args, cwd: process.cwd(), timeoutMs }).done
  const ok = result.spawnError === null && result.exitCode === 0 && !result.timedOut
  return { ok, stdout: streamText(result.output, 'stdout'), result }
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
  const candidates = [...executablesOnPath('rustc'), join(homedir(), '.cargo', 'bin', 'rustc'), ...rustupToolchains()]
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
    for (const gdb of executablesOnPath('gdb')) {
      const probe = await capture(gdb, ['-nx', '-q', '-batch', '-ex', 'python print("gdb-python-ok")'])
      if (probe.ok && probe.stdout.includes('gdb-python-ok'))
        return gdb
    }
    return null
  })()
  return gdbProbe
}

// --- compiling ---------------------------------------------------------------------------

/** Compiled demos are kept in their project's `node_modules/.cache`, or the system's scratch folder. */
export function cacheDir(root: string): string {
  return existsSync(join(root, 'node_modules'))
    ? join(root, 'node_modules', '.cache', 'async-stacks', 'rust')
    : join(tmpdir(), 'async-stacks', 'rust')
}

/** The binary for this source and this compiler: a changed source or rustc is a new file. */
export function binaryPath(demo: Demo, runtime: RuntimeInfo): string {
  const hash = createHash('sha256')
    .update([demo.source, runtime.version, runtime.executable, demo.absPath, ...RUSTC_FLAGS].join('\0'))
    .digest('hex')
    .slice(0, 16)
  return join(cacheDir(demo.root), `${demo.name}-${hash}`)
}

export type CompileResult =
  | { ok: true, binary: string, cached: boolean, wallTimeMs: number }
  | { ok: false, result: LimitedSpawnResult }

/** Compile the demo unless this exact source was compiled by this rustc already. */
export async function compileDemo(demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal): Promise<CompileResult> {
  const binary = binaryPath(demo, runtime)
  if (isExecutable(binary))
    return { ok: true, binary, cached: true, wallTimeMs: 0 }
  mkdirSync(cacheDir(demo.root), { recursive: true })
  // Written next to its final name and renamed: two runs at once never see half a binary.
  const partial = `${binary}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  const result = await spawnLimited({
    command: runtime.executable,
    args: [...RUSTC_FLAGS, '-o', partial, demo.absPath],
    cwd: demo.root,
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
        const file = resolve(demo.root, at[1]!)
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

/**
 * The compiled binary under gdb (`gdb_tracer.py` speaks the tracer protocol); without gdb,
 * or when gdb could not start it, the binary on its own, and no steps.
 */
async function trace(context: TraceContext): Promise<TraceOutcome> {
  const { demo, runtime } = context
  const binary = binaryPath(demo, runtime)
  const gdb = await findGdb()
  const notes: string[] = []
  if (gdb) {
    const config = JSON.stringify({ binary, demo: demo.absPath })
    const { spawned, done } = runTracer({
      command: gdb,
      args: ['-nx', '-q', '-batch', '-iex', 'set auto-load off', '-ex', `python TRACE_CONFIG = ${config}`, '-x', TRACER],
      morePipes: 1, // fd 4: gdb's own messages
      holdOutputUntilHello: true, // before it, output is gdb's own or the program's racing ahead of `hello`
    }, context)
    let gdbLog = ''
    spawned.extra[1]!.setEncoding('utf8').on('data', (text: string) => {
      gdbLog = (gdbLog + text).slice(-4000)
    })
    const { run, report, held } = await done
    const killed = run.timedOut || run.truncated || run.cancelled
    if (report.hello || run.timedOut || run.cancelled) {
      held.forEach(context.onOutput) // killed before gdb said hello: what it printed is all there is
      const { end } = report
      return { run, exit: end ? { code: end.exit, signal: end.signal ?? null } : undefined, notes: tracerNotes(report, demo, end?.exit ?? null, killed), tracer: report }
    }
    const last = gdbLog.trim().split('\n').slice(-3).join(' / ')
    notes.push(`no steps: ${[...report.warnings, `gdb did not start the program${last ? `: ${last}` : ''}`].join('; ')}`)
  }
  else {
    notes.push('no tracer for Rust: backtrace only (steps need gdb with its Python API, which was not found)')
  }
  const run = await spawnLimited({
    command: binary,
    args: [],
    cwd: demo.root,
    timeoutMs: context.timeoutMs,
    outputCapBytes: context.outputCapBytes,
    onOutput: context.onOutput,
    signal: context.signal,
  }).done
  return { run, notes }
}

/** The user frames of the printed backtrace and of gdb's stack at the panic should be the same calls. */
function crossCheck(traceback: Traceback, { steps }: RunFindings): string | null {
  const raise = steps.find(step => step.kind === 'raise')
  if (!raise)
    return null
  const printed = traceback.frames.filter(f => f.isUser).map(f => `${f.function}:${f.line}`)
  const unwound = raise.physicalStack.filter(f => f.isUser).map(f => `${f.function}:${f.line}`)
  if (printed.join(' ') === unwound.join(' '))
    return null
  return `the printed backtrace (${printed.join(' → ')}) and gdb's stack at the panic (${unwound.join(' → ')}) differ`
}

// --- the adapter -------------------------------------------------------------------------

export const rustAdapter = withPipeline({
  language: 'rust',

  async discover(_runtimesDir: string): Promise<RuntimeInfo[]> {
    const found: RuntimeInfo[] = []
    for await (const runtime of rustcs())
      found.push(runtime)
    return found
  },

  async discoverDefault(_runtimesDir: string): Promise<RuntimeInfo | null> {
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

  /** Compile the demo so that `plainCommand` can run; null when it did, else rustc's run and why not. */
  async prepare(demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal): Promise<PrepareFailure | null> {
    const compiled = await compileDemo(demo, runtime, signal)
    if (compiled.ok)
      return null
    const { result } = compiled
    const why = result.spawnError
      ?? (result.timedOut ? `rustc timed out after ${COMPILE_TIMEOUT_MS / 1000} s` : `rustc exited with code ${result.exitCode}`)
    return { run: result, why }
  },

  trace,
  parseTraceback: ({ demo, exit, stderr }) => exit.code !== 0 || exit.signal !== null ? parsePanic(stderr, demo) : null,
  crossCheck,
  raiseDetailFromTraceback: true,
})

export default rustAdapter
