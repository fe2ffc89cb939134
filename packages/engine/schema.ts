/**
 * The recording format: the one contract between the trace engine (which writes it),
 * the dev server (which streams it) and the components (which only read it).
 *
 * Conventions:
 * - Every list of frames is ordered OUTERMOST FIRST (caller before callee), like a
 *   Python traceback, whatever order the runtime printed them in.
 * - Times are milliseconds of the program's own time since it started: time spent
 *   inside the tracer or paused in the debugger is taken out.
 * - Paths of the demo are project-relative (`demos/async_loop.py`); other paths are as
 *   the runtime gave them, except that no path of the recording machine is kept: the
 *   project's own are project-relative and those under the home folder start with `~/`
 *   (engine/portable.ts `portablePaths`; `npm run record` refuses to write one that is left).
 */
import { z } from 'zod'

export const SCHEMA_VERSION = 1

/** A demo name is a plain file stem: it can never be a path. */
export const DEMO_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i

/** A registered runtime's language id (engine/<runtime>/runtime.json): not a closed list, a runtime is a plug-in. */
export const LanguageSchema = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a runtime\'s language id like "python"')
export type Language = z.infer<typeof LanguageSchema>

export const FrameSchema = z.object({
  /** Function name as the runtime names it (`<module>`, `blow_up`, `blowUp`, `bar::{{closure}}`). */
  function: z.string(),
  /** File as the runtime gave it; the demo itself is project-relative. */
  file: z.string(),
  line: z.number().int().nullable(),
  /** 1-based column, where the runtime gives one. */
  column: z.number().int().nullable(),
  /** The source line (trimmed), where known. */
  source: z.string().nullable(),
  /** True for the demo's own code, false for runtime internals (asyncio, node:internal, std). */
  isUser: z.boolean(),
  /** V8's `async` marker: the frame was rebuilt from the promise chain, it is not on the thread's stack. */
  isAsync: z.boolean(),
})
export type Frame = z.infer<typeof FrameSchema>

export const OutputChunkSchema = z.object({
  stream: z.enum(['stdout', 'stderr']),
  /** Wall-clock ms since the process was started. */
  atMs: z.number(),
  text: z.string(),
})
export type OutputChunk = z.infer<typeof OutputChunkSchema>

export const StepKindSchema = z.enum([
  'call', // a function of ours was entered
  'line', // a new line of ours is about to run
  'await', // a coroutine / async function suspended at an await
  'resume', // a suspended coroutine / async function was resumed
  'return', // a function of ours returned
  'raise', // an exception was raised (or thrown) in our code
  'block', // our code called a blocking builtin (time.sleep): the thread waits with our frames on it
  'idle', // the event loop waits for I/O or a timer: none of our coroutines is running
  'timer', // a timer callback fired (JavaScript: a setTimeout callback of ours)
])
export type StepKind = z.infer<typeof StepKindSchema>

export const AsyncChainSchema = z.object({
  /** `Task-1` for an asyncio task; `debugger async stack (DevTools)` for JavaScript (the debugger's, not Error.stack's: see Step.errorStack). */
  label: z.string(),
  /** True for the task that is running at this step. */
  current: z.boolean(),
  /** The logical chain, outermost first: foo → bar → blow_up (→ what blow_up awaits). */
  frames: z.array(FrameSchema),
  /** What the innermost frame is waiting on, in the runtime's words (`<Future pending>`, `await`). */
  awaiting: z.string().nullable(),
})
export type AsyncChain = z.infer<typeof AsyncChainSchema>

/**
 * One node of the runtime's own async call graph (CPython 3.14+: `asyncio.capture_call_graph`),
 * recorded beside our `asyncChains` so the two can be checked against each other.
 */
