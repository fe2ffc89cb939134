/**
 * Helpers for the live-run server tests: a real Vite dev server with the plugin mounted,
 * and a raw HTTP client that can send anything (any Host, any path, any bytes).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createServer, type ViteDevServer } from 'vite'
import type { LiveHandlerOptions } from 'slidev-addon-async-stacks/server/handler'
import { deckGatePlugin } from 'slidev-addon-async-stacks/server/gate'
import { createGuard } from 'slidev-addon-async-stacks/server/guard'
import { liveRunPlugin, type LiveRunPlugin } from 'slidev-addon-async-stacks/server/plugin'
import { parseNdjson, type LiveEvent } from 'slidev-addon-async-stacks/server/protocol'
import { scratchDir } from '../support/scratch'

export interface LiveTestServer {
  vite: ViteDevServer
  plugin: LiveRunPlugin
  port: number
  root: string
  close: () => Promise<void>
}

/** A Vite dev server, rooted in an empty temporary directory, with the live-run plugin mounted. */
export async function startLiveServer(options: LiveHandlerOptions = {}): Promise<LiveTestServer> {
  const root = scratchDir('live-root-')
  // The deck's own arrangement: the gate in front, one guard shared with the endpoint.
  const guard = options.guard ?? createGuard({ remotePassword: options.remotePassword })
  const plugin = liveRunPlugin({ ...options, guard })
  const vite = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    appType: 'custom',
    clearScreen: false,
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, ws: false },
    plugins: [deckGatePlugin(guard), plugin],
  })
  await vite.listen()
  const address = vite.httpServer!.address()
  if (!address || typeof address === 'string')
    throw new Error('the test server did not get a port')
  return { vite, plugin, port: address.port, root, close: () => vite.close() }
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawRequest {
  method?: string
  path?: string
  /** Header lines, as sent; `Host` is `localhost:<port>` unless given (null: none at all). */
  headers?: Record<string, string | null>
  body?: string | Buffer
  /** Send the body in pieces of this size (default: all at once). */
  chunkSize?: number
  /** `HTTP/1.1` unless given (Node itself answers an HTTP/1.1 request with no Host). */
  httpVersion?: string
}

/** One request over a fresh socket, exactly as given; reads the answer until the server closes. */
export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  const method = request.method ?? 'POST'
  const path = request.path ?? '/__live/run'
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body)
  const headers: Record<string, string | null> = {
    'Host': `localhost:${port}`,
    'Connection': 'close',
    ...(body.length || method === 'POST' ? { 'Content-Length': String(body.length) } : {}),
    ...request.headers,
  }
  const head = `${method} ${path} ${request.httpVersion ?? 'HTTP/1.1'}\r\n${Object.entries(headers).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', data => received.push(data))
    socket.on('error', (error) => {
      // The server may cut an oversized upload; what it answered before that still counts.
      if (!received.length)
        reject(error)
    })
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      if (split < 0)
        return reject(new Error(`no HTTP answer to ${method} ${path}: ${JSON.stringify(text.slice(0, 200))}`))
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n')
      const parsedHeaders: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        parsedHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      let rest = text.slice(split + 4)
      if (parsedHeaders['transfer-encoding'] === 'chunked')
        rest = dechunk(rest)
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: parsedHeaders, body: rest })
    })
    socket.write(head)
    const size = request.chunkSize ?? body.length
    for (let i = 0; i < body.length; i += Math.max(1, size)) {
      if (socket.destroyed)
        break
      socket.write(body.subarray(i, i + size))
    }
  })
}

function dechunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const lineEnd = rest.indexOf('\r\n')
    if (lineEnd < 0)
      return out
    const size = Number.parseInt(rest.slice(0, lineEnd), 16)
    if (!size)
      return out
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size)
    rest = rest.slice(lineEnd + 2 + size + 2)
  }
}

/** Every file under dir with its size and mtime, skipping the named directories. */
export function snapshotFiles(dir: string, skip: Set<string> = new Set()): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) {
        if (!skip.has(entry.name))
          walk(full)
      }
      else {
        try {
          const stat = statSync(full)
          files.set(full, `${stat.size}:${stat.mtimeMs}`)
        }
        catch {
          files.set(full, 'unreadable')
        }
      }
    }
  }
  walk(dir)
  return files
}

export function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = []
  for (const [path, stamp] of after) {
    if (!before.has(path))
      changes.push(`added ${path}`)
    else if (before.get(path) !== stamp)
      changes.push(`changed ${path}`)
  }
  for (const path of before.keys()) {
    if (!after.has(path))
      changes.push(`removed ${path}`)
  }
  return changes
}

/** Pids of every live process whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid)
      continue
    try {
      const cmdline = readFileSyncSafe(`/proc/${entry}/cmdline`)
      const stat = readFileSyncSafe(`/proc/${entry}/stat`)
      // A zombie (state Z) is already dead, only not yet reaped.
      if (cmdline.includes(needle) && !/^\d+ \(.*\) Z/.test(stat))
        found.push(Number(entry))
    }
    catch {}
  }
  return found
}

/** Direct children of this process (live ones). */
export function childPids(): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry))
      continue
    try {
      const stat = readFileSyncSafe(`/proc/${entry}/stat`)
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z')
        found.push(Number(entry))
    }
    catch {}
  }
  return found
}

function readFileSyncSafe(path: string): string {
  return readFileSync(path, 'utf8')
}

export interface StreamedRun {
  status: number
  events: LiveEvent[]
  /** ms from sending the request to each event's arrival, in order. */
  arrivals: number[]
}

/**
 * POST a run and collect its NDJSON events as they arrive; `until` may end the request
 * early (the client goes away) by returning true.
 */
export function streamRun(port: number, demo: string, until?: (event: LiveEvent, events: LiveEvent[]) => boolean): Promise<StreamedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const body = JSON.stringify({ demo })
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/__live/run', headers: { 'Host': `localhost:${port}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const events: LiveEvent[] = []
      const arrivals: number[] = []
      let rest = ''
      let stopped = false
      res.setEncoding('utf8')
      res.on('data', (text: string) => {
        if (stopped)
          return
        const parsed = parseNdjson(rest + text)
        rest = parsed.rest
        for (const event of parsed.events) {
          events.push(event)
          arrivals.push(performance.now() - started)
          if (until?.(event, events)) {
            stopped = true
            req.destroy()
            resolve({ status: res.statusCode!, events, arrivals })
            return
          }
        }
      })
      res.on('end', () => resolve({ status: res.statusCode!, events, arrivals }))
      res.on('error', (error) => {
        if (!stopped)
          reject(error)
      })
    })
    req.on('error', (error) => {
      if (!req.destroyed || !(error as NodeJS.ErrnoException).code?.startsWith('ECONNRESET'))
        reject(error)
    })
    req.end(body)
  })
}

/** Wait until check() holds, polling; throws with the message after timeoutMs. */
export async function waitFor(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const start = performance.now()
  while (!check()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`${message} (after ${timeoutMs} ms)`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
