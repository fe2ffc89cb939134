/**
 * Run a demo live from a slide: POST its name to the dev server's live-run endpoint
 * (server/handler.ts) and follow the events it streams. Where no live run is possible
 * (static build, export, a preview, no runtime, no server) it shows the committed
 * recording instead: never a blank box.
 */
import { computed, getCurrentScope, onScopeDispose, ref, shallowRef, toValue, triggerRef, type MaybeRefOrGetter } from 'vue'
import type { OutputChunk, Recording, RuntimeInfo, Step } from '../engine/schema'
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
}

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
      command.value = committed?.command ?? null
      runtime.value = committed?.runtime ?? null
      elapsedMs.value = committed?.run.wallTimeMs ?? 0
    }
    catch (e) {
      recording.value = null
      output.value = []
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
    if (state.value === 'recorded') {
      const committed = recording.value
      state.value = 'idle'
      runtime.value = demo.runtime
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
      case 'end':
        recording.value = event.recording
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

  async function run(): Promise<void> {
    cancel()
    const own = new AbortController()
    controller = own
    state.value = 'running'
    output.value = []
    steps.value = []
    recording.value = null
    error.value = null
    cancelled.value = false
    queuedPosition.value = null
    fallbackReason.value = null
    eventCount.value = 0
    startedAt = performance.now()
    elapsedMs.value = 0
    ticker = setInterval(() => {
      elapsedMs.value = performance.now() - startedAt
    }, 100)

    try {
      const pass = password()
      const res = await doFetch(`${base}${RUN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(pass ? { [PASSWORD_HEADER]: pass } : {}) },
        body: JSON.stringify({ demo: toValue(name) }),
        signal: own.signal,
        cache: 'no-store',
      })
      if (!res.ok || !res.body) {
        const body = await res.json().catch(() => null) as ErrorBody | null
        const message = body?.error?.message ?? `the live-run server answered ${res.status}`
        if (body?.error?.code === 'runtime-missing' || body?.error?.code === 'engine-unavailable')
          return showRecording(message)
        error.value = message
        state.value = 'failed'
        return
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
        parsed.events.forEach(handle)
      }
      if (state.value === 'running') {
        error.value = 'the connection closed before the run ended'
        state.value = 'failed'
      }
    }
    catch (e) {
      if (own.signal.aborted)
        return
      error.value = `no answer from the live-run server: ${(e as Error).message}`
      state.value = 'failed'
    }
    finally {
      if (controller === own) {
        stopTicking()
        controller = null
      }
    }
  }

  /** Stop the run in progress: the request is aborted, and the server kills the program. */
  function cancel(): void {
    if (!controller)
      return
    controller.abort()
    controller = null
    stopTicking()
    if (state.value === 'running') {
      cancelled.value = true
      state.value = 'idle'
    }
  }

  /** The Run button: runs, or stops the run in progress. */
  function toggle(): Promise<void> {
    if (state.value === 'running') {
      cancel()
      return Promise.resolve()
    }
    return run()
  }

  showRecording()
  const ready = checkAvailability()
  if (getCurrentScope())
    onScopeDispose(cancel)

  return {
    state,
    fallbackReason,
    runtime,
    command,
    output,
    steps,
    recording,
    error,
    queuedPosition,
    cancelled,
    elapsedMs,
    eventCount,
    started,
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
