/** The slide's side of the live-run protocol (composables/useDemoRun.ts), against a fake server. */
import { describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick } from 'vue'
import type { Recording } from 'async-stacks-engine/schema'
import { toLines, useDemoRun, type DemoRun, type DemoRunOptions } from 'slidev-addon-async-stacks/composables/useDemoRun'
import { serializeEvent, type LiveEvent, type StatusBody } from 'slidev-addon-async-stacks/server/protocol'
import { fakeRecording } from '../support/fake-recording'

const recording = (over: Partial<Recording['run']> = {}): Recording => fakeRecording(over)

const status = (runtime: StatusBody['demos'][number]['runtime'] = { name: 'CPython', version: '3.11.7' }, name = 'demo'): StatusBody => ({
  live: true,
  demos: [{ name, file: 'demos/demo.py', language: 'python', runtime, reason: runtime ? null : 'no python runtime found' }],
  limits: { timeoutMs: 10_000, outputCapBytes: 1 << 20, maxConcurrent: 4, maxQueued: 16 },
  running: 0,
  queued: 0,
})

type FakeServer = ReturnType<typeof fakeServer>

/** A fake server: the status, then a run that streams the given events (with a pause between each). */
function fakeServer(options: { status?: StatusBody | null, events?: LiveEvent[], runStatus?: number, runError?: { code: string, message: string } }) {
  const calls: { url: string, init?: RequestInit }[] = []
  const doFetch = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init })
    if (url.endsWith('__live/status')) {
      if (options.status === null)
        throw new TypeError('Failed to fetch')
      return Response.json(options.status ?? status())
    }
    if (options.runStatus)
      return Response.json({ error: options.runError }, { status: options.runStatus })
    const events = options.events ?? []
    const signal = init?.signal
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const event = events.shift()
        await new Promise(resolve => setTimeout(resolve, 5))
        if (signal?.aborted)
          return controller.error(new DOMException('aborted', 'AbortError'))
        if (!event)
          return controller.close()
        controller.enqueue(new TextEncoder().encode(serializeEvent(event)))
      },
    })
    return new Response(body, { headers: { 'Content-Type': 'application/x-ndjson' } })
  }) as typeof fetch
  return { doFetch, calls }
}

let n = 0
/** A distinct base per test: the status is cached per base. */
const base = () => `/t${n++}/`

describe('toLines', () => {
  it('joins chunks that split a line, splits chunks that hold many, and keeps the streams apart', () => {
    expect(toLines([
      { stream: 'stdout', atMs: 0, text: 'a' },
      { stream: 'stdout', atMs: 1, text: 'b\nc\n' },
      { stream: 'stderr', atMs: 2, text: 'Trace' },
      { stream: 'stderr', atMs: 3, text: 'back\n  File\n' },
      { stream: 'stdout', atMs: 4, text: 'no newline' },
    ])).toEqual([
      { stream: 'stdout', text: 'ab' },
      { stream: 'stdout', text: 'c' },
      { stream: 'stderr', text: 'Traceback' },
      { stream: 'stderr', text: '  File' },
      { stream: 'stdout', text: 'no newline' },
    ])
  })
})

