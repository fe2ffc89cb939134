/**
 * The gate in front of the whole dev server (Slidev's endpoints, Vite's file server and
 * WebSocket, our live runs): every HTTP request, every WebSocket handshake and every
 * WebSocket message passes the deck's guard (server/guard.ts, rules in server/access.ts)
 * before anything else sees it. It also keeps the server up: a handler that fails on a
 * malformed request answers 4xx/5xx instead of taking the process down.
 */
import { realpathSync, statSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { isAbsolute, join, normalize, relative, sep } from 'node:path'
import type { Connect, Plugin, ViteDevServer } from 'vite'
import type { Need } from './access'
import { header, refuse, sendJson, type DeckGuard } from './guard'
import { routeNeed } from './routes'

const JSON_TYPE = /^application\/json\s*(;|$)/i

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path)
  }
  catch {
    return null
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  }
  catch {
    return false
  }
}

/**
 * A plain read is `view` when the deck itself loads it: a page, Vite's client, a module
 * in the deck's module graph (Vite adds an import there when it transforms the importer),
 * an installed package, a file of `public/`. Any other file of the project is `read`.
 */
async function readNeed(server: ViteDevServer, url: string): Promise<Need> {
  const base = server.config.base
  let path = url.split('?')[0]!
  try {
    path = decodeURIComponent(path)
  }
  catch {
    return 'read'
  }
  path = `/${normalize(path.startsWith(base) ? path.slice(base.length) : path).replace(/^\/+/, '')}`
  if (path === '/@vite/client' || path === '/@vite/env')
    return 'view'
  // Vite's own spelling of ids that are not URLs (`/@id/__x00__virtual:…`), undone as it does.
  const id = url.startsWith(`${base}@id/`) ? url.slice(`${base}@id/`.length).replace('__x00__', '\0') : url
  if (await server.environments.client.moduleGraph.getModuleByUrl(id))
    return 'view'
  const root = server.config.root
  // An installed package (public code; a deck may take its packages from a folder above it).
  const isPackage = (real: string | null) => real !== null && real.split(sep).includes('node_modules')
  if (path.startsWith('/@fs/'))
    return isPackage(realpathOrNull(path.slice('/@fs'.length))) ? 'view' : 'read'
  // A plugin's virtual module (`\0` ids: Vue's helpers, UnoCSS's sheets): made, not read from disk.
  if (path.startsWith('/@id/__x00__'))
    return 'view'
  if (path.startsWith('/@') || path.startsWith('/__'))
    return 'read' // another id or endpoint the deck has not loaded
  const file = join(root, path)
  if (!inside(root, file))
    return 'read'
  const real = realpathOrNull(file)
  if (isPackage(real))
    return 'view'
  if (server.config.publicDir && isFile(join(server.config.publicDir, path)))
    return 'view'
  if (real || /\.[a-z0-9]+$/i.test(path))
    return 'read' // a file of the project the deck does not load (or a missing one)
  return 'view' // a page of the deck (/, /3, /presenter …): Vite answers with index.html
}

/** Make every middleware's rejected promise an answer instead of an unhandled rejection that ends the process. */
function answerRejections(app: Connect.Server): void {
  for (const layer of app.stack) {
    const handle = layer.handle as (...args: unknown[]) => unknown
    if (typeof handle !== 'function' || handle.length === 4 || (handle as { deckCaught?: true }).deckCaught)
      continue
    const caught = function (this: unknown, req: IncomingMessage, res: ServerResponse, next: Connect.NextFunction) {
      const result = handle.call(this, req, res, next) as Promise<unknown> | undefined
      if (result && typeof result.then === 'function') {
        result.then(undefined, (error: Error) => {
          if (res.headersSent)
            return void res.destroy()
          const malformed = error instanceof SyntaxError
          sendJson(res, malformed ? 400 : 500, { error: { code: malformed ? 'bad-json' : 'internal', message: malformed ? `the request body is not valid JSON: ${error.message}` : `the server could not answer: ${error.message}` } })
        })
      }
      return result
    }
    layer.handle = Object.assign(caught, { deckCaught: true as const }) as never
  }
}

/** What a WebSocket client may send: Vite's own keep-alive and connect notices, unless trusted. */
function allowedMessage(data: unknown, trusted: boolean): boolean {
  let message: { type?: unknown, event?: unknown }
  try {
    message = JSON.parse(String(data)) as typeof message
  }
  catch {
    return false
  }
  if (message.type === 'custom' && message.event === 'slidev:monaco-write')
    return false // writes a file: the deck has no editable code blocks
  if (trusted)
    return true
  return message.type === 'ping' || (message.type === 'custom' && typeof message.event === 'string' && /^vite:client:(connect|disconnect)$/.test(message.event))
}

function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  socket.end(`HTTP/1.1 ${status} Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

/** Every WebSocket handshake passes the guard before Vite's own upgrade handler sees it. */
function guardUpgrades(httpServer: Server, guard: DeckGuard): void {
  const listeners = httpServer.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[]
  httpServer.removeAllListeners('upgrade')
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { refusal } = guard.admit(req, 'view')
    if (refusal)
      return refuseUpgrade(socket, refusal.status, JSON.stringify({ error: { code: refusal.code, message: refusal.message } }))
    for (const listener of listeners)
      listener.call(httpServer, req, socket, head)
  })
}

export function deckGatePlugin(guard: DeckGuard): Plugin {
  return {
    name: 'deck:gate',
    apply: 'serve',
    // Last to configure the server, so its unshift puts the gate before every other middleware.
    enforce: 'post',
    configureServer(server) {
      let caught = false
      const gate = (req: IncomingMessage, res: ServerResponse, next: Connect.NextFunction) => {
        if (!caught) {
          caught = true // every plugin has added its middlewares by the first request
          answerRejections(server.middlewares)
        }
        const method = (req.method ?? 'GET').toUpperCase()
        const routed = routeNeed(method, req.url ?? '/', server.config.base)
        const decide = async (): Promise<Need> => {
          if (routed !== 'module')
            return routed
          // This machine may read anything: only a visitor's reads are looked up.
          return guard.trusts(req) ? 'read' : readNeed(server, req.url ?? '/')
        }
        decide().then((need) => {
          const { refusal } = guard.admit(req, need, res)
          if (refusal)
            return refuse(res, refusal)
          if (need === 'act' && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !JSON_TYPE.test(header(req, 'content-type') ?? ''))
            return refuse(res, { status: 415, code: 'bad-content-type', message: 'this deck takes only JSON bodies (Content-Type: application/json)' })
          next()
        }, error => next(error))
      }
      // First in the stack: ahead of Vite's CORS, host check and file server, and of Slidev.
      server.middlewares.stack.unshift({ route: '', handle: gate as never })
      if (server.httpServer)
        guardUpgrades(server.httpServer as Server, guard)
      server.ws.on('connection', (socket: { emit: (event: string, ...args: unknown[]) => boolean }, req: IncomingMessage) => {
        const trusted = guard.trusts(req)
        const emit = socket.emit
        socket.emit = function (event: string, ...args: unknown[]) {
          if (event === 'message' && !allowedMessage(args[0], trusted))
            return false
          return emit.call(this, event, ...args)
        }
      })
    },
  }
}
