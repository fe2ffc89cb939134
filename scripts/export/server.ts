/**
 * The one server an export uses: the deck built by Slidev (with its /print page), served
 * as static files on localhost.
 *
 * Why a build and not Slidev's dev server: measured side by side on this 36-slide deck,
 * the dev server answers in about 3 s but then serves each print page as ~500 separate
 * modules, and the two print pages took 8 to 30 s to settle on a busy 2-core machine;
 * the build takes 4 to 10 s and its print pages settle in 2 to 4 s. (`slidev` in dev
 * mode has no /print page at all; `slidev export` runs a dev server in "export" mode.)
 */
import { fork } from 'node:child_process'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import sirv from 'sirv'
import { ROOT } from '../lib/paths'
import { ExportError, PortBusyError } from './errors'

const BUILD_CHILD = join(ROOT, 'scripts/export/slidev-build.mjs')

/** Fails with PortBusyError when something already listens on `port`. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.unref()
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortBusyError(port) : error)
    })
    probe.listen(port, 'localhost', () => probe.close(() => resolve()))
  })
}

export interface Build {
  done: Promise<void>
  /** End the build if it still runs (an export that failed elsewhere). */
  stop: () => void
}

/**
 * Build the deck into `outDir` with Slidev, in a child process (so the browser starts and
 * the handout prints meanwhile).
 */
export function buildDeck(entry: string, deckRoot: string, outDir: string, timeoutMs: number): Build {
  const child = fork(BUILD_CHILD, [entry, outDir], {
    cwd: deckRoot,
    detached: true, // its own process group: stopping it ends the bundler's helpers too
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  })
  let log = ''
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let exited = false
  const stop = () => {
    if (exited)
      return
    try {
      process.kill(-child.pid!, 'SIGTERM')
    }
    catch {}
  }
  process.on('exit', stop)
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new ExportError(`the Slidev build did not finish within ${timeoutMs / 1000} s\n${log.trim()}`))
    }, timeoutMs)
    child.on('message', (message: { type: string, message?: string }) => {
      if (message.type === 'built')
        resolve()
      else
        reject(new ExportError(`the Slidev build failed: ${message.message}\n${log.trim()}`))
    })
    child.on('exit', (code, signal) => {
      exited = true
      clearTimeout(timer)
      process.off('exit', stop)
      reject(new ExportError(`the Slidev build exited (${signal ?? `code ${code}`}) before it finished\n${log.trim()}`))
    })
  })
  done.catch(() => {})
  return { done, stop }
}

export interface StaticServer {
  port: number
  stop: () => Promise<void>
}

/**
 * Serve `dir` on localhost as a single-page app (unknown paths without an extension get
 * index.html), with sirv. In its `dev` mode it looks each file up when asked, so the server
 * may start before the build has written them.
 */
export function serveStatic(dir: string, port: number): Promise<StaticServer> {
  const serve = sirv(dir, {
    dev: true,
    single: true,
    etag: true, // with dev: `Cache-Control: no-cache`, revalidated by its ETag
    setHeaders(response, pathname) {
      // Both print pages load the same hashed bundles: the second tab takes them from cache.
      if (/\/assets\/.+\.\w+$/.test(pathname))
        response.setHeader('Cache-Control', 'public, max-age=31536000, immutable')
    },
  })
  const server: Server = createHttpServer((request, response) => {
    // The build folder is being removed (the export is over): end the answer, not the process.
    response.on('pipe', source => source.on('error', () => response.destroy()))
    serve(request, response)
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortBusyError(port) : error))
    server.listen(port, 'localhost', () => {
      const { port: listening } = server.address() as { port: number }
      resolve({
        port: listening,
        stop: () => new Promise<void>((done) => {
          server.closeAllConnections()
          server.close(() => done())
        }),
      })
    })
  })
}
