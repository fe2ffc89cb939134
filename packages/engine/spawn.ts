/**
 * Run one program with the limits every demo run gets: an argument array (never a
 * shell), a pinned environment, stdin at end of file, a timeout and an output cap; and
 * when it ends, nothing it started lives on (engine/contain.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import type { Duplex, Readable } from 'node:stream'
import { killRun, newRunId, pipesOf, RUN_ID_VARIABLE, startTimeOf, type RunProcesses } from './contain'
import type { OutputChunk } from './schema'

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_OUTPUT_CAP_BYTES = 1024 * 1024

/**
 * The abort reason that stops a run for passing its output cap with what it streams beside
 * its output (its steps: see `recordDemo`): the run is marked truncated, not cancelled.
 */
export class OutputCapReached extends Error {
  constructor(capBytes: number) {
    super(`the run's output and steps passed the cap of ${capBytes} bytes`)
    this.name = 'OutputCapReached'
  }
}

export interface LimitedSpawnOptions {
  command: string
  args: string[]
  cwd: string
  /** Added to the pinned environment (see `pinnedEnv`). */
  env?: Record<string, string>
  timeoutMs?: number
  outputCapBytes?: number
  /** Extra pipes after stdin/stdout/stderr (fd 3, 4 …), e.g. for a tracer's events. */
  extraPipes?: number
  onOutput?: (chunk: OutputChunk) => void
  /** Aborting kills the process (the client went away, the run was cancelled; OutputCapReached: truncated). */
  signal?: AbortSignal
}

export interface LimitedSpawnResult {
  exitCode: number | null
  signal: string | null
  wallTimeMs: number
  timedOut: boolean
  truncated: boolean
  cancelled: boolean
  output: OutputChunk[]
  /** Set when the program could not be started at all (missing executable …). */
  spawnError: string | null
}

export interface LimitedSpawn {
  child: ChildProcess
  /** The extra pipes, in order (fd 3 first): socket pairs, so they go both ways. */
  extra: Duplex[]
  /** process.hrtime.bigint() just before the process was spawned. */
  startedAt: bigint
  done: Promise<LimitedSpawnResult>
}

/**
 * The environment every demo runs in, so output is the same on every run and machine:
 * no colour, no TTY, unbuffered, UTF-8, a fixed hash seed, backtraces on for Rust.
 */
export function pinnedEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    TERM: 'dumb',
    NO_COLOR: '1',
    NODE_DISABLE_COLORS: '1',
    PYTHON_COLORS: '0',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONHASHSEED: '0',
    PYTHONIOENCODING: 'utf-8',
    RUST_BACKTRACE: '1',
    ...extra,
  }
}

export function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6
}

/** After the program exits, how long its pipes may take to close before the sweep (output still in them). */
const EXIT_GRACE_MS = 200
/** After the sweep, how long the pipes may take to close before they are closed on our side. */
const SWEEP_GRACE_MS = 500

