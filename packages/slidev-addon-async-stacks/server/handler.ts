/**
 * The live-run endpoints as one Node request handler (connect-style `(req, res, next)`),
 * mounted by the Vite plugin (server/plugin.ts) and by the tests on a bare http server.
 *
 * Order of checks for POST <base>__live/run — every refusal is JSON, and nothing is
 * started before the last one passes:
 *   403 Host / Origin / password → 405 method → 415 content type → 413 body size →
 *   400 JSON and name → 404 demo not in demos/ → 503 runtime missing → 429 queue full
 *
 * Demos are listed as everyone lists them (engine/demos.ts), but an entry of demos/ that is
 * not a demo (a symbolic link, a folder, a file no runtime handles) is skipped with a warning
 * instead of failing the listing: the other demos keep being served, and a request for it is
 * a 404 that says why. A link is never run nor read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Demo } from 'async-stacks-engine/demos'
import { dirname } from 'node:path'
import { engineConfig } from 'async-stacks-engine/config'
import { listDemos, type DemoProblem } from 'async-stacks-engine/demos'
import type { RecordOptions } from 'async-stacks-engine/adapter'
import type { Recording, RuntimeInfo } from 'async-stacks-engine/schema'
import type { Refusal } from './access'
import { createGuard, header, refuse, sendJson, type DeckGuard } from './guard'
import { NDJSON_TYPE, RUN_PATH, STATUS_PATH, LIVE_PREFIX, serializeEvent, type DemoStatus, type LiveEvent, type StatusBody } from './protocol'
import { BusyError, CancelledError, RunManager, type RunManagerOptions } from './runs'
import { checkContentLength, checkContentType, DEFAULT_MAX_BODY_BYTES, isRefusal, parseRunBody, resolveDemo, tooLarge } from './validate'

/** The part of the trace engine (engine/index.ts) the endpoint uses. */
export interface Engine {
  recordDemo: (demo: Demo, options: Omit<RecordOptions, 'demo' | 'runtime'>) => Promise<Recording>
  defaultRuntime: (demo: Demo) => Promise<RuntimeInfo>
  /** The newest CPython >= 3.14 here (the one with `python -m asyncio pstree`), or null. */
  pstreeRuntime?: (runtimesDir?: string) => Promise<RuntimeInfo | null>
}

export interface LiveHandlerOptions extends Omit<RunManagerOptions, 'record'> {
  /** Where demos are listed from: the deck's demos/ (engine/config.ts); tests point it at a temporary directory. */
  demosDir?: string
  /** Slidev's `remote`: undefined unless the deck was started with `--remote [password]`. */
  remotePassword?: string
  /** The server's guard (server/guard.ts), shared with the gate; made from `remotePassword` if not given. */
  guard?: DeckGuard
  maxBodyBytes?: number
  /** Vite's `base` (`/` by default); the endpoints live under `<base>__live/`. */
  base?: string
  /** The trace engine; loaded from engine/index.ts on first use by default. */
  loadEngine?: () => Promise<Engine>
  /**
   * Where a warning about an entry of demos/ that is not a demo goes (a symbolic link, a
   * stray file: skipped, the other demos are served); each one once. Default: console.warn.
   */
  warn?: (message: string) => void
}

/** Report each entry of demos/ that is skipped once, not at every request. */
export function skippedDemoReporter(warn: (message: string) => void = message => console.warn(`[live-run] ${message} (skipped)`)): (problem: DemoProblem) => void {
  const said = new Set<string>()
  return (problem) => {
    if (said.has(problem.message))
      return
    said.add(problem.message)
    warn(problem.message)
  }
}

export type NextFunction = (error?: unknown) => void

export interface LiveHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void
  manager: RunManager
}

/** Bodies that big are not drained for a clean 413: the connection is cut instead. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024

/**
 * A client this far behind (bytes written for it that it has not read, kernel buffers not
 * counted) has stopped reading: its run is stopped and the stream ends with an error event.
 * Events are not held back or dropped instead: a run's events are the story the slide
 * tells, and a client that does not read would only hold its slot until the timeout. So a
 * response holds at most this plus the one event that crossed it plus that error: an event
 * is at most the output cap, the final recording (output and steps) about twice it.
 */
export const MAX_UNREAD_BYTES = 1024 * 1024
/** How long a client that stopped reading gets to read the error before its connection is cut. */
const UNREAD_GRACE_MS = 5_000

