/**
 * Run a demo live from a slide: POST its name to the dev server's live-run endpoint
 * (server/handler.ts) and follow the events it streams. Where no live run is possible
 * (static build, export, a preview, no runtime, no server) it shows the committed
 * recording instead: never a blank box.
 *
 * Three parts: what the pane shows is a pure reducer of what happened (runView.ts); the
 * server is reached through liveTransport.ts; runs are mirrored between the windows of one
 * browser by runMirror.ts. This file wires them together and keeps the clock.
 */
import { computed, getCurrentScope, onScopeDispose, ref, shallowRef, toValue, type MaybeRefOrGetter } from 'vue'
import type { Recording } from 'async-stacks-engine/schema'
import type { LiveEvent } from '../server/protocol'
import { fetchStatus, pagePassword, streamRun } from './liveTransport'
import { createMirror, mirrorChannelName, type MirrorMessage } from './runMirror'
import { hasStarted, recordedView, reduceRun, type RunAction } from './runView'

export { fetchStatus, pagePassword } from './liveTransport'
export { MIRROR_CHANNEL_PREFIX, type MirrorMessage } from './runMirror'
export { toLines, type OutputLine, type RunState } from './runView'

export interface DemoRunOptions {
  /** Whether a live run may be offered here at all: false in a static build, while exporting, in a preview. */
  live?: MaybeRefOrGetter<boolean>
  /** The committed recording, shown whenever there is no live run. */
  recorded?: () => Recording
  /** Where the deck is served from (Vite's BASE_URL). */
  base?: string
  /** The `slidev --remote` password, needed when the deck is reached over the network. */
  password?: () => string | null | undefined
  fetch?: typeof fetch
  /** Mirror runs between this browser's windows (presenter and audience); on by default. */
  mirror?: boolean
  /**
   * Look at the running program from outside: run it under the server's CPython 3.14 and,
   * while this function of the demo awaits, run `python3.14 -m asyncio pstree <its pid>`
   * (`outside`). Where the server cannot, the recording's pstree output is shown instead.
   */
  pstreeAt?: string
}

/**
 * Two windows that start a run within this many milliseconds of each other (a click that
 * reaches both) keep one: the window with the smaller id. Further apart, the newest wins.
 */
const SAME_START_MS = 500

