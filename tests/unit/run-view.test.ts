/** What a live-run pane shows, as a pure function of what happened (composables/runView.ts): no browser, no server. */
import { describe, expect, it } from 'vitest'
import type { Recording } from 'async-stacks-engine/schema'
import { hasStarted, recordedView, reduceRun, type RunAction, type RunView } from 'slidev-addon-async-stacks/composables/runView'
import { fakeRecording } from '../support/fake-recording'

const recording = (over: Partial<Recording['run']> = {}): Recording => fakeRecording(over)

const play = (actions: RunAction[], from: RunView = recordedView(recording())): RunView => actions.reduce(reduceRun, from)
const live = { name: 'CPython', version: '3.12.1' }

describe('reduceRun', () => {
  it('shows the committed recording until the server offers a live run, keeping its command', () => {
    const shown = recordedView(recording(), 'no python here')
    expect(shown).toMatchObject({ state: 'recorded', fallbackReason: 'no python here', command: ['python3', 'demos/demo.py'], output: recording().run.output })
    const offered = reduceRun(shown, { type: 'available', runtime: live })
    expect(offered).toMatchObject({ state: 'idle', runtime: live, command: ['python3', 'demos/demo.py'], output: [], recording: null, fallbackReason: null })
    // Offered once: a second answer changes nothing.
    expect(reduceRun(offered, { type: 'available', runtime: { name: 'x', version: '1' } })).toBe(offered)
  })

  it('follows a run from its queue position to its end, never changing the view it was given', () => {
    const idle = play([{ type: 'available', runtime: live }])
    const frozen = JSON.stringify(idle)
    const running = play([
      { type: 'begin' },
      { type: 'queued', position: 2 },
      { type: 'start', demo: 'demo', runtime: { ...live, executable: '/bin/python' }, command: ['python3', '-X', 'demo.py'] },
      { type: 'output', chunk: { stream: 'stdout', atMs: 1, text: 'hi\n' } },
    ], idle)
    expect(JSON.stringify(idle)).toBe(frozen)
    expect(running).toMatchObject({ state: 'running', queuedPosition: null, command: ['python3', '-X', 'demo.py'], eventCount: 3 })
    expect(hasStarted(running)).toBe(true)
    expect(running.output).toHaveLength(1)
    const ended = reduceRun(running, { type: 'end', recording: recording({ timedOut: true }) })
    expect(ended.state).toBe('timed-out')
    // The recording's output is the whole output: it replaces what streamed.
    expect(ended.output).toEqual(recording().run.output)
  })

  it('a stop leaves a running pane idle and marked stopped; a failure shows its message', () => {
    const running = play([{ type: 'available', runtime: live }, { type: 'begin' }])
    expect(hasStarted(running)).toBe(false)
    expect(reduceRun(running, { type: 'stop' })).toMatchObject({ state: 'idle', cancelled: true })
    const done = reduceRun(running, { type: 'end', recording: recording() })
    expect(reduceRun(done, { type: 'stop' })).toBe(done)
    expect(reduceRun(running, { type: 'fail', message: 'cut' })).toMatchObject({ state: 'failed', error: 'cut' })
    expect(reduceRun(running, { type: 'error', message: 'boom' })).toMatchObject({ state: 'failed', error: 'boom', eventCount: 1 })
  })

  it('a recording that cannot be read shows why, with nothing else', () => {
    expect(reduceRun(recordedView(recording()), { type: 'show-recording', recording: null, error: 'no such file' }))
      .toMatchObject({ state: 'recorded', recording: null, output: [], error: 'no such file' })
  })
})
