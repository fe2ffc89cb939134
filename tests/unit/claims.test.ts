/**
 * Every claim the talk makes about a runtime keeping or losing a frame, checked against
 * the committed recording it rests on. If a recording contradicts the story, the story
 * (slides.md) must change, not this test.
 */
import { describe, expect, it } from 'vitest'
import { findEntry, versionMatches } from '../../engine/recording-lookup'
import { readManifest, readManifestRecording } from '../../engine/recordings'
import type { Recording } from '../../engine/schema'

/** A demo's recording, found as the deck finds it (engine/recording-lookup.ts). */
function recordingOf(demo: string, version?: string): Recording {
  return readManifestRecording(findEntry(readManifest(), demo, version))
}

/** User frames of the error trace, outermost first, as `async name` / `name`. */
function userTrace(demo: string, version?: string): string[] {
  const tb = recordingOf(demo, version).traceback
  if (!tb)
    throw new Error(`${demo} has no traceback`)
  return tb.frames.filter(f => f.isUser).map(f => `${f.isAsync ? 'async ' : ''}${f.function.replace(/^.*::(\w+)::\{\{closure\}\}$/, '$1')}`)
}

const hasVersion = (demo: string, version: string) => readManifest().some(e => e.demo === demo && versionMatches(e.version, version))

describe('claims the talk makes', () => {
  it('sync Python: the traceback shows <module> → foo → bar → blow_up', () => {
    expect(userTrace('sync')).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
  })

  it('async Python: "pretty much the same as sync", plus asyncio frames', () => {
    expect(userTrace('async_loop')).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    const internal = recordingOf('async_loop').traceback!.frames.filter(f => !f.isUser)
    expect(internal.map(f => f.function)).toContain('run_until_complete')
    expect(userTrace('async_run')).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
  })

  it('async Python: while blow_up sleeps nothing of ours is on the thread stack, at the raise all three are', () => {
    const { steps } = recordingOf('async_loop')
    const idle = steps.filter(s => s.kind === 'idle' && s.asyncChains?.some(c => c.frames.some(f => f.function === 'blow_up')))
    expect(idle.length).toBeGreaterThan(0)
    for (const step of idle)
      expect(step.physicalStack.filter(f => f.isUser).map(f => f.function)).toEqual(['<module>'])
    const raise = steps.find(s => s.kind === 'raise')!
    expect(raise.physicalStack.filter(f => f.isUser).map(f => f.function)).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
  })

  it('async Python: each await re-enters the coroutine it awaits: resuming, foo re-enters bar, which re-enters blow_up', () => {
    const resumed = recordingOf('async_loop').steps.filter(s => s.kind === 'resume').map(s => s.physicalStack.filter(f => f.isUser).map(f => f.function))
    // The deepest resume puts the whole chain back, outermost first: the loop enters foo, not blow_up.
    expect(resumed.at(-1)).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    expect(resumed).toContainEqual(['<module>', 'foo', 'bar'])
  })

  it('2019, Nick Fitzgerald: Rust\'s backtrace kept every async caller below the callee; JavaScript\'s (Node 10) a single frame', () => {
    expect(userTrace('rust_async').map(name => name.replace(/^rust_async::|::\{\{closure\}\}$/g, ''))).toEqual(['main', 'block_on', 'foo', 'bar', 'blow_up'])
    expect(userTrace('async', '10')).toEqual(['blowUp'])
  })

  it('async JavaScript (Node ≥ 12): at async bar / at async foo', () => {
    expect(userTrace('async')).toEqual(['async foo', 'async bar', 'blowUp'])
  })

  it('async JavaScript: at the throw only blowUp is physically on the stack; V8 rebuilds bar and foo', () => {
    const raise = recordingOf('async').steps.find(s => s.kind === 'raise')!
    expect(raise.physicalStack.filter(f => f.isUser).map(f => f.function)).toEqual(['blowUp'])
    const logical = raise.asyncChains!.flatMap(c => c.frames).map(f => f.function)
    expect(logical).toEqual(expect.arrayContaining(['bar', 'foo']))
  })

  it.runIf(hasVersion('async', '10'))('then: Node 10 prints only blowUp, no async bar', () => {
    expect(userTrace('async', '10')).toEqual(['blowUp'])
  })

  it.runIf(hasVersion('async', '8'))('then: Node 8 has no async frames either', () => {
    expect(userTrace('async', '8').filter(f => f.startsWith('async'))).toEqual([])
  })

  it('Python create_task: the traceback survives, the live stack inside the task lost its callers', () => {
    expect(userTrace('create_task')).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    const printed = recordingOf('create_task').run.output.filter(c => c.stream === 'stderr').map(c => c.text).join('')
    const liveStack = printed.slice(0, printed.indexOf('Traceback (most recent call last):'))
    expect(liveStack).toContain('in blow_up')
    expect(liveStack).not.toMatch(/in (foo|bar)\n/)
  })

  it('Python gather keeps the chain; TaskGroup wraps the error in an ExceptionGroup', () => {
    expect(userTrace('gather')).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    expect(recordingOf('task_group').traceback!.exception.type).toBe('ExceptionGroup')
  })

  it('JavaScript .then() chains and setTimeout callbacks lose foo and bar', () => {
    for (const demo of ['then_chain', 'set_timeout']) {
      const names = userTrace(demo)
      expect(names.some(n => /\b(foo|bar)\b/.test(n)), demo).toBe(false)
    }
  })

  it('JavaScript: a promise returned without await loses bar; Promise.all keeps the chain', () => {
    expect(userTrace('no_await')).toEqual(['async foo', 'blowUp'])
    const all = recordingOf('promise_all').traceback!
    expect(all.text).toContain('at async Promise.all (index 1)')
    expect(userTrace('promise_all')).toEqual(expect.arrayContaining(['async foo', 'async bar', 'blowUp']))
  })

  it('async Rust: nested polls show blow_up, bar and foo; a spawned task loses foo and bar', () => {
    expect(userTrace('rust_async')).toEqual(expect.arrayContaining(['foo', 'bar', 'blow_up']))
    const spawned = userTrace('rust_spawn')
    expect(spawned).toEqual(expect.arrayContaining(['blow_up']))
    expect(spawned).not.toEqual(expect.arrayContaining(['foo']))
    expect(spawned).not.toEqual(expect.arrayContaining(['bar']))
  })
})