export function spawnLimited(options: LimitedSpawnOptions): LimitedSpawn {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const cap = options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES
  const extraPipes = options.extraPipes ?? 0
  const runId = newRunId()
  const startedAt = process.hrtime.bigint()
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    // The run's mark, inherited by everything it starts: how the sweep finds them (engine/contain.ts).
    env: { ...pinnedEnv(options.env), [RUN_ID_VARIABLE]: runId },
    shell: false,
    // stdin is /dev/null, so a program that reads it gets end of file at once.
    stdio: ['ignore', 'pipe', 'pipe', ...Array.from({ length: extraPipes }, () => 'pipe' as const)],
    // Its own process group and session, which the sweep kills as a whole.
    detached: true,
  })
  const extra = Array.from({ length: extraPipes }, (_, i) => child.stdio[3 + i] as Duplex)
  const processes: RunProcesses | null = child.pid === undefined
    ? null
    : {
        runId,
        leader: child.pid,
        pipes: pipesOf(child.pid, Array.from({ length: 2 + extraPipes }, (_, i) => 1 + i)),
        leaderStart: startTimeOf(child.pid),
      }

  const output: OutputChunk[] = []
  let bytes = 0
  let truncated = false
  let timedOut = false
  let cancelled = false
  let spawnError: string | null = null
  let closed = false

  /** Every way a run ends goes through here (the timeout, a cancel, the cap, the program's own exit). */
  const killAll = async () => {
    if (processes)
      await killRun(processes, () => !closed)
  }
  const stop = () => void killAll()

  const collect = (stream: 'stdout' | 'stderr') => (data: string) => {
    if (truncated)
      return
    let text = data
    const size = Buffer.byteLength(text)
    if (bytes + size > cap) {
      text = Buffer.from(text).subarray(0, cap - bytes).toString('utf8')
      truncated = true
      stop()
    }
    bytes += Math.min(size, cap - bytes)
    if (text.length === 0)
      return
    const chunk: OutputChunk = { stream, atMs: round(elapsedMs(startedAt)), text }
    output.push(chunk)
    options.onOutput?.(chunk)
  }
  // Decoding per stream keeps a character split across two reads whole.
  child.stdout!.setEncoding('utf8').on('data', collect('stdout'))
  child.stderr!.setEncoding('utf8').on('data', collect('stderr'))

  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, timeoutMs)
  const onAbort = () => {
    if (options.signal?.reason instanceof OutputCapReached)
      truncated = true
    else
      cancelled = true
    stop()
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  if (options.signal?.aborted)
    onAbort()

  const whenClosed = new Promise<{ code: number | null, signal: string | null, wallTimeMs: number }>((resolve) => {
    child.on('close', (code, signal) => {
      closed = true
      resolve({ code, signal, wallTimeMs: round(elapsedMs(startedAt)) })
    })
  })
  const whenExited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      clearTimeout(timer) // it ended in time, however long its pipes take
      resolve()
    })
    child.on('error', (error) => {
      spawnError ??= `could not start ${options.command}: ${error.message}`
      if (child.pid === undefined) // never started: no exit comes, only close
        resolve()
    })
  })

  const done = (async (): Promise<LimitedSpawnResult> => {
    await whenExited
    // Its pipes close once what is left in them is read, unless something it started holds
    // them: that something is killed, and the pipes closed on our side if they stay open.
    await settleWithin(whenClosed, EXIT_GRACE_MS)
    await killAll()
    if (!closed && !(await settleWithin(whenClosed, SWEEP_GRACE_MS))) {
      for (const stream of child.stdio)
        stream?.destroy()
    }
    const { code, signal, wallTimeMs } = await whenClosed
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    return {
      exitCode: code,
      signal: signal ?? null,
      wallTimeMs,
      timedOut,
      truncated,
      cancelled,
      output: mergeChunks(output),
      spawnError,
    }
  })()
  return { child, extra, startedAt, done }
}

/** Wait for `promise` at most `ms`; whether it settled. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const settled = await Promise.race([
    promise.then(() => true),
    new Promise<false>(resolve => timer = setTimeout(resolve, ms, false)),
  ])
  clearTimeout(timer)
  return settled
}

/** Join consecutive chunks of one stream that arrived within 1 ms: pipes split writes arbitrarily. */
export function mergeChunks(chunks: OutputChunk[]): OutputChunk[] {
  const merged: OutputChunk[] = []
  for (const chunk of chunks) {
    const last = merged.at(-1)
    if (last && last.stream === chunk.stream && chunk.atMs - last.atMs < 1)
      last.text += chunk.text
    else
      merged.push({ ...chunk })
  }
  return merged
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/** All the text of one stream. */
export function streamText(output: OutputChunk[], stream: 'stdout' | 'stderr'): string {
  return output.filter(c => c.stream === stream).map(c => c.text).join('')
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  }
  catch {
    return false
  }
}

/** Hand on each complete line of a text stream (without its newline), as it arrives. */
export function readLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = ''
  stream.setEncoding('utf8').on('data', (text: string) => {
    pending += text
    let newline: number
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline)
      pending = pending.slice(newline + 1)
      onLine(line)
    }
  })
}

/**
 * Read a tracer's JSON-lines event pipe: each complete line parsed and handed on, an
 * unreadable one reported (with its first 200 characters) instead of thrown.
 */
export function readJsonLines<T>(stream: Readable, onEvent: (event: T) => void, onUnreadable: (line: string) => void): void {
  readLines(stream, (line) => {
    try {
      onEvent(JSON.parse(line) as T)
    }
    catch {
      onUnreadable(line.slice(0, 200))
    }
  })
}
