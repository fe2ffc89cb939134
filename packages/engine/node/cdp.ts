/**
 * A minimal Chrome DevTools Protocol client, over one WebSocket to Node's inspector (the
 * `ws` package) or over a socket pair to the relay worker inside the program
 * (relay/worker.mjs: JSON lines, no TCP).
 *
 * The WebSocket transport's catch:
 * Node's inspector does not set TCP_NODELAY on its side, so whenever it writes two
 * messages in a row the second one waits for our (delayed, up to 40 ms) ACK of the
 * first. Two rules keep that out of the way (see inspector.ts):
 * - a session that only listens (never sends once the program runs) gets its ACKs
 *   sent at once by the kernel, so events are never held;
 * - a session that sends must have at most ONE request in flight (`serial`), so every
 *   response is written when all earlier data has been acknowledged by our request.
 */
import type { Duplex } from 'node:stream'
import WebSocket from 'ws'
import { readLines } from '../spawn'

export interface CdpEvent {
  method: string
  params: Record<string, unknown>
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  method: string
}

export class CdpError extends Error {}

/** How messages go out and come in: a WebSocket, or JSON lines on a socket pair. */
interface Transport {
  send: (text: string, done: (error?: Error) => void) => void
  close: () => void
}

export class CdpSession {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Set<(event: CdpEvent) => void>()
  private queue: Promise<unknown> = Promise.resolve()
  private closedError: Error | null = null
  /** Requests sent, for tests and the overhead report. */
  sent = 0

  private constructor(private readonly transport: Transport, readonly name: string, private readonly serial: boolean) {}

  /** One message as it arrived: an answer to a request, or an event. */
  private receive(raw: string): void {
    let message: { id?: unknown, method?: unknown, params?: Record<string, unknown>, result?: unknown, error?: { message?: string } }
    try {
      message = JSON.parse(raw)
    }
    catch {
      return
    }
    if (typeof message.id === 'number') {
      const pending = this.pending.get(message.id)
      if (pending) {
        this.pending.delete(message.id)
        if (message.error)
          pending.reject(new CdpError(`${pending.method}: ${message.error.message ?? JSON.stringify(message.error)}`))
        else
          pending.resolve(message.result ?? {})
      }
    }
    else if (typeof message.method === 'string') {
      for (const listener of this.listeners)
        listener({ method: message.method, params: message.params ?? {} })
    }
  }

  private static overWebSocket(socket: WebSocket, name: string, serial: boolean): CdpSession {
    const session = new CdpSession({
      send: (text, done) => socket.send(text, done),
      close: () => {
        try {
          socket.close()
        }
        catch {
          socket.terminate()
        }
      },
    }, name, serial)
    socket.on('message', raw => session.receive(String(raw)))
    socket.on('close', () => session.fail(new CdpError(`${name}: inspector connection closed`)))
    socket.on('error', error => session.fail(new CdpError(`${name}: ${error.message}`)))
    return session
  }

  /** A session over the relay's socket pair (one JSON message per line, both ways). */
  static overStream(stream: Duplex, name: string): CdpSession {
    const session = new CdpSession({
      send: (text, done) => {
        stream.write(`${text}\n`, error => done(error ?? undefined))
      },
      close: () => stream.destroy(),
    }, name, false)
    readLines(stream, line => session.receive(line))
    stream.on('close', () => session.fail(new CdpError(`${name}: the relay closed`)))
    stream.on('error', error => session.fail(new CdpError(`${name}: ${error.message}`)))
    return session
  }

  /**
   * Connect to the inspector. The handshake takes as long as it takes: a program held for
   * its debugger cannot start without us, so giving up early would only leave it waiting
   * until its run times out (a loaded machine can take seconds to answer). `signal` (the
   * run ended) is what stops the attempt.
   */
  static connect(url: string, name: string, options: { serial?: boolean, signal?: AbortSignal } = {}): Promise<CdpSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false })
      const onError = (error: Error) => reject(new CdpError(`${name}: could not connect to ${url}: ${error.message}`))
      socket.once('error', onError)
      const onAbort = () => {
        reject(new CdpError(`${name}: the run ended before the inspector at ${url} answered`))
        socket.on('error', () => {}) // terminate() reports the aborted handshake as an error
        socket.terminate()
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      if (options.signal?.aborted)
        onAbort()
      socket.once('close', () => options.signal?.removeEventListener('abort', onAbort))
      socket.once('unexpected-response', (req, res) => {
        socket.off('error', onError)
        socket.on('error', () => {}) // the aborted handshake reports itself once more
        reject(new CdpError(`${name}: the inspector refused the connection (HTTP ${res.statusCode})`))
        req.destroy()
      })
      socket.once('open', () => {
        socket.off('error', onError)
        options.signal?.removeEventListener('abort', onAbort)
        resolve(CdpSession.overWebSocket(socket, name, options.serial ?? false))
      })
    })
  }

  get closed(): boolean {
    return this.closedError !== null
  }

  onEvent(listener: (event: CdpEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Send a command; on a serial session it waits for every earlier command to be answered first. */
  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (!this.serial)
      return this.sendNow<T>(method, params)
    const result = this.queue.then(() => this.sendNow<T>(method, params))
    this.queue = result.catch(() => undefined)
    return result
  }

  private sendNow<T>(method: string, params: Record<string, unknown>): Promise<T> {
    if (this.closedError)
      return Promise.reject(this.closedError)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method })
      this.sent++
      this.transport.send(JSON.stringify({ id, method, params }), (error) => {
        if (error) {
          this.pending.delete(id)
          reject(new CdpError(`${method}: ${error.message}`))
        }
      })
    })
  }

  close(): void {
    this.fail(new CdpError(`${this.name}: closed`))
    this.transport.close()
  }

  private fail(error: Error): void {
    if (!this.closedError)
      this.closedError = error
    for (const pending of this.pending.values())
      pending.reject(this.closedError)
    this.pending.clear()
  }
}