class ClientNotReading extends Error {
  constructor(unread: number) {
    super(`the run was stopped: the client is not reading its events (${unread} bytes unread)`)
    this.name = 'ClientNotReading'
  }
}

const defaultLoadEngine = () => import('async-stacks-engine/index') as Promise<Engine>

/** Read the body, at most maxBytes; null when it is bigger (the rest is drained or the socket cut). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (over) {
        if (size > MAX_DRAIN_BYTES)
          req.destroy()
        return
      }
      if (size > maxBytes) {
        over = true
        chunks.length = 0
        resolve(null)
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.on('end', () => {
      if (!over)
        resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
  })
}

export function createLiveHandler(options: LiveHandlerOptions = {}): LiveHandler {
  const demosDir = options.demosDir ?? engineConfig().demosDir
  // The deck's own runtimes folder: the demos folder's parent's .runtimes/ (engine/config.ts).
  const { runtimesDir } = engineConfig({ root: dirname(demosDir) })
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const base = (options.base ?? '/').replace(/\/?$/, '/')
  const loadEngine = options.loadEngine ?? defaultLoadEngine
  const onProblem = skippedDemoReporter(options.warn)
  let enginePromise: Promise<Engine> | null = null
  const engine = (): Promise<Engine> => {
    enginePromise ??= loadEngine().catch((error) => {
      enginePromise = null // the adapters may appear while the server runs: try again next time
      throw error
    })
    return enginePromise
  }

  const manager = new RunManager({
    ...options,
    record: async (demo, recordOptions) => (await engine()).recordDemo(demo, recordOptions),
  })

  const guard = options.guard ?? createGuard({ remotePassword: options.remotePassword })

  // Probing every CPython takes a second: a found 3.14 is kept, none is asked again after 30 s.
  let pstreeFound: { at: number, runtime: Promise<RuntimeInfo | null> } | null = null
  async function pstreeRuntimeOf(): Promise<{ runtime: RuntimeInfo } | Refusal> {
    const missing = (why: string): Refusal => ({ status: 503, code: 'runtime-missing', message: `${why}: the slide shows the recorded pstree output` })
    let loaded: Engine
    try {
      loaded = await engine()
    }
    catch (error) {
      return { status: 503, code: 'engine-unavailable', message: `the trace engine could not be loaded: ${(error as Error).message}` }
    }
    if (!loaded.pstreeRuntime)
      return missing('this engine cannot look at a run from outside')
    if (!pstreeFound || Date.now() - pstreeFound.at > 30_000)
      pstreeFound = { at: Date.now(), runtime: loaded.pstreeRuntime(runtimesDir).catch(() => null) }
    const runtime = await pstreeFound.runtime
    if (runtime)
      pstreeFound.at = Infinity
    return runtime ? { runtime } : missing('no CPython 3.14 or later on this machine (`python -m asyncio pstree` came with 3.14; `npm run runtimes` provides one)')
  }

  async function runtimeOf(demo: Demo): Promise<{ runtime: RuntimeInfo } | Refusal> {
    let loaded: Engine
    try {
      loaded = await engine()
    }
    catch (error) {
      return { status: 503, code: 'engine-unavailable', message: `the trace engine could not be loaded: ${(error as Error).message}` }
    }
    try {
      return { runtime: await loaded.defaultRuntime(demo) }
    }
    catch (error) {
      return { status: 503, code: 'runtime-missing', message: (error as Error).message }
    }
  }

  async function status(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return refuse(res, { status: 405, code: 'bad-method', message: `${STATUS_PATH} answers GET only`, headers: { Allow: 'GET, HEAD' } })
    const demos: DemoStatus[] = await Promise.all(listDemos(demosDir, { onProblem }).map(async (demo) => {
      const found = await runtimeOf(demo)
      return {
        name: demo.name,
        file: demo.file,
        language: demo.language,
        runtime: isRefusal(found) ? null : { name: found.runtime.name, version: found.runtime.version },
        reason: isRefusal(found) ? found.message : null,
      }
    }))
    const body: StatusBody = {
      live: true,
      demos,
      limits: {
        timeoutMs: manager.timeoutMs,
        outputCapBytes: manager.outputCapBytes,
        maxConcurrent: manager.maxConcurrent,
        maxQueued: manager.maxQueued,
      },
      running: manager.running,
      queued: manager.queued,
      pstree: await pstreeRuntimeOf().then(found => isRefusal(found)
        ? { runtime: null, reason: found.message }
        : { runtime: { name: found.runtime.name, version: found.runtime.version }, reason: null }),
    }
    sendJson(res, 200, body)
  }

  async function run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST')
      return refuse(res, { status: 405, code: 'bad-method', message: `${RUN_PATH} answers POST only, with a JSON body {"demo": "<name>"}`, headers: { Allow: 'POST' } })
    const early = checkContentType(header(req, 'content-type')) ?? checkContentLength(header(req, 'content-length'), maxBodyBytes)
    if (early)
      return refuse(res, { ...early, headers: { Connection: 'close' } })
    const raw = await readBody(req, maxBodyBytes)
    if (raw === null)
      return refuse(res, { ...tooLarge(maxBodyBytes), headers: { Connection: 'close' } })
    const parsed = parseRunBody(raw)
    if (isRefusal(parsed))
      return refuse(res, parsed)
    const resolved = resolveDemo(parsed.name, demosDir, onProblem)
    if (isRefusal(resolved))
      return refuse(res, resolved)
    if (parsed.pstree !== undefined && resolved.demo.language !== 'python')
      return refuse(res, { status: 400, code: 'bad-body', message: `"pstree" is for Python demos (python3.14 -m asyncio pstree): ${resolved.demo.file} is ${resolved.demo.language}` })
    const found = parsed.pstree === undefined ? await runtimeOf(resolved.demo) : await pstreeRuntimeOf()
    if (isRefusal(found))
      return refuse(res, found)

    // From here the answer is a stream of events, one JSON object per line.
    const controller = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished)
        controller.abort(new CancelledError())
    })
    const write = (event: LiveEvent) => {
      if (!res.writableEnded && !res.destroyed)
        res.write(serializeEvent(event))
    }
    const send = (event: LiveEvent) => {
      if (controller.signal.aborted)
        return
      if (res.writableLength > MAX_UNREAD_BYTES)
        controller.abort(new ClientNotReading(res.writableLength))
      else
        write(event)
    }
    if (!manager.hasRoom()) {
      const busy = new BusyError(manager.running, manager.queued)
      return refuse(res, { status: 429, code: 'busy', message: busy.message, headers: { 'Retry-After': '1' } })
    }
    res.writeHead(200, {
      'Content-Type': `${NDJSON_TYPE}; charset=utf-8`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    })
    res.flushHeaders()
    req.socket.setNoDelay(true)
    let ended = false
    let outcome: { recording: Recording } | { error: unknown }
    try {
      outcome = {
        recording: await manager.submit(resolved.demo, {
          ...(parsed.pstree === undefined ? {} : { runtime: found.runtime, pstreeAt: parsed.pstree }),
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type === 'end')
              ended = true
            send(event)
          },
        }),
      }
    }
    catch (error) {
      outcome = { error }
    }
    const reason: unknown = controller.signal.reason
    if (reason instanceof ClientNotReading) {
      // Past the bound, but small: it says why the stream stops here.
      write({ type: 'error', message: reason.message })
      const cut = setTimeout(() => res.destroy(), UNREAD_GRACE_MS)
      res.once('close', () => clearTimeout(cut))
    }
    else if ('error' in outcome) {
      if (!(outcome.error instanceof CancelledError))
        send({ type: 'error', message: (outcome.error as Error).message })
    }
    else if (!ended) {
      send({ type: 'end', recording: outcome.recording })
    }
    res.end()
  }

  const handler = ((req, res, next) => {
    const path = (req.url ?? '').split('?')[0]!
    if (!path.startsWith(base + LIVE_PREFIX))
      return next ? next() : refuse(res, { status: 404, code: 'bad-path', message: 'not a live-run endpoint' })
    const route = path.slice(base.length)
    // Starting a run is an act: this machine's own deck pages, or the remote password.
    const { refusal } = guard.admit(req, 'act', res)
    if (refusal)
      return refuse(res, refusal)
    const work = route === RUN_PATH
      ? run(req, res)
      : route === STATUS_PATH
        ? status(req, res)
        : Promise.resolve(refuse(res, { status: 404, code: 'bad-path', message: `no live-run endpoint at ${JSON.stringify(path.slice(0, 100))}: there are ${base}${STATUS_PATH} and ${base}${RUN_PATH}` }))
    work.catch((error) => {
      if (!res.headersSent)
        refuse(res, { status: 500, code: 'internal', message: (error as Error).message })
      else
        res.end()
    })
  }) as LiveHandler
  handler.manager = manager
  return handler
}
