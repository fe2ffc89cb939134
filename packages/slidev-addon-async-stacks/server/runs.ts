/**
 * The run manager: at most `maxConcurrent` demos run at once, up to `maxQueued` more wait
 * their turn, anything beyond is refused (HTTP 429). Each run gets the timeout and the
 * output cap; aborting its signal (the client went away) takes it out of the queue or
 * kills it. HTTP-agnostic: the endpoint and the tests drive it directly.
 */
import type { Demo } from 'async-stacks-engine/demos'
import type { Recording, RunEvent, RuntimeInfo } from 'async-stacks-engine/schema'
import { DEFAULT_OUTPUT_CAP_BYTES, DEFAULT_TIMEOUT_MS } from 'async-stacks-engine/spawn'
import type { LiveEvent } from './protocol'

export interface RecordFunction {
  (demo: Demo, options: {
    onEvent: (event: RunEvent) => void
    signal: AbortSignal
    timeoutMs: number
    outputCapBytes: number
    /** Another runtime than the demo's default (a pstree run's CPython 3.14). */
    runtime?: RuntimeInfo
    /** Look at the program from outside with pstree while this function awaits (RecordOptions.pstreeAt). */
    pstreeAt?: string
  }): Promise<Recording>
}

export interface RunManagerOptions {
  /** Runs one demo: the engine's `recordDemo` in the server. */
  record: RecordFunction
  maxConcurrent?: number
  maxQueued?: number
  timeoutMs?: number
  outputCapBytes?: number
  /**
   * The manager's own backstop: a run still going this long after its timeout is
   * aborted by the manager, whatever the engine does.
   */
  graceMs?: number
}

export class BusyError extends Error {
  constructor(running: number, queued: number) {
    super(`the live-run server is busy (${running} running, ${queued} waiting): try again in a moment`)
    this.name = 'BusyError'
  }
}

export class CancelledError extends Error {
  constructor() {
    super('the run was cancelled')
    this.name = 'CancelledError'
  }
}

export interface SubmitOptions {
  onEvent: (event: LiveEvent) => void
  signal: AbortSignal
  runtime?: RuntimeInfo
  pstreeAt?: string
}

interface Waiter {
  start: () => void
  onEvent: (event: LiveEvent) => void
}

export const DEFAULT_MAX_CONCURRENT = 4
export const DEFAULT_MAX_QUEUED = 16

export class RunManager {
  readonly maxConcurrent: number
  readonly maxQueued: number
  readonly timeoutMs: number
  readonly outputCapBytes: number
  readonly graceMs: number
  /** How many runs were handed to the engine since the manager was made (tests check it). */
  started = 0
  private active = 0
  private readonly queue: Waiter[] = []
  private readonly record: RecordFunction

  constructor(options: RunManagerOptions) {
    this.record = options.record
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.outputCapBytes = options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES
    this.graceMs = options.graceMs ?? 5_000
  }

  get running(): number {
    return this.active
  }

  get queued(): number {
    return this.queue.length
  }

  /** Whether a new run would be accepted now (runs at once, or waits in the queue). */
  hasRoom(): boolean {
    return this.active < this.maxConcurrent || this.queue.length < this.maxQueued
  }

  /**
   * Run a demo as soon as a slot is free. Throws BusyError at once when the queue is
   * full; rejects with CancelledError if the signal aborts while it waits.
   */
  submit(demo: Demo, options: SubmitOptions): Promise<Recording> {
    if (options.signal.aborted)
      return Promise.reject(new CancelledError())
    if (this.active < this.maxConcurrent)
      return this.execute(demo, options)
    if (this.queue.length >= this.maxQueued)
      throw new BusyError(this.active, this.queue.length)

    return new Promise<Recording>((resolve, reject) => {
      const waiter: Waiter = {
        onEvent: options.onEvent,
        start: () => {
          options.signal.removeEventListener('abort', onAbort)
          this.execute(demo, options).then(resolve, reject)
        },
      }
      const onAbort = () => {
        const index = this.queue.indexOf(waiter)
        if (index >= 0) {
          this.queue.splice(index, 1)
          this.announcePositions(index)
        }
        reject(new CancelledError())
      }
      options.signal.addEventListener('abort', onAbort, { once: true })
      this.queue.push(waiter)
      options.onEvent({ type: 'queued', position: this.queue.length })
    })
  }

  private async execute(demo: Demo, options: SubmitOptions): Promise<Recording> {
    this.active++
    this.started++
    const controller = new AbortController()
    const onAbort = () => controller.abort(options.signal.reason)
    options.signal.addEventListener('abort', onAbort, { once: true })
    let overran = false
    const backstop = setTimeout(() => {
      overran = true
      controller.abort(new Error('time limit'))
    }, this.timeoutMs + this.graceMs)
    try {
      const recording = await this.record(demo, {
        onEvent: (event) => {
          if (!controller.signal.aborted)
            options.onEvent(event)
        },
        signal: controller.signal,
        timeoutMs: this.timeoutMs,
        outputCapBytes: this.outputCapBytes,
        ...(options.runtime ? { runtime: options.runtime } : {}),
        ...(options.pstreeAt !== undefined ? { pstreeAt: options.pstreeAt } : {}),
      })
      if (options.signal.aborted)
        throw new CancelledError()
      if (overran)
        throw new Error(`the run went past its ${this.timeoutMs} ms time limit and was stopped`)
      return recording
    }
    catch (error) {
      if (options.signal.aborted)
        throw new CancelledError()
      if (overran)
        throw new Error(`the run went past its ${this.timeoutMs} ms time limit and was stopped`)
      throw error
    }
    finally {
      clearTimeout(backstop)
      options.signal.removeEventListener('abort', onAbort)
      this.active--
      this.next()
    }
  }

  private next(): void {
    while (this.active < this.maxConcurrent && this.queue.length) {
      this.queue.shift()!.start()
      this.announcePositions(0)
    }
  }

  /** Tell every waiter from `from` on its new place in the queue. */
  private announcePositions(from: number): void {
    for (let i = from; i < this.queue.length; i++)
      this.queue[i]!.onEvent({ type: 'queued', position: i + 1 })
  }
}
