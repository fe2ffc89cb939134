/**
 * Run a demo live from a slide: POST its name to the dev server's live-run endpoint
 * (server/handler.ts) and follow the events it streams. Where no live run is possible
 * (static build, export, a preview, no runtime, no server) it shows the committed
 * recording instead: never a blank box.
 *
 * The windows of one browser mirror each other's runs (BroadcastChannel): a run started
 * in the presenter window plays in the audience window too, and the other way round.
 * Only the window that started a run talks to the server; the others replay its events.
 */
import { computed, getCurrentScope, onScopeDispose, ref, shallowRef, toValue, triggerRef, type MaybeRefOrGetter } from 'vue'
import type { OutputChunk, OutsideView, Recording, RuntimeInfo, Step } from '../engine/schema'
import { parseNdjson, PASSWORD_HEADER, RUN_PATH, STATUS_PATH, type ErrorBody, type LiveEvent, type StatusBody } from '../server/protocol'

export type RunState = 'idle' | 'running' | 'done' | 'failed' | 'timed-out' | 'recorded'

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

/** What one window tells the others about a run of a demo (see `useDemoRun`). */
export type MirrorMessage = { from: string } & (
  | { type: 'run', at: number } // a run started there (Date.now()): follow it
  | { type: 'event', event: LiveEvent }
  | { type: 'fail', message: string }
  | { type: 'stop' } // the run there was stopped
  | { type: 'stop-request' } // someone pressed Stop on a mirrored run
)
type MirrorBody = MirrorMessage extends infer M ? M extends MirrorMessage ? Omit<M, 'from'> : never : never

export const MIRROR_CHANNEL_PREFIX = 'async-traces-live-run:'

/**
 * Two windows that start a run within this many milliseconds of each other (a click that
 * reaches both) keep one: the window with the smaller id. Further apart, the newest wins.
 */
const SAME_START_MS = 500

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

const PASSWORD_KEY = 'deck-live-password'

/** The remote password from the page's `?password=` (as Slidev's own links carry it), kept for the session. */
export function pagePassword(): string | null {
  if (typeof window === 'undefined')
    return null
  const fromQuery = new URLSearchParams(window.location.search).get('password')
  try {
    if (fromQuery !== null)
      window.sessionStorage.setItem(PASSWORD_KEY, fromQuery)
    return fromQuery ?? window.sessionStorage.getItem(PASSWORD_KEY)
  }
  catch {
    return fromQuery
  }
}

const statusCache = new Map<string, Promise<StatusBody | null>>()

/** What the server says about live runs here, asked once per page; null where there is no server. */
export function fetchStatus(base: string, password: string | null | undefined, doFetch: typeof fetch = fetch): Promise<StatusBody | null> {
  const key = `${base}\0${password ?? ''}`
  let found = statusCache.get(key)
  if (!found) {
    found = doFetch(`${base}${STATUS_PATH}`, { headers: password ? { [PASSWORD_HEADER]: password } : {}, cache: 'no-store' })
      .then(async (res) => {
        if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('application/json'))
          return null
        const body = await res.json() as StatusBody
        return body.live === true ? body : null
      })
      .catch(() => null)
    statusCache.set(key, found)
  }
  return found
}

