/**
 * The live-run protocol, shared by the dev server (server/) and the slide
 * (composables/useDemoRun.ts). No Node imports here: the browser bundles this file.
 *
 *   GET  <base>__live/status   which demos can run live here, and the limits
 *   POST <base>__live/run      body `{"demo":"async_loop"}`; the answer streams NDJSON:
 *                              one LiveEvent per line, as things happen. With
 *                              `"pstree":"blow_up"` (Python demos) the demo runs under the
 *                              newest CPython >= 3.14 here and, at the first idle step where a
 *                              task's chain holds blow_up, is held while the server runs
 *                              `python3.14 -m asyncio pstree <the demo's own PID>` (argument
 *                              array, 5 s timeout); its output streams as an `outside` event
 *
 * Every refusal is a JSON body `{ "error": { "code", "message" } }` with its HTTP status.
 */
import type { Language, RunEvent, RuntimeInfo } from 'async-stacks-engine/schema'

export const LIVE_PREFIX = '__live/'
export const RUN_PATH = `${LIVE_PREFIX}run`
export const STATUS_PATH = `${LIVE_PREFIX}status`
/** Header carrying the `slidev --remote <password>` password when the deck is reached over the network. */
export const PASSWORD_HEADER = 'x-live-password'
export const NDJSON_TYPE = 'application/x-ndjson'

/**
 * What the run endpoint streams: the engine's RunEvents, plus `queued` when the run has
 * to wait for a free slot. The last line is always `end` or `error`.
 */
export type LiveEvent =
  | RunEvent
  | { type: 'queued', position: number }

export type ErrorCode =
  | 'bad-method'
  | 'bad-path'
  | 'bad-content-type'
  | 'body-too-large'
  | 'bad-json'
  | 'bad-body'
  | 'bad-name'
  | 'unknown-demo'
  | 'forbidden-host'
  | 'forbidden-origin'
  | 'forbidden-remote'
  | 'password-required'
  | 'disabled'
  | 'too-many-guesses'
  | 'busy'
  | 'runtime-missing'
  | 'engine-unavailable'
  | 'internal'

export interface ErrorBody {
  error: { code: ErrorCode, message: string }
}

export interface DemoStatus {
  name: string
  file: string
  language: Language
  /** The runtime a live run would use, or null when there is none here. */
  runtime: Pick<RuntimeInfo, 'name' | 'version'> | null
  /** Why the demo cannot run live here (no runtime …); null when it can. */
  reason: string | null
}

export interface StatusBody {
  live: true
  demos: DemoStatus[]
  limits: {
    timeoutMs: number
    outputCapBytes: number
    maxConcurrent: number
    maxQueued: number
  }
  running: number
  queued: number
  /** Runs with `pstree`: the CPython >= 3.14 they would use, or why there is none here. */
  pstree?: { runtime: Pick<RuntimeInfo, 'name' | 'version'> | null, reason: string | null }
}

/** Split a growing NDJSON text into complete lines; returns the parsed events and the rest. */
export function parseNdjson(buffer: string): { events: LiveEvent[], rest: string } {
  const events: LiveEvent[] = []
  let start = 0
  for (;;) {
    const end = buffer.indexOf('\n', start)
    if (end < 0)
      break
    const line = buffer.slice(start, end).trim()
    start = end + 1
    if (line)
      events.push(JSON.parse(line) as LiveEvent)
  }
  return { events, rest: buffer.slice(start) }
}

export function serializeEvent(event: LiveEvent): string {
  // JSON.stringify escapes every newline inside strings, so one event is one line.
  return `${JSON.stringify(event)}\n`
}
