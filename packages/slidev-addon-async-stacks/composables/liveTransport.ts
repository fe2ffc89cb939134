/**
 * The slide's side of the dev server's live-run endpoints (server/handler.ts): whether live
 * runs are possible here (`/__live/status`), and one run (`POST /__live/run`) as a stream
 * of NDJSON events. Knows nothing of what the slide shows.
 */
import { parseNdjson, PASSWORD_HEADER, RUN_PATH, STATUS_PATH, type ErrorBody, type LiveEvent, type StatusBody } from '../server/protocol'

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

const passwordHeaders = (password: string | null | undefined): Record<string, string> => password ? { [PASSWORD_HEADER]: password } : {}

const statusCache = new Map<string, Promise<StatusBody | null>>()

/** What the server says about live runs here, asked once per page; null where there is no server. */
export function fetchStatus(base: string, password: string | null | undefined, doFetch: typeof fetch = fetch): Promise<StatusBody | null> {
  const key = `${base}\0${password ?? ''}`
  let found = statusCache.get(key)
  if (!found) {
    found = doFetch(`${base}${STATUS_PATH}`, { headers: passwordHeaders(password), cache: 'no-store' })
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

export interface RunRequest {
  base: string
  demo: string
  /** Hold the demo where this function awaits and look at it with pstree. */
  pstree?: string
  password?: string | null
  fetch: typeof fetch
  signal: AbortSignal
}

/** How a run's stream ended. */
export type RunOutcome =
  | { type: 'closed' } // the server closed the stream (after its `end` or `error` event, or not)
  | { type: 'aborted' }
  | { type: 'unavailable', message: string } // no runtime or engine: the recording it is
  | { type: 'failed', message: string }

/** Start a run and hand each event it streams to `onEvent`, in order, until the stream ends. */
export async function streamRun(request: RunRequest, onEvent: (event: LiveEvent) => void): Promise<RunOutcome> {
  const { signal } = request
  try {
    const res = await request.fetch(`${request.base}${RUN_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...passwordHeaders(request.password) },
      body: JSON.stringify(request.pstree === undefined ? { demo: request.demo } : { demo: request.demo, pstree: request.pstree }),
      signal,
      cache: 'no-store',
    })
    if (!res.ok || !res.body) {
      const body = await res.json().catch(() => null) as ErrorBody | null
      const message = body?.error?.message ?? `the live-run server answered ${res.status}`
      const code = body?.error?.code
      return { type: code === 'runtime-missing' || code === 'engine-unavailable' ? 'unavailable' : 'failed', message }
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let rest = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done)
        return { type: 'closed' }
      if (signal.aborted)
        return { type: 'aborted' }
      const parsed = parseNdjson(rest + value)
      rest = parsed.rest
      parsed.events.forEach(onEvent)
    }
  }
  catch (e) {
    if (signal.aborted)
      return { type: 'aborted' }
    return { type: 'failed', message: `no answer from the live-run server: ${(e as Error).message}` }
  }
}