export function useDemoRun(name: MaybeRefOrGetter<string>, options: DemoRunOptions = {}) {
  const base = options.base ?? '/'
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))
  const password = options.password ?? pagePassword

  const state = ref<RunState>('recorded')
  /** Why there is no live run here (shown beside the recording), or null. */
  const fallbackReason = ref<string | null>(null)
  const runtime = shallowRef<Pick<RuntimeInfo, 'name' | 'version'> | null>(null)
  const command = shallowRef<string[] | null>(null)
  const output = shallowRef<OutputChunk[]>([])
  const steps = shallowRef<Step[]>([])
  const recording = shallowRef<Recording | null>(null)
  /** The program seen from outside (pstree): live, or the recording's. */
  const outside = shallowRef<OutsideView | null>(null)
  const error = ref<string | null>(null)
  const queuedPosition = ref<number | null>(null)
  const cancelled = ref(false)
  const elapsedMs = ref(0)
  /** Events received from the server in this run. */
  const eventCount = ref(0)
  /** Whether the server has answered this run yet (changes once per run: cheap to render). */
  const started = computed(() => eventCount.value > 0)

  let controller: AbortController | null = null
  let ticker: ReturnType<typeof setInterval> | null = null
  let startedAt = 0
  /** When this window started its own run (Date.now()), for the tie-break between windows. */
  let ownRunAt = 0

  // ---- mirroring between windows ----
  const windowId = Math.random().toString(36).slice(2)
  /** The window whose run this one is showing, or null. */
  const following = ref<string | null>(null)
  let channel: BroadcastChannel | null = null
  let channelName = ''
  function tell(message: MirrorBody): void {
    try {
      channel?.postMessage({ ...message, from: windowId })
    }
    catch {} // a closed channel: nobody to tell
  }
  function openChannel(): void {
    // A pstree run is another kind of run: only windows showing that kind follow it.
    const wanted = `${MIRROR_CHANNEL_PREFIX}${toValue(name)}${options.pstreeAt === undefined ? '' : `+pstree:${options.pstreeAt}`}`
    if (options.mirror === false || typeof BroadcastChannel === 'undefined' || channelName === wanted)
      return
    channel?.close()
    channelName = wanted
    channel = new BroadcastChannel(wanted)
    channel.onmessage = (message: MessageEvent<MirrorMessage>) => onMirror(message.data)
    // Under Node (unit tests) an open channel would keep the process alive.
    ;(channel as { unref?: () => void }).unref?.()
  }

  function stopTicking() {
    if (ticker)
      clearInterval(ticker)
    ticker = null
    if (startedAt)
      elapsedMs.value = performance.now() - startedAt
  }

  /** Show the committed recording (state `recorded`). */
  function showRecording(reason: string | null = null) {
    fallbackReason.value = reason
    error.value = null
    try {
      const committed = options.recorded?.() ?? null
      recording.value = committed
      output.value = committed?.run.output ?? []
      steps.value = committed?.steps ?? []
      outside.value = committed?.outsideView ?? null
      command.value = committed?.command ?? null
      runtime.value = committed?.runtime ?? null
      elapsedMs.value = committed?.run.wallTimeMs ?? 0
    }
    catch (e) {
      recording.value = null
      output.value = []
      outside.value = null
      error.value = (e as Error).message
    }
    state.value = 'recorded'
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
      const committed = recording.value
      state.value = 'idle'
      runtime.value = live
      outside.value = null
      command.value = committed?.command ?? command.value
      output.value = []
      steps.value = []
      recording.value = null
      elapsedMs.value = 0
    }
  }

  function handle(event: LiveEvent) {
    eventCount.value++
    switch (event.type) {
      case 'queued':
        queuedPosition.value = event.position
        break
      case 'start':
        queuedPosition.value = null
        runtime.value = event.runtime
        command.value = event.command
        break
      case 'output':
        queuedPosition.value = null
        // In place (the arrays are this run's own): a long run streams thousands of events.
        output.value.push(event.chunk)
        triggerRef(output)
        break
      case 'step':
        steps.value.push(event.step)
        triggerRef(steps)
        break
      case 'outside':
        outside.value = event.view
        break
      case 'end':
        recording.value = event.recording
        outside.value = event.recording.outsideView ?? outside.value
        // The recording's output is the whole, merged output: show exactly that.
        output.value = event.recording.run.output
        state.value = event.recording.run.timedOut ? 'timed-out' : 'done'
        break
      case 'error':
        error.value = event.message
        state.value = 'failed'
        break
    }
  }

  /** A fresh run on screen: this window's own, or one it follows. */
  function startShowing(): void {
    state.value = 'running'
    output.value = []
    steps.value = []
    recording.value = null
    outside.value = null
    error.value = null
    cancelled.value = false
    queuedPosition.value = null
    fallbackReason.value = null
    eventCount.value = 0
    startedAt = performance.now()
    elapsedMs.value = 0
    if (ticker)
      clearInterval(ticker)
    ticker = setInterval(() => {
      elapsedMs.value = performance.now() - startedAt
    }, 100)
  }

  function fail(message: string): void {
    error.value = message
    state.value = 'failed'
    if (controller)
      tell({ type: 'fail', message })
  }

  function onMirror(message: MirrorMessage): void {
    // A window that shows the recording (export, preview, no runtime) stays as it is.
    if (state.value === 'recorded' || !message || message.from === windowId)
      return
    switch (message.type) {
      case 'run':
        // Both windows started at once: the smaller id keeps its run, the other follows it.
        if (controller && Math.abs(message.at - ownRunAt) < SAME_START_MS && windowId < message.from)
          return
        // Otherwise another window took over: one run at a time, the newest wins.
        abortOwn()
        following.value = message.from
        startShowing()
        break
      case 'event':
        if (following.value !== message.from)
          return
        handle(message.event)
        if (message.event.type === 'end' || message.event.type === 'error')
          stopFollowing()
        break
      case 'fail':
        if (following.value !== message.from)
          return
        error.value = message.message
        state.value = 'failed'
        stopFollowing()
        break
      case 'stop':
        if (following.value !== message.from)
          return
        stopFollowing()
        if (state.value === 'running') {
          cancelled.value = true
          state.value = 'idle'
        }
        break
      case 'stop-request':
        if (controller)
          cancel()
        break
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
    tell({ type: 'run', at: ownRunAt })

    try {
      const pass = password()
      const res = await doFetch(`${base}${RUN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(pass ? { [PASSWORD_HEADER]: pass } : {}) },
        body: JSON.stringify(options.pstreeAt === undefined ? { demo: toValue(name) } : { demo: toValue(name), pstree: options.pstreeAt }),
        signal: own.signal,
        cache: 'no-store',
      })
      if (!res.ok || !res.body) {
        const body = await res.json().catch(() => null) as ErrorBody | null
        const message = body?.error?.message ?? `the live-run server answered ${res.status}`
        if (body?.error?.code === 'runtime-missing' || body?.error?.code === 'engine-unavailable') {
          tell({ type: 'stop' })
          return showRecording(message)
        }
        return fail(message)
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let rest = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done)
          break
        if (own.signal.aborted)
          return
        const parsed = parseNdjson(rest + value)
        rest = parsed.rest
        for (const event of parsed.events) {
          handle(event)
          tell({ type: 'event', event })
        }
      }
      if (state.value === 'running')
        fail('the connection closed before the run ended')
    }
    catch (e) {
      if (own.signal.aborted)
        return
      fail(`no answer from the live-run server: ${(e as Error).message}`)
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
        tell({ type: 'stop-request' })
      stopFollowing()
    }
    else if (controller) {
      controller.abort()
      controller = null
      stopTicking()
      tell({ type: 'stop' })
    }
    else {
      return
    }
    if (state.value === 'running') {
      cancelled.value = true
      state.value = 'idle'
    }
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
      channel?.close()
      channel = null
    })
  }

  return {
    state,
    fallbackReason,
    runtime,
    command,
    output,
    steps,
    recording,
    outside,
    error,
    queuedPosition,
    cancelled,
    elapsedMs,
    eventCount,
    started,
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
