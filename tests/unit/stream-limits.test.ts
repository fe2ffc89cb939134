/**
 * What a live run streams is bounded: its steps count against the output cap (a deep
 * recursion is stopped there and marked truncated), and a client that does not read
 * cannot make the server buffer more than a fixed amount for it. A real http server on
 * loopback, real CPython runs, a real socket that is never read.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_OUTPUT_CAP_BYTES } from 'async-stacks-engine/spawn'
import { createLiveHandler, type LiveHandler } from 'slidev-addon-async-stacks/server/handler'
import { parseNdjson, type LiveEvent } from 'slidev-addon-async-stacks/server/protocol'
import { scratchDemosDir } from '../support/scratch'
import { processesMentioning, streamRun, waitFor } from './server-support'

const MiB = 1024 * 1024

let demosDir: string

beforeAll(() => {
  demosDir = scratchDemosDir()
  writeFileSync(join(demosDir, 'deep.py'), [
    'import sys',
    'sys.setrecursionlimit(10000)',
    'def down(n):',
    '    return 0 if n == 0 else 1 + down(n - 1)',
    'print(down(3000))',
    '',
  ].join('\n'))
  writeFileSync(join(demosDir, 'flood.py'), 'import sys\nwhile True:\n    sys.stdout.write("x" * 1000 + "\\n")\n')
})

/** The handler on a bare http server; `largestUnread` is the most any response ever held unsent. */
async function listen(handler: LiveHandler): Promise<{ server: Server, port: number, largestUnread: () => number, responses: ServerResponse[] }> {
  let largest = 0
  const responses: ServerResponse[] = []
  const server = createServer((req, res) => {
    responses.push(res)
    const write = res.write.bind(res) as (chunk: string) => boolean
    res.write = ((chunk: string) => {
      const flushed = write(chunk)
      largest = Math.max(largest, res.writableLength)
      return flushed
    }) as typeof res.write
    handler(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, largestUnread: () => largest, responses }
}

/** The body of a whole chunked HTTP answer. */
function dechunk(answer: Buffer): string {
  const body: Buffer[] = []
  let at = answer.indexOf('\r\n\r\n') + 4
  for (;;) {
    const lineEnd = answer.indexOf('\r\n', at)
    const size = Number.parseInt(answer.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0))
      return Buffer.concat(body).toString('utf8')
    body.push(answer.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

const close = (server: Server | undefined) => new Promise<void>(resolve => server ? server.close(() => resolve()) : resolve())

describe('the steps count against the output cap', () => {
  let server: Server
  let port: number

  beforeAll(async () => {
    ;({ server, port } = await listen(createLiveHandler({ demosDir })))
  })
  afterAll(() => close(server))

  it('a recursion 3000 calls deep is stopped at the 1 MiB cap and marked truncated; what streamed stays under it', async () => {
    const run = await streamRun(port, 'deep')
    const last = run.events.at(-1)
    expect(last?.type).toBe('end')
    const recording = (last as Extract<LiveEvent, { type: 'end' }>).recording
    expect(recording.run.truncated).toBe(true)
    expect(recording.run.timedOut).toBe(false)
    expect(recording.stepsNote).toMatch(/cap/)
    expect(recording.steps.length).toBeGreaterThan(10)

    const streamed = run.events.filter(e => e.type === 'step' || e.type === 'output')
    const bytes = streamed.reduce((sum, e) => sum + (e.type === 'output' ? Buffer.byteLength(e.chunk.text) : Buffer.byteLength(JSON.stringify(e))), 0)
    expect(bytes).toBeLessThanOrEqual(DEFAULT_OUTPUT_CAP_BYTES)
    // The whole answer, the final recording included, is a few MiB at most.
    const total = run.events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0)
    expect(total).toBeLessThan(3 * MiB)
    expect(processesMentioning(join(demosDir, 'deep.py'))).toEqual([])
  })
})

describe('a client that does not read', () => {
  let handler: LiveHandler
  let server: Server
  let port: number
  let largestUnread: () => number
  let responses: ServerResponse[]

  beforeAll(async () => {
    // A cap far above what the test lets through: here only the unread bound may stop the run.
    handler = createLiveHandler({ demosDir, timeoutMs: 10_000, outputCapBytes: 32 * MiB })
    ;({ server, port, largestUnread, responses } = await listen(handler))
  })

  /** Ask for a flood on a socket that is never read (until the test reads it). */
  const unreadRun = () => {
    const body = JSON.stringify({ demo: 'flood' })
    const socket = connect(port, '127.0.0.1')
    socket.pause()
    socket.write(`POST /__live/run HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    return socket
  }
  afterAll(() => close(server))

  it('cannot make the server hold more than a fixed amount: the run is stopped, and the stream ends with an error saying why', async () => {
    const socket = unreadRun()
    const started = performance.now()
    await waitFor(() => handler.manager.started === 1, 5_000, 'the run did not start')
    await waitFor(() => handler.manager.running === 0, 12_000, 'the run did not end')
    const elapsed = performance.now() - started

    // At most the bound (1 MiB) plus the one event that crossed it, never the whole flood.
    expect(largestUnread()).toBeLessThanOrEqual(2 * MiB)
    // Stopped for not reading, long before its 10 s timeout.
    expect(elapsed).toBeLessThan(8_000)
    expect(processesMentioning(join(demosDir, 'flood.py'))).toEqual([])

    const received: Buffer[] = []
    socket.on('data', data => received.push(data))
    await new Promise(resolve => socket.on('close', resolve).resume())
    const events = parseNdjson(dechunk(Buffer.concat(received))).events
    const last = events.at(-1)
    expect(last?.type).toBe('error')
    expect(last?.type === 'error' && last.message).toMatch(/not reading/)
  })

  it('and one that never reads has its connection cut a few seconds later, so what it was sent is let go', async () => {
    const before = handler.manager.started
    const socket = unreadRun()
    await waitFor(() => handler.manager.started === before + 1, 5_000, 'the run did not start')
    await waitFor(() => handler.manager.running === 0, 12_000, 'the run did not end')
    const response = responses.at(-1)!
    expect(response.destroyed).toBe(false)
    await waitFor(() => response.destroyed, 8_000, 'the connection of a client that never reads is never cut')
    socket.destroy()
  })
})
