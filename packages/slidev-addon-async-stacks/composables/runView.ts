/**
 * What a live-run pane shows, as a pure function of what happened: the committed recording,
 * the server saying live runs are possible, a run starting, the events it streams, a
 * failure, a stop. `useDemoRun` keeps one `RunView` and feeds it `RunAction`s; the window
 * mirroring and the transport only produce actions. No Vue, no browser: unit-tested as is.
 */
import type { OutputChunk, OutsideView, Recording, RuntimeInfo, Step } from 'async-stacks-engine/schema'
import type { LiveEvent } from '../server/protocol'

export type RunState = 'idle' | 'running' | 'done' | 'failed' | 'timed-out' | 'recorded'

export interface RunView {
  state: RunState
  /** Why there is no live run here (shown beside the recording), or null. */
  fallbackReason: string | null
  runtime: Pick<RuntimeInfo, 'name' | 'version'> | null
  command: string[] | null
  output: readonly OutputChunk[]
  steps: readonly Step[]
  /** The committed recording (state `recorded`), or the one a finished run made. */
  recording: Recording | null
  /** The program seen from outside (pstree): live, or the recording's. */
  outside: OutsideView | null
  error: string | null
  queuedPosition: number | null
  /** Whether the last run was stopped before it ended. */
  cancelled: boolean
  /** Events received from the server in this run. */
  eventCount: number
}

/** Things that happen to a pane besides the server's events. */
export type RunAction =
  | LiveEvent
  /** Show the committed recording (or, where reading it threw, why not). */
  | { type: 'show-recording', recording: Recording | null, reason?: string | null, error?: string | null }
  /** The server can run this demo live, under this runtime: offer it (from the recording only). */
  | { type: 'available', runtime: Pick<RuntimeInfo, 'name' | 'version'> }
  /** A fresh run on screen: this window's own, or one it follows. */
  | { type: 'begin' }
  /** The run failed on this side (no answer, a cut connection, a refusal). */
  | { type: 'fail', message: string }
  /** The run was stopped (here or in the window it followed). */
  | { type: 'stop' }

export const emptyView: RunView = {
  state: 'recorded',
  fallbackReason: null,
  runtime: null,
  command: null,
  output: [],
  steps: [],
  recording: null,
  outside: null,
  error: null,
  queuedPosition: null,
  cancelled: false,
  eventCount: 0,
}

/** The view of the committed recording: everything on screen comes from it. */
export function recordedView(recording: Recording | null, reason: string | null = null): RunView {
  return {
    ...emptyView,
    fallbackReason: reason,
    recording,
    output: recording?.run.output ?? [],
    steps: recording?.steps ?? [],
    outside: recording?.outsideView ?? null,
    command: recording?.command ?? null,
    runtime: recording?.runtime ?? null,
  }
}

export function reduceRun(view: RunView, action: RunAction): RunView {
  switch (action.type) {
    case 'show-recording':
      return { ...recordedView(action.error ? null : action.recording, action.reason ?? null), error: action.error ?? null }
    case 'available':
      if (view.state !== 'recorded')
        return view
      // The command stays as the recording shows it until a run says otherwise.
      return { ...emptyView, state: 'idle', runtime: action.runtime, command: view.command }
    case 'begin':
      return { ...emptyView, state: 'running', runtime: view.runtime, command: view.command }
    case 'fail':
      return { ...view, error: action.message, state: 'failed' }
    case 'stop':
      return view.state === 'running' ? { ...view, cancelled: true, state: 'idle' } : view
  }
  const counted = { ...view, eventCount: view.eventCount + 1 }
  switch (action.type) {
    case 'queued':
      return { ...counted, queuedPosition: action.position }
    case 'start':
      return { ...counted, queuedPosition: null, runtime: action.runtime, command: action.command }
    case 'output':
      return { ...counted, queuedPosition: null, output: [...view.output, action.chunk] }
    case 'step':
      return { ...counted, steps: [...view.steps, action.step] }
    case 'outside':
      return { ...counted, outside: action.view }
    case 'end':
      return {
        ...counted,
        recording: action.recording,
        outside: action.recording.outsideView ?? view.outside,
        // The recording's output is the whole, merged output: show exactly that.
        output: action.recording.run.output,
        state: action.recording.run.timedOut ? 'timed-out' : 'done',
      }
    case 'error':
      return { ...counted, error: action.message, state: 'failed' }
  }
}

/** Whether the server has answered this run yet. */
export const hasStarted = (view: RunView): boolean => view.eventCount > 0

export interface OutputLine {
  stream: OutputChunk['stream']
  text: string
}

/** Output chunks as lines, each from one stream: a chunk may end mid-line, or hold many. */
export function toLines(chunks: readonly OutputChunk[]): OutputLine[] {
  const lines: OutputLine[] = []
  let open: OutputLine | null = null
  for (const chunk of chunks) {
    const parts = chunk.text.split('\n')
    parts.forEach((part, i) => {
      if (i > 0)
        open = null
      if (i === parts.length - 1 && part === '')
        return
      if (open && open.stream === chunk.stream) {
        open.text += part
      }
      else {
        open = { stream: chunk.stream, text: part }
        lines.push(open)
      }
    })
  }
  return lines
}
