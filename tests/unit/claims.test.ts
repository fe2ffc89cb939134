/**
 * Every claim the talk makes about a runtime keeping or losing a frame, checked against
 * the committed recording it rests on. If a recording contradicts the story, the story
 * (slides.md) must change, not this test.
 */
import { describe, expect, it } from 'vitest'
import { readManifest, readManifestRecording } from '../../engine/recordings'
import type { Recording } from '../../engine/schema'

function recordingOf(demo: string, version?: string): Recording {
  const entries = readManifest().filter(e => e.demo === demo)
  const entry = version
    ? entries.find(e => e.version === version || e.version.startsWith(`${version}.`))
    : entries.find(e => e.default)
  if (!entry)
    throw new Error(`no recording of ${demo}${version ? ` ${version}` : ''}: run npm run record${version ? ' -- --matrix' : ''}`)
  return readManifestRecording(entry)
}

/** User frames of the error trace, outermost first, as `async name` / `name`. */
function userTrace(demo: string, version?: string): string[] {
  const tb = recordingOf(demo, version).traceback
  if (!tb)
    throw new Error(`${demo} has no traceback`)
  return tb.frames.filter(f => f.isUser).map(f => `${f.isAsync ? 'async ' : ''}${f.function.replace(/^.*::(\w+)::\{\{closure\}\}$/, '$1')}`)
}

const hasVersion = (demo: string, version: string) => readManifest().some(e => e.demo === demo && e.version.startsWith(`${version}.`))

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

  it('Then and now, Python 3.6 → 3.14: every CPython keeps <module> → foo → bar → blow_up; 3.11+ adds carets', () => {
    for (const version of ['3.6', '3.8', '3.10', '3.11', '3.13', '3.14']) {
      expect(userTrace('async_loop', version), version).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
      expect(recordingOf('async_loop', version).traceback!.text.includes('^'), version).toBe(Number(version.split('.')[1]) >= 11)
    }
  })
})

describe('claims of "Python 3.14: the runtime shows the logical stack"', () => {
  const stdout = (r: Recording) => r.run.output.filter(c => c.stream === 'stdout').map(c => c.text).join('')
  const userFrames = (frames: { function: string, isUser: boolean }[]) => frames.filter(f => f.isUser).map(f => f.function)

  it('print_call_graph() inside blow_up prints Task-1 and its coroutine stack, innermost first: blow_up, bar, foo; before 3.14 it does not exist', () => {
    const printed = stdout(recordingOf('call_graph', '3.14'))
    expect(printed).toMatch(/^\* Task\(name='Task-1', id=0x[0-9a-f]+\)\n {2}\+ Call stack:\n/)
    const calls = [...printed.matchAll(/in async (\w+)\(\)/g)].map(m => m[1])
    expect(calls).toEqual(['blow_up', 'bar', 'foo'])
    expect(recordingOf('call_graph', '3.11').traceback!.exception).toEqual({ type: 'AttributeError', message: 'module \'asyncio\' has no attribute \'print_call_graph\'' })
  })

  it('pstree from outside, while blow_up awaits its sleep: Task-1 → foo → bar → blow_up → sleep', () => {
    const r = recordingOf('async_loop', '3.14')
    const view = r.outsideView!
    expect(view.note).toBeNull()
    expect(view.command.slice(0, 4)).toEqual(['python3.14', '-m', 'asyncio', 'pstree'])
    expect([...view.stdout.matchAll(/(?:\(T\) |└── {2})(\S+)/g)].map(m => m[1])).toEqual(['Task-1', 'foo', 'bar', 'blow_up', 'sleep'])
    const held = r.steps[view.atStep]!
    expect(held.kind).toBe('idle')
    expect(held.asyncChains![0]!.frames.map(f => f.function)).toEqual(['foo', 'bar', 'blow_up', 'sleep'])
  })

  it('create_task and gather: the runtime knows who awaits each task (awaited_by), as a tree under bar', () => {
    const created = recordingOf('create_task', '3.14')
    expect(created.outsideView!.stdout).toMatch(/Task-1\n.*foo .*\n.*bar .*\n.*\(T\) Task-2\n.*blow_up /)
    const gathered = recordingOf('gather', '3.14')
    expect(gathered.outsideView!.stdout).toMatch(/Task-1\n.*foo .*\n.*bar .*\n.*├── \(T\) Task-2\n.*tick .*\n.*\n.*└── \(T\) Task-3\n.*blow_up /)
    const idle = gathered.steps[gathered.outsideView!.atStep]!
    expect(idle.callGraph!.map(n => [n.label, n.awaitedBy])).toEqual([['Task-1', []], ['Task-2', ['Task-1']], ['Task-3', ['Task-1']]])
  })

  it('eager tasks: blow_up\'s first step runs with main, foo and bar on the thread\'s stack, and loses them at its first await', () => {
    const r = recordingOf('eager_task', '3.14')
    const at = (i: number) => r.steps[i]!
    // The steps the slide walks.
    expect([27, 28, 30, 34, 35, 37].map(i => `${at(i).kind} ${at(i).function}`)).toEqual(['line bar', 'call blow_up', 'await blow_up', 'idle select', 'resume blow_up', 'raise blow_up'])
    expect(userFrames(at(28).physicalStack)).toEqual(['<module>', 'main', 'foo', 'bar', 'blow_up'])
    expect(at(28).asyncChains!.find(c => c.current)!.frames.map(f => f.function)).toEqual(['blow_up'])
    expect(at(30).callGraph!.find(n => n.label === 'Task-2')!.awaitedBy).toEqual([])
    expect(at(34).callGraph!.find(n => n.label === 'Task-2')!.awaitedBy).toEqual(['Task-1'])
    expect(at(34).asyncChains!.find(c => c.label === 'Task-1')!.frames.map(f => f.function)).toEqual(['main', 'foo', 'bar'])
    expect(userFrames(at(35).physicalStack)).toEqual(['<module>', 'blow_up'])
    expect(userFrames(at(37).physicalStack)).toEqual(['<module>', 'blow_up'])
    expect(userTrace('eager_task', '3.14')).toEqual(['<module>', 'main', 'foo', 'bar', 'blow_up'])
  })
})