export const CallGraphNodeSchema = z.object({
  /** The task's name (`Task-1`), or `<_GatheringFuture #1>` for a future that is not a task. */
  label: z.string(),
  /** True for a task, false for another future that tasks await (gather's). */
  task: z.boolean(),
  /**
   * The coroutine stack capture_call_graph gives, outermost first (it gives it innermost
   * first). The running task's is read off the thread's stack from the step's frame, the
   * others' by following `cr_await` from the task's coroutine.
   */
  frames: z.array(FrameSchema),
  /** The labels of what awaits this one (capture_call_graph's `awaited_by`), nodes of the same step. */
  awaitedBy: z.array(z.string()),
})
export type CallGraphNode = z.infer<typeof CallGraphNodeSchema>

export const StepSchema = z.object({
  index: z.number().int().nonnegative(),
  kind: StepKindSchema,
  /** Program time in ms (tracer / debugger time removed). */
  atMs: z.number(),
  /** Where the program is: project-relative for the demo. */
  file: z.string(),
  line: z.number().int().nullable(),
  /** The function the step is in (the innermost frame's name). */
  function: z.string(),
  /** Frames really on the thread's stack, outermost first; runtime internals kept, `isUser: false`. */
  physicalStack: z.array(FrameSchema),
  /**
   * Optional. JavaScript: what `Error.stack` would print if an Error were created at this
   * step, outermost first: the frames on the thread's stack plus V8's zero-cost async frames
   * (`isAsync: true`, rebuilt from the awaiting async functions' promises only: no `.then()`
   * callbacks, no timers), cut to the program's `Error.stackTraceLimit` like Error.stack is
   * (an empty list where the limit is 0). Absent where it was not taken (other runtimes).
   */
  errorStack: z.array(FrameSchema).optional(),
  /** The logical async stacks; null where no async machinery is in play (sync code). */
  asyncChains: z.array(AsyncChainSchema).nullable(),
  /** Extra runtime detail (the exception at a raise, the value awaited …), in the runtime's words. */
  detail: z.string().nullable(),
  /**
   * Optional. The runtime's own call graph of every pending task, one node per future (tasks
   * in the order of `asyncChains`, then the futures between them), where the runtime can give
   * it: CPython 3.14+, at await, idle and resume steps while an event loop runs. Absent elsewhere.
   */
  callGraph: z.array(CallGraphNodeSchema).optional(),
})
export type Step = z.infer<typeof StepSchema>

export const TracebackSchema = z.object({
  /** Exactly the text the runtime printed; only paths of the recording machine are rewritten (see above). */
  text: z.string(),
  exception: z.object({ type: z.string(), message: z.string() }),
  /** Parsed frames, outermost first, taken from the runtime's structured data and cross-checked with `text`. */
  frames: z.array(FrameSchema),
})
export type Traceback = z.infer<typeof TracebackSchema>

export const RuntimeInfoSchema = z.object({
  /** `CPython`, `Node.js`, `rustc`. */
  name: z.string(),
  /** Exact version: `3.11.7`, `20.20.2`, `1.95.0`. */
  version: z.string(),
  /** The executable that ran, as found on the recording machine (portable: `~/…` under the home folder). */
  executable: z.string(),
})
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>

/**
 * The running program seen from outside, by another process: CPython 3.14's
 * `python3.14 -m asyncio pstree <pid>` run against the program's own PID while the program is
 * held at an idle step (the loop about to wait: see tracer.py `TRACE_HOLD_IDLE`).
 */
export const OutsideViewSchema = z.object({
  /** The command as run, the program's PID included: `python3.14 -m asyncio pstree 12345`. */
  command: z.array(z.string()),
  /** The step the program was held at while it ran. */
  atStep: z.number().int().nonnegative(),
  /** What it printed, verbatim (only paths of the recording machine rewritten). */
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int().nullable(),
  /** Why it printed no tree (ptrace not allowed here, no 3.14 …); null when it did. */
  note: z.string().nullable(),
})
export type OutsideView = z.infer<typeof OutsideViewSchema>

