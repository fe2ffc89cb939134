/**
 * What a runtime (CPython, Node.js, rustc …) supplies to the engine: only what differs
 * between runtimes. Everything they share — the start and end events, portable paths, the
 * notes on a killed run, the recording built and validated — is the traced-run pipeline's
 * (engine/pipeline.ts), written once.
 */
import type { Demo } from './demos'
import type { LimitedSpawnResult } from './spawn'
import type { TracerReport } from './tracer-protocol'
import type { Language, OutputChunk, OutsideView, Recording, RunEvent, RuntimeInfo, Step, Traceback } from './schema'

export interface RecordOptions {
  demo: Demo
  runtime: RuntimeInfo
  timeoutMs?: number
  outputCapBytes?: number
  /** Aborting kills the run (client went away). */
  signal?: AbortSignal
  /** Called as things happen: output chunks and steps, in order. */
  onEvent?: (event: RunEvent) => void
  /**
   * CPython 3.14+ only: the name of a function of the demo. At the first idle step where a
   * task's chain holds it (e.g. `blow_up`, awaiting its sleep) the program is held while
   * `python3.14 -m asyncio pstree <its pid>` runs against it (Recording.outsideView).
   */
  pstreeAt?: string
}

export interface PlainCommand {
  command: string
  args: string[]
  /** What a user would type, project-relative: `python3 demos/sync.py`. */
  display: string[]
}

/** What the pipeline hands an adapter's `trace`: the run's limits, and where its output and steps go. */
export interface TraceContext {
  demo: Demo
  runtime: RuntimeInfo
  timeoutMs?: number
  outputCapBytes?: number
  signal?: AbortSignal
  /** The program's output as it comes (this machine's paths: the pipeline rewrites them). */
  onOutput: (chunk: OutputChunk) => void
  /** Each step as it is taken, in order (this machine's paths: the pipeline rewrites them). */
  onStep: (step: Step) => void
  /** RecordOptions.pstreeAt: where to look at the program from outside, where the runtime can. */
  pstreeAt?: string
  /** The program seen from outside, once it is (this machine's paths: the pipeline rewrites them). */
  onOutsideView: (view: OutsideView) => void
}

/** What a traced run left, as the adapter saw it. */
export interface TraceOutcome {
  /** The traced process, as spawnLimited saw it. */
  run: LimitedSpawnResult
  /** The program's own exit, where the traced process is not the program (gdb); else the run's. */
  exit?: { code: number | null, signal: string | null }
  /** The runtime as the tracer saw it from inside (CPython's own version and executable). */
  runtime?: RuntimeInfo
  /** Why the steps are partial or imprecise, in the adapter's words. */
  notes: string[]
  /** What a protocol tracer (engine/tracer-protocol.ts) said besides its steps. */
  tracer?: TracerReport
  /** No code of the program ran under the tracer (nothing paused, nothing traced). */
  nothingRan?: boolean
  /** The program seen from outside (CPython 3.14's pstree), where the run asked for it. */
  outsideView?: OutsideView
}

/** Everything known once the traced program has ended: what an adapter's traceback hooks read. */
export interface RunFindings {
  demo: Demo
  outcome: TraceOutcome
  exit: { code: number | null, signal: string | null }
  /** Killed: timed out, past the output cap, or cancelled. */
  stopped: boolean
  /** All the program's stderr, this machine's paths still in it. */
  stderr: string
  /** The steps, with portable paths. */
  steps: Step[]
}

/** A prepare step that failed: the program cannot run (it did not compile). */
export interface PrepareFailure { run: LimitedSpawnResult, why: string }

export interface RuntimeAdapter {
  language: Language
  /** Every installation of this runtime found on this machine; the default one first. */
  discover: (runtimesDir: string) => Promise<RuntimeInfo[]>
  /**
   * The same default as `discover()[0]`, found without probing every other installation
   * (`npm run record` and live runs only need this one; probing them all costs a second).
   */
  discoverDefault: (runtimesDir: string) => Promise<RuntimeInfo | null>
  /** The untraced command, for plain runs (the reference the traced run must match). */
  plainCommand: (demo: Demo, runtime: RuntimeInfo) => PlainCommand
  /** Make the demo runnable (compile it); null when it is, else why not. */
  prepare?: (demo: Demo, runtime: RuntimeInfo, signal?: AbortSignal) => Promise<PrepareFailure | null>
  /** Run the demo traced, handing on output and steps as they come. */
  trace: (context: TraceContext) => Promise<TraceOutcome>
  /** The uncaught error, from the printed traceback (and the tracer's report), or null. */
  parseTraceback: (found: RunFindings) => Traceback | null
  /** The printed traceback against the steps or the tracer: a note where they disagree. */
  crossCheck?: (traceback: Traceback, found: RunFindings) => string | null
  /** The step that threw the uncaught error gets `Type: message` (the tracer could not know it). */
  raiseDetailFromTraceback?: boolean
  /** Why the demo did not compile (`SyntaxError`), when that is what the run shows; else null. */
  compileError?: (found: RunFindings & { traceback: Traceback | null }) => string | null
}

/** An adapter with its traced run through the pipeline: what the engine and tests call. */
export interface RecordingAdapter extends RuntimeAdapter {
  /** Run the demo traced and return its recording; report events while it runs. */
  record: (options: RecordOptions) => Promise<Recording>
}

/**
 * A program that failed before it ran (the runtime could not compile it; its recording is
 * the compiler's output): what and where in a few words, `could not compile it (SyntaxError
 * at demos/bad.py:3)`; null for a program that ran. Every adapter notes it as
 * `<demo file> did not compile (…)`.
 */
export function compileFailure(recording: Recording): string | null {
  const { file } = recording.demo
  if (!recording.stepsNote?.includes(`${file} did not compile`))
    return null
  const stderr = recording.run.output.filter(chunk => chunk.stream === 'stderr').map(chunk => chunk.text).join('')
  const what = recording.traceback?.exception.type ?? /^(error(\[E\d+\])?)[:\s]/m.exec(stderr)?.[1] ?? 'an error'
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const line = new RegExp(`${escaped}", line (\\d+)|${escaped}:(\\d+)`).exec(`${recording.traceback?.text ?? ''}\n${stderr}`)
  return `could not compile it (${what} at ${line ? `${file}:${line[1] ?? line[2]}` : file})`
}
