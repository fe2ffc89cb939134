/**
 * Real runs through the live-run endpoint on a real Vite dev server: twenty at once, a
 * program that never ends, one that floods its output, and a client that goes away.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { Recording } from 'async-stacks-engine/schema'
import type { LiveEvent } from 'slidev-addon-async-stacks/server/protocol'
import { processesMentioning, rawRequest, startLiveServer, streamRun, waitFor, type LiveTestServer } from './server-support'
import { scratchDemosDir } from '../support/scratch'

const endOf = (events: LiveEvent[]): Recording | undefined => {
  const last = events.at(-1)
  return last?.type === 'end' ? last.recording : undefined
}

describe('live runs of the real async_loop demo', () => {
  let server: LiveTestServer

  beforeAll(async () => {
    server = await startLiveServer()
  })
  afterAll(() => server?.close())

  it('twenty at once all finish, each with the right output and traceback', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => streamRun(server.port, 'async_loop')))
    const manager = server.plugin.handler!.manager
    expect(manager.started).toBe(20)
    for (const [i, run] of runs.entries()) {
      expect(run.status, `run ${i}`).toBe(200)
      const recording = endOf(run.events)
      expect(recording, `run ${i} ends with its recording`).toBeDefined()
      expect(run.events[0]?.type, `run ${i}`).toMatch(/^(queued|start)$/)
      expect(run.events.some(e => e.type === 'start')).toBe(true)
      const { run: result, traceback } = recording!
      expect(result.exitCode).toBe(1)
      expect(result.timedOut).toBe(false)
      expect(traceback?.exception).toEqual({ type: 'Exception', message: 'nested error in async code' })
      const ours = traceback!.frames.filter(f => f.isUser).map(f => f.function)
      expect(ours.filter(name => ['foo', 'bar', 'blow_up'].includes(name))).toEqual(['foo', 'bar', 'blow_up'])
      // What streamed is what the recording holds.
      const streamed = run.events.flatMap(e => e.type === 'output' ? [e.chunk] : [])
      const text = (stream: string, chunks: { stream: string, text: string }[]) => chunks.filter(c => c.stream === stream).map(c => c.text).join('')
      expect(text('stderr', streamed)).toBe(text('stderr', result.output))
      expect(text('stderr', streamed)).toContain('Exception: nested error in async code')
      expect(text('stderr', streamed)).toMatch(/in foo[\s\S]*in bar[\s\S]*in blow_up/)
    }
    // Beyond the concurrency limit they waited their turn.
    expect(runs.filter(run => run.events[0]?.type === 'queued').length).toBe(20 - manager.maxConcurrent)
    expect(manager.running + manager.queued).toBe(0)
  })
})

describe('live runs that misbehave', () => {
  let server: LiveTestServer
  let demosDir: string

  beforeAll(async () => {
    demosDir = scratchDemosDir()
    writeFileSync(join(demosDir, 'forever.py'), 'import time\nwhile True:\n    time.sleep(0.05)\n')
    writeFileSync(join(demosDir, 'spin.py'), 'while True:\n    pass\n')
    writeFileSync(join(demosDir, 'spin_in_c.py'), 'import itertools\nsum(itertools.count())\n')
    writeFileSync(join(demosDir, 'flood.py'), 'import sys\nwhile True:\n    sys.stdout.write("x" * 1000 + "\\n")\n')
    writeFileSync(join(demosDir, 'hello.py'), 'print("hello")\n')
    server = await startLiveServer({ demosDir, timeoutMs: 2_000, outputCapBytes: 64 * 1024, maxConcurrent: 2, maxQueued: 1 })
  })
  afterAll(() => server?.close())

  it('a program that never ends is killed at the timeout, while the server keeps serving', async () => {
    // A server of its own with a longer timeout: hello must start, be traced and end while
    // forever still runs, even on a loaded machine.
    const patient = await startLiveServer({ demosDir, timeoutMs: 6_000, maxConcurrent: 2 })
    onTestFinished(() => patient.close())
    const started = performance.now()
    const forever = streamRun(patient.port, 'forever')
    await waitFor(() => processesMentioning(join(demosDir, 'forever.py')).length > 0, 5_000, 'forever.py never started')

    // Meanwhile: the status answers, and another demo runs to its end.
    const status = await rawRequest(patient.port, { method: 'GET', path: '/__live/status' })
    expect(status.status).toBe(200)
    expect(JSON.parse(status.body).running).toBe(1)
    const hello = await streamRun(patient.port, 'hello')
    expect(endOf(hello.events)?.run.output.map(c => c.text).join('')).toBe('hello\n')
    const helloDoneAt = performance.now() - started

    const result = await forever
    const elapsed = performance.now() - started
    // hello was served while forever still ran: its end came before forever's.
    expect(helloDoneAt).toBeLessThan(result.arrivals.at(-1)!)
    const recording = endOf(result.events)
    expect(recording?.run.timedOut).toBe(true)
    expect(elapsed).toBeGreaterThan(5_900)
    expect(elapsed).toBeLessThan(10_000)
    expect(processesMentioning(join(demosDir, 'forever.py'))).toEqual([])
  })

  it('a busy loop is killed at the timeout too', async () => {
    // A loop in C: no step, no output, only the timeout can stop it.
    const result = await streamRun(server.port, 'spin_in_c')
    expect(endOf(result.events)?.run.timedOut).toBe(true)
    expect(processesMentioning(join(demosDir, 'spin_in_c.py'))).toEqual([])
    // A loop in Python is a step per turn: its steps pass this server's 64 KiB cap first.
    const python = await streamRun(server.port, 'spin')
    expect(endOf(python.events)?.run.truncated).toBe(true)
    expect(endOf(python.events)?.run.timedOut).toBe(false)
    expect(processesMentioning(join(demosDir, 'spin.py'))).toEqual([])
  })

  it('a flood of output is cut at the cap and the program killed', async () => {
    const result = await streamRun(server.port, 'flood')
    const recording = endOf(result.events)
    expect(recording?.run.truncated).toBe(true)
    const bytes = recording!.run.output.reduce((sum, c) => sum + Buffer.byteLength(c.text), 0)
    expect(bytes).toBeLessThanOrEqual(64 * 1024)
    expect(processesMentioning(join(demosDir, 'flood.py'))).toEqual([])
  })

  it('when the client goes away, the program is killed and its slot freed', async () => {
    const manager = server.plugin.handler!.manager
    const gone = await streamRun(server.port, 'forever', event => event.type === 'start' || event.type === 'output' || event.type === 'step')
    expect(gone.events.length).toBeGreaterThan(0)
    await waitFor(() => processesMentioning(join(demosDir, 'forever.py')).length === 0, 1_500, 'forever.py still runs after its client left')
    await waitFor(() => manager.running === 0, 1_000, 'the run still holds its slot')
  })

  it('past the queue bound, a run is refused with 429 and nothing starts', async () => {
    const manager = server.plugin.handler!.manager
    const before = manager.started
    const holders = [streamRun(server.port, 'forever', () => false), streamRun(server.port, 'forever'), streamRun(server.port, 'forever')]
    await waitFor(() => manager.running === 2 && manager.queued === 1, 5_000, 'the slots did not fill')
    const refused = await rawRequest(server.port, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"demo":"hello"}' })
    expect(refused.status).toBe(429)
    expect(JSON.parse(refused.body).error.code).toBe('busy')
    expect(refused.headers['retry-after']).toBe('1')
    await Promise.all(holders)
    expect(manager.started).toBe(before + 3)
  })
})