export const RecordingSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  demo: z.object({
    /** File name without extension: `async_loop`. */
    name: z.string(),
    /** Repo-relative path: `demos/async_loop.py`. */
    file: z.string(),
    language: LanguageSchema,
    source: z.string(),
  }),
  runtime: RuntimeInfoSchema,
  /** The plain command a user would type, project-relative (`python3 demos/async_loop.py`). */
  command: z.array(z.string()),
  recordedAt: z.string(),
  run: z.object({
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    wallTimeMs: z.number(),
    timedOut: z.boolean(),
    truncated: z.boolean(),
    output: z.array(OutputChunkSchema),
  }),
  /** Null when the program ended without an uncaught error. */
  traceback: TracebackSchema.nullable(),
  steps: z.array(StepSchema),
  /** Why the steps are missing or partial, if they are (no tracer for this runtime, timed out …). */
  stepsNote: z.string().nullable(),
  /** Optional: the program seen from outside (`pstree`), where the run asked for it (RecordOptions.pstreeAt). */
  outsideView: OutsideViewSchema.optional(),
})
export type Recording = z.infer<typeof RecordingSchema>

/** Events a run emits while it happens: the dev server streams these to the slide (one NDJSON line each). */
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), demo: z.string(), runtime: RuntimeInfoSchema, command: z.array(z.string()) }),
  z.object({ type: z.literal('output'), chunk: OutputChunkSchema }),
  z.object({ type: z.literal('step'), step: StepSchema }),
  z.object({ type: z.literal('outside'), view: OutsideViewSchema }),
  z.object({ type: z.literal('end'), recording: RecordingSchema }),
  z.object({ type: z.literal('error'), message: z.string() }),
])
export type RunEvent = z.infer<typeof RunEventSchema>

/**
 * A path inside the recordings folder, written relative to the folder that holds it
 * (`recordings/sync/cpython-3.11.7.json`), with forward slashes. Where it must lead (inside
 * recordings/, through no link that leaves it) is checked when it is read
 * (engine/recordings.ts), since that depends on where the folder is.
 */
const RecordingFileSchema = z.string()
  .min(1)
  .refine(file => !file.startsWith('/') && !/^[A-Za-z]:/.test(file), 'must be a relative path inside recordings/, not an absolute one')
  .refine(file => !file.includes('\\') && !file.includes('\0'), 'must be a path inside recordings/ with forward slashes')
  .refine(file => !file.split('/').includes('..'), 'must be a path inside recordings/: `..` is not allowed')
  .refine(file => file.endsWith('.json'), 'must name a .json recording inside recordings/')

/** One line of `recordings/manifest.json`: a recording, and whether it is its demo's default. */
export const ManifestEntrySchema = z.object({
  demo: z.string().regex(DEMO_NAME, 'must be a demo name (a file stem like "async_loop")'),
  runtime: z.string().min(1),
  version: z.string().min(1),
  /** The recording, relative to the folder that holds recordings/: `recordings/<demo>/<runtime>-<version>.json`. */
  file: RecordingFileSchema,
  /** The recording the deck shows for this demo unless a slide asks for another version. */
  default: z.boolean(),
}).strict()
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>

/** `recordings/manifest.json`: every recording on disk; written by `npm run record` only. */
export const ManifestSchema = z.array(ManifestEntrySchema)

export class RecordingError extends Error {}

/** `['steps', 3, 'file']` → `steps[3].file`; `[]` → `(root)`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  const text = path.map(key => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '')
  return text || '(root)'
}

function invalid(error: z.ZodError, source: string, what: string): RecordingError {
  const issue = error.issues[0]!
  return new RecordingError(`${source}: invalid ${what} at \`${fieldPath(issue.path)}\`: ${issue.message}`)
}

/** Validate unknown data as a recording; the error names the source and the failing field. */
export function parseRecording(data: unknown, source: string): Recording {
  const result = RecordingSchema.safeParse(data)
  if (result.success)
    return result.data
  throw invalid(result.error, source, 'recording')
}

/** Validate unknown data as a manifest; the error names the source and the failing field. */
export function parseManifest(data: unknown, source: string): ManifestEntry[] {
  const result = ManifestSchema.safeParse(data)
  if (result.success)
    return result.data
  throw invalid(result.error, source, 'manifest')
}