export function useDemoRun(name: MaybeRefOrGetter<string>, options: DemoRunOptions = {}) {
  const base = options.base ?? '/'
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))
  const password = options.password ?? pagePassword

  const view = shallowRef(recordedView(null))
  const dispatch = (action: RunAction) => {
    view.value = reduceRun(view.value, action)
  }
  const field = <K extends keyof typeof view.value>(key: K) => computed(() => view.value[key])
  const state = field('state')
  const elapsedMs = ref(0)

  let controller: AbortController | null = null
  let ticker: ReturnType<typeof setInterval> | null = null
  let startedAt = 0
  /** When this window started its own run (Date.now()), for the tie-break between windows. */
  let ownRunAt = 0
  /** The window whose run this one is showing, or null. */
  const following = ref<string | null>(null)
  const mirror = createMirror(onMirror, options.mirror !== false)
  const openChannel = () => mirror.open(mirrorChannelName(toValue(name), options.pstreeAt))

  function stopTicking() {
    if (ticker)
      clearInterval(ticker)
    ticker = null
    if (startedAt)
      elapsedMs.value = performance.now() - startedAt
  }

  /** Show the committed recording (state `recorded`). */
  function showRecording(reason: string | null = null) {
    try {
      const committed = options.recorded?.() ?? null
      dispatch({ type: 'show-recording', recording: committed, reason })
      elapsedMs.value = committed?.run.wallTimeMs ?? 0
    }
    catch (e) {
      dispatch({ type: 'show-recording', recording: null, reason, error: (e as Error).message })
    }
  }

  async function checkAvailability(): Promise<void> {
    if (!toValue(options.live ?? true))
      return showRecording()
    const status = await fetchStatus(base, password(), doFetch)
    if (!toValue(options.live ?? true))
      return showRecording()
    const demo = status?.demos.find(d => d.name === toValue(name))
    if (!status || !demo)
      return showRecording(status ? `the dev server has no demo named ${toValue(name)}` : null)
    if (!demo.runtime)
      return showRecording(demo.reason)
    const live = options.pstreeAt === undefined ? demo.runtime : status.pstree?.runtime
    if (!live)
      return showRecording(status.pstree?.reason ?? 'this dev server cannot run pstree against a live run')
    openChannel()
    if (state.value === 'recorded') {
      dispatch({ type: 'available', runtime: live })
      elapsedMs.value = 0
    }
  }

  /** A fresh run on screen: this window's own, or one it follows. */
  function startShowing(): void {
    dispatch({ type: 'begin' })
    startedAt = performance.now()
    elapsedMs.value = 0
    if (ticker)
      clearInterval(ticker)
    ticker = setInterval(() => {
      elapsedMs.value = performance.now() - startedAt
    }, 100)
  }

  function fail(message: string): void {
    dispatch({ type: 'fail', message })
    if (controller)
      mirror.tell({ type: 'fail', message })
  }

  function onMirror(message: MirrorMessage): void {
    // A window that shows the recording (export, preview, no runtime) stays as it is.
    if (state.value === 'recorded')
      return
    if (message.type === 'run') {
      // Both windows started at once: the smaller id keeps its run, the other follows it.
      if (controller && Math.abs(message.at - ownRunAt) < SAME_START_MS && mirror.id < message.from)
        return
      // Otherwise another window took over: one run at a time, the newest wins.
      abortOwn()
      following.value = message.from
      startShowing()
    }
    else if (message.type === 'stop-request') {
      if (controller)
        cancel()
    }
    else if (following.value === message.from) {
      const action: RunAction = message.type === 'event' ? message.event : message
      dispatch(action)
      if (action.type === 'end' || action.type === 'error' || action.type === 'fail' || action.type === 'stop')
        stopFollowing()
    }
  }

  function stopFollowing(): void {
    following.value = null
    stopTicking()
  }

  /** Abort this window's own request without telling the others (they follow someone else). */
  function abortOwn(): void {
    if (!controller)
      return
    controller.abort()
    controller = null
    stopTicking()
  }

  async function run(): Promise<void> {
    cancel({ everywhere: false })
    following.value = null
    const own = new AbortController()
    controller = own
    startShowing()
    openChannel()
    ownRunAt = Date.now()
    mirror.tell({ type: 'run', at: ownRunAt })

    const onEvent = (event: LiveEvent) => {
      dispatch(event)
      mirror.tell({ type: 'event', event })
    }
    try {
      const outcome = await streamRun({ base, demo: toValue(name), pstree: options.pstreeAt, password: password(), fetch: doFetch, signal: own.signal }, onEvent)
      if (outcome.type === 'unavailable') {
        mirror.tell({ type: 'stop' })
        showRecording(outcome.message)
      }
      else if (outcome.type === 'failed') {
        fail(outcome.message)
      }
      else if (outcome.type === 'closed' && state.value === 'running') {
        fail('the connection closed before the run ended')
      }
    }
    finally {
      if (controller === own) {
        stopTicking()
        controller = null
      }
    }
  }

  /**
   * Stop the run in progress: the request is aborted, and the server kills the program.
   * A window following another's run asks that window to stop only when `everywhere`
   * (the Stop button); leaving the slide just stops following.
   */
  function cancel({ everywhere = false }: { everywhere?: boolean } = {}): void {
    if (following.value) {
      if (everywhere)
        mirror.tell({ type: 'stop-request' })
      stopFollowing()
    }
    else if (controller) {
      abortOwn()
      mirror.tell({ type: 'stop' })
    }
    else {
      return
    }
    dispatch({ type: 'stop' })
  }

  /** The Run button: runs, or stops the run in progress (in whichever window it runs). */
  function toggle(): Promise<void> {
    if (state.value === 'running') {
      cancel({ everywhere: true })
      return Promise.resolve()
    }
    return run()
  }

  showRecording()
  const ready = checkAvailability()
  if (getCurrentScope()) {
    onScopeDispose(() => {
      cancel()
      mirror.close()
    })
  }

  return {
    state,
    fallbackReason: field('fallbackReason'),
    runtime: field('runtime'),
    command: field('command'),
    output: field('output'),
    steps: field('steps'),
    recording: field('recording'),
    outside: field('outside'),
    error: field('error'),
    queuedPosition: field('queuedPosition'),
    cancelled: field('cancelled'),
    elapsedMs,
    eventCount: field('eventCount'),
    /** Whether the server has answered this run yet. */
    started: computed(() => hasStarted(view.value)),
    /** Whether this window is showing a run started in another window. */
    following: computed(() => following.value !== null),
    /** Settles once it is known whether live runs are possible here. */
    ready,
    run,
    rerun: run,
    cancel,
    toggle,
    showRecording,
    /** Ask the server again whether live runs are possible (after `live` changed). */
    refresh: checkAvailability,
  }
}

export type DemoRun = ReturnType<typeof useDemoRun>
