/**
 * The traced run, written once for every runtime: start event → prepare (compile) →
 * the adapter's traced run, its output and steps streamed with portable paths → the notes
 * on a killed run → the traceback, parsed and cross-checked by the adapter → the recording,
 * validated against the schema → end event. An adapter (engine/adapter.ts) supplies only
 * what differs between runtimes.
 */
import type { PrepareFailure, RecordingAdapter, RecordOptions, RunFindings, RuntimeAdapter, TraceOutcome } from './adapter'
import { PortableOutput, portableValue } from './portable'
import { parseRecording, SCHEMA_VERSION, type Recording, type RunEvent, type Step, type Traceback } from './schema'
import { DEFAULT_OUTPUT_CAP_BYTES, DEFAULT_TIMEOUT_MS, isExecutable, streamText, type LimitedSpawnResult } from './spawn'

/** The adapter, with `record` going through the pipeline. */
export function withPipeline<T extends RuntimeAdapter>(adapter: T): T & RecordingAdapter {
  return { ...adapter, record: async options => (await recordTraced(adapter, options)).recording }
}

/**
 * Streams steps with portable paths. A raise step waits for the next step or the end of
 * the run: by then the exception it threw may be known (from what the runtime printed).
 */
class StepStream {
  readonly steps: Step[] = []
  private held: Step | null = null
  constructor(private options: RecordOptions) {}

  push(raw: Step): void {
    this.release()
    const step = portableValue(raw, this.options.demo)
    this.steps.push(step)
    if (step.kind === 'raise')
      this.held = step
    else
      this.options.onEvent?.({ type: 'step', step })
  }

  release(): void {
    if (this.held)
      this.options.onEvent?.({ type: 'step', step: this.held })
    this.held = null
  }
}

/** Why the steps stop where they do, when the run was killed: the same words for every runtime. */
export function killNotes(run: LimitedSpawnResult, options: Pick<RecordOptions, 'timeoutMs' | 'outputCapBytes'>, steps: number): string[] {
  const kept = `the program was killed; the ${steps} steps before that are kept`
  const notes: string[] = []
  if (run.timedOut)
    notes.push(`timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms (timeout): ${kept}`)
  if (run.truncated)
    notes.push(`the output and steps passed the cap of ${options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES} bytes: ${kept}`)
  if (run.cancelled)
    notes.push('the run was cancelled: the program was killed')
  return notes
}

/** Notes end as sentences and are joined as such; none is null. */
function joinNotes(notes: string[]): string | null {
  return notes.length ? notes.map(note => (/[.!?]$/.test(note) ? note : `${note}.`)).join(' ') : null
}

/** The raise step that threw the uncaught error: the last one at its innermost frame of ours, or (the program died of it) the last one. */
function raiseOf(traceback: Traceback, steps: Step[], exit: RunFindings['exit']): Step | undefined {
  const top = traceback.frames.filter(frame => frame.isUser).at(-1)
  const raises = steps.filter(step => step.kind === 'raise')
  return raises.findLast(step => top && step.file === top.file && step.line === top.line)
    ?? (exit.code !== 0 ? raises.at(-1) : undefined)
}

/** `record`, also returning the traced process as spawnLimited saw it (its output before paths are rewritten). */
export async function recordTraced(adapter: RuntimeAdapter, options: RecordOptions): Promise<{ recording: Recording, run: LimitedSpawnResult }> {
  const { demo, runtime, onEvent } = options
  if (!isExecutable(runtime.executable))
    throw new Error(`the ${runtime.name} executable ${runtime.executable} (${runtime.name} ${runtime.version}) is not there any more or is not executable: cannot record ${demo.file}`)
  const plain = adapter.plainCommand(demo, runtime)
  onEvent?.({ type: 'start', demo: demo.name, runtime, command: plain.display })
  const output = new PortableOutput(demo, chunk => onEvent?.({ type: 'output', chunk }))
  const stream = new StepStream(options)
  const finish = (run: LimitedSpawnResult, recording: Omit<Recording, 'schemaVersion' | 'demo' | 'command' | 'recordedAt'>) => {
    stream.release()
    const valid = parseRecording({
      schemaVersion: SCHEMA_VERSION,
      demo: { name: demo.name, file: demo.file, language: demo.language, source: demo.source },
      command: plain.display,
      recordedAt: new Date().toISOString(),
      ...recording,
    } satisfies Recording, demo.file)
    onEvent?.({ type: 'end', recording: valid } satisfies RunEvent)
    return { recording: valid, run }
  }

  const unprepared = await adapter.prepare?.(demo, runtime, options.signal)
  if (unprepared)
    return finish(unprepared.run, notCompiled(unprepared, runtime, output, demo.file))

  const outcome = await adapter.trace({
    demo,
    runtime,
    timeoutMs: options.timeoutMs,
    outputCapBytes: options.outputCapBytes,
    signal: options.signal,
    onOutput: chunk => output.push(chunk),
    onStep: step => stream.push(step),
    pstreeAt: options.pstreeAt,
    onOutsideView: view => onEvent?.({ type: 'outside', view: portableValue(view, demo) }),
  })
  output.flush()
  const { run } = outcome
  if (run.spawnError) {
    onEvent?.({ type: 'error', message: run.spawnError })
    throw new Error(`${run.spawnError} (${runtime.name} ${runtime.version}, needed to record ${demo.file})`)
  }
  const { steps } = stream
  const found: RunFindings = {
    demo,
    outcome,
    exit: outcome.exit ?? { code: run.exitCode, signal: run.signal },
    stopped: run.timedOut || run.truncated || run.cancelled,
    stderr: streamText(run.output, 'stderr'),
    steps,
  }
  const notes = [...killNotes(run, options, steps.length), ...outcome.notes]
  const traceback = adapter.parseTraceback(found)
  if (traceback) {
    const raise = adapter.raiseDetailFromTraceback ? raiseOf(traceback, steps, found.exit) : undefined
    if (raise)
      raise.detail = `${traceback.exception.type}: ${traceback.exception.message}`
    const disagreement = adapter.crossCheck?.(traceback, found)
    if (disagreement)
      notes.push(disagreement)
  }
  const compileError = adapter.compileError?.({ ...found, traceback })
  if (compileError)
    notes.push(`${demo.file} did not compile (${compileError}): nothing ran`)

  return finish(run, {
    runtime: outcome.runtime ?? runtime,
    run: runOf(run, found.exit, output.chunks),
    traceback,
    steps,
    stepsNote: joinNotes(notes),
    ...(outcome.outsideView ? { outsideView: portableValue(outcome.outsideView, demo) } : {}),
  })
}

function runOf(run: LimitedSpawnResult, exit: RunFindings['exit'], output: Recording['run']['output']): Recording['run'] {
  return { exitCode: exit.code, signal: exit.signal, wallTimeMs: run.wallTimeMs, timedOut: run.timedOut, truncated: run.truncated, output }
}

/** The recording of a demo its prepare step could not make runnable: the compiler's output, nothing ran. */
function notCompiled(failure: PrepareFailure, runtime: TraceOutcome['runtime'] & object, output: PortableOutput, file: string): Omit<Recording, 'schemaVersion' | 'demo' | 'command' | 'recordedAt'> {
  for (const chunk of failure.run.output)
    output.push(chunk)
  output.flush()
  return {
    runtime,
    run: runOf(failure.run, { code: failure.run.exitCode, signal: failure.run.signal }, output.chunks),
    traceback: null,
    steps: [],
    stepsNote: joinNotes([`${file} did not compile (${failure.why}): the output is the compiler's and nothing ran`]),
  }
}