describe('useDemoRun', () => {
  it('shows the recording where live runs are off, and asks no server', async () => {
    const server = fakeServer({})
    const run = useDemoRun('demo', { live: false, recorded: () => recording(), fetch: server.doFetch, base: base() })
    await run.ready
    expect(run.state.value).toBe('recorded')
    expect(run.output.value[0]?.text).toContain('Exception: x')
    expect(server.calls).toEqual([])
  })

  it('falls back to the recording when there is no server, or no runtime', async () => {
    for (const server of [fakeServer({ status: null }), fakeServer({ status: status(null) })]) {
      const run = useDemoRun('demo', { recorded: () => recording(), fetch: server.doFetch, base: base() })
      await run.ready
      expect(run.state.value).toBe('recorded')
      expect(run.recording.value?.runtime.version).toBe('3.11.7')
    }
  })

  it('runs: idle → running → done, with output and steps as they come', async () => {
    const end = recording()
    const server = fakeServer({
      events: [
        { type: 'start', demo: 'demo', runtime: end.runtime, command: end.command },
        { type: 'output', chunk: { stream: 'stderr', atMs: 600, text: 'Traceback\n' } },
        { type: 'end', recording: end },
      ],
    })
    const run = useDemoRun('demo', { recorded: () => recording(), fetch: server.doFetch, base: base(), password: () => 'pw' })
    await run.ready
    expect(run.state.value).toBe('idle')
    expect(run.output.value).toEqual([])
    const done = run.run()
    expect(run.state.value).toBe('running')
    await done
    expect(run.state.value).toBe('done')
    expect(run.eventCount.value).toBe(3)
    expect(run.recording.value).toEqual(end)
    const post = server.calls.find(c => c.url.endsWith('__live/run'))!
    expect(post.init?.method).toBe('POST')
    expect(post.init?.body).toBe('{"demo":"demo"}')
    expect((post.init?.headers as Record<string, string>)['x-live-password']).toBe('pw')
  })

  it('timed-out, failed, and the fallback on a missing runtime', async () => {
    const timedOut = fakeServer({ events: [{ type: 'end', recording: recording({ timedOut: true }) }] })
    const a = useDemoRun('demo', { fetch: timedOut.doFetch, base: base() })
    await a.ready
    await a.run()
    expect(a.state.value).toBe('timed-out')

    const failing = fakeServer({ events: [{ type: 'error', message: 'boom' }] })
    const b = useDemoRun('demo', { fetch: failing.doFetch, base: base() })
    await b.ready
    await b.run()
    expect([b.state.value, b.error.value]).toEqual(['failed', 'boom'])

    const cut = fakeServer({ events: [{ type: 'output', chunk: { stream: 'stdout', atMs: 1, text: 'x' } }] })
    const c = useDemoRun('demo', { fetch: cut.doFetch, base: base() })
    await c.ready
    await c.run()
    expect(c.state.value).toBe('failed')
    expect(c.error.value).toMatch(/closed before the run ended/)

    const busy = fakeServer({ runStatus: 429, runError: { code: 'busy', message: 'the live-run server is busy' } })
    const d = useDemoRun('demo', { fetch: busy.doFetch, base: base() })
    await d.ready
    await d.run()
    expect([d.state.value, d.error.value]).toEqual(['failed', 'the live-run server is busy'])

    const missing = fakeServer({ runStatus: 503, runError: { code: 'runtime-missing', message: 'install Python 3' } })
    const e = useDemoRun('demo', { fetch: missing.doFetch, base: base(), recorded: () => recording() })
    await e.ready
    await e.run()
    expect([e.state.value, e.fallbackReason.value]).toEqual(['recorded', 'install Python 3'])
  })

  it('cancel, clicking again, and the end of the component abort the request', async () => {
    const long = (): LiveEvent[] => Array.from({ length: 100 }, (_, i) => ({ type: 'output', chunk: { stream: 'stdout', atMs: i, text: `${i}\n` } }))
    const server = fakeServer({ events: long() })
    const scope = effectScope()
    const run = scope.run(() => useDemoRun('demo', { fetch: server.doFetch, base: base() }))!
    await run.ready

    const first = run.toggle()
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(run.state.value).toBe('running')
    await run.toggle() // clicking again stops it
    await first
    expect(run.state.value).toBe('idle')
    expect(run.cancelled.value).toBe(true)
    const signals = server.calls.filter(c => c.url.endsWith('__live/run')).map(c => c.init!.signal!)
    expect(signals.map(s => s.aborted)).toEqual([true])

    const second = run.run()
    await new Promise(resolve => setTimeout(resolve, 30))
    scope.stop() // the component is unmounted
    await second
    await nextTick()
    const all = server.calls.filter(c => c.url.endsWith('__live/run')).map(c => c.init!.signal!.aborted)
    expect(all).toEqual([true, true])
    expect(run.state.value).toBe('idle')
  })
})

describe('useDemoRun in two windows of one browser (presenter and audience)', () => {
  // 300 events, 5 ms apart: a run of about 1.5 s.
  const longRun = (): LiveEvent[] => Array.from({ length: 300 }, (_, i) => ({ type: 'output', chunk: { stream: 'stdout', atMs: i, text: `${i}\n` } }))
  /** One useDemoRun per window of one browser, each window with its own fake server; all ready. */
  async function openWindows(name: string, servers: FakeServer[], options: DemoRunOptions[] = []) {
    const scope = effectScope()
    const windows = scope.run(() => servers.map((server, i) => useDemoRun(name, { fetch: server.doFetch, base: base(), ...options[i] })))!
    await Promise.all(windows.map(w => w.ready))
    return { windows: windows as [DemoRun, DemoRun], close: () => scope.stop() }
  }
  const runs = (server: FakeServer) => server.calls.filter(c => c.url.endsWith('__live/run'))

  it('a run started in one window plays in the other, which asks the server nothing', async () => {
    const end = recording()
    const presenterServer = fakeServer({
      status: status(undefined, 'mirrored'),
      events: [
        { type: 'start', demo: 'demo', runtime: end.runtime, command: end.command },
        { type: 'output', chunk: { stream: 'stderr', atMs: 600, text: 'Traceback\n' } },
        { type: 'end', recording: end },
      ],
    })
    const audienceServer = fakeServer({ status: status(undefined, 'mirrored') })
    const { windows: [presenter, audience], close } = await openWindows('mirrored', [presenterServer, audienceServer])
    await presenter.run()
    expect(presenter.state.value).toBe('done')
    await vi.waitFor(() => expect(audience.state.value).toBe('done'))
    expect(audience.following.value).toBe(false)
    expect(audience.recording.value).toEqual(end)
    expect(audience.output.value).toEqual(presenter.output.value)
    expect(audience.eventCount.value).toBe(3)
    expect(runs(audienceServer)).toEqual([])
    close()
  })

  it('Stop in the window that follows stops the run where it runs; the newest run wins', async () => {
    const presenterServer = fakeServer({ status: status(undefined, 'mirrored-stop'), events: longRun() })
    const audienceServer = fakeServer({ status: status(undefined, 'mirrored-stop'), events: longRun() })
    const { windows: [presenter, audience], close } = await openWindows('mirrored-stop', [presenterServer, audienceServer])

    const first = presenter.run()
    await vi.waitFor(() => expect(audience.following.value).toBe(true))
    expect(audience.state.value).toBe('running')
    await audience.toggle() // Stop, pressed in the audience window
    await first
    expect(runs(presenterServer).map(c => c.init!.signal!.aborted)).toEqual([true])
    expect([presenter.state.value, presenter.cancelled.value]).toEqual(['idle', true])
    expect([audience.state.value, audience.cancelled.value]).toEqual(['idle', true])

    // A run started in the audience window while the presenter's runs: one run, the newest.
    const second = presenter.run()
    await vi.waitFor(() => expect(audience.following.value).toBe(true))
    await new Promise(resolve => setTimeout(resolve, 550)) // clearly later, not "at once"
    const third = audience.run()
    await second
    await vi.waitFor(() => expect(presenter.following.value).toBe(true))
    expect(runs(presenterServer).map(c => c.init!.signal!.aborted)).toEqual([true, true])
    expect(presenter.state.value).toBe('running')
    audience.cancel()
    await third
    await vi.waitFor(() => expect(presenter.state.value).toBe('idle'))
    close()
  })

  it('two windows starting at once (a click reaches both) keep one run, and both show it', async () => {
    const end = recording()
    const servers = [0, 1].map(() => fakeServer({ status: status(undefined, 'mirrored-click'), events: [...longRun().slice(0, 20), { type: 'end', recording: end }] }))
    const { windows, close } = await openWindows('mirrored-click', servers)
    const started = windows.map(w => w.run())
    await Promise.all(started)
    await vi.waitFor(() => expect(windows.map(w => w.state.value)).toEqual(['done', 'done']))
    const requests = servers.flatMap(runs)
    expect(requests).toHaveLength(2)
    // One request was given up for the other window's; the run that went on reached both.
    expect(requests.filter(c => c.init!.signal!.aborted)).toHaveLength(1)
    expect(windows.map(w => w.recording.value)).toEqual([end, end])
    expect(windows.map(w => w.eventCount.value).sort()).toEqual([21, 21])
    close()
  })

  it('a window that shows the recording (export, preview) does not follow', async () => {
    const { windows: [live, printed], close } = await openWindows('mirrored-print',
      [fakeServer({ status: status(undefined, 'mirrored-print'), events: longRun().slice(0, 3) }), fakeServer({})],
      [{}, { live: false, recorded: () => recording() }])
    await live.run()
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(printed.state.value).toBe('recorded')
    expect(printed.output.value[0]?.text).toContain('Exception: x')
    close()
  })
})
