/**
 * The CPython adapter against real interpreters (no mocks): the seed demos' frames, stacks,
 * logical asyncio chains and timings; traced output byte-for-byte equal to a plain run for
 * every Python demo on every interpreter found; and programs that misbehave.
 */
import { realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { portablePaths } from 'async-stacks-engine/portable'
import { listDemos, type Demo } from 'async-stacks-engine/demos'
import { REPO_ROOT, TALK } from '../support/project'
import {
  findTracebackStart, parsePrintedTraceback, pythonAdapter, recordRun, tracedCommand,
} from 'async-stacks-engine/python'
import { RecordingSchema, type Recording, type RuntimeInfo, type Step } from 'async-stacks-engine/schema'
import { spawnLimited, streamText, type LimitedSpawnResult } from 'async-stacks-engine/spawn'
import { scratchDemosDir } from '../support/scratch'

const DEMOS = listDemos()
const PY_DEMOS = DEMOS.filter(d => d.language === 'python')
const demo = (name: string): Demo => {
  const found = DEMOS.find(d => d.name === name)
  if (!found)
    throw new Error(`no demo ${name}`)
  return found
}

// Real interpreters only: whatever this machine has (the tests are skipped without one).
const runtimes: RuntimeInfo[] = await pythonAdapter.discover(TALK.runtimesDir)
const python = runtimes[0]!
const noPython = runtimes.length === 0

function plainRun(d: Demo, runtime: RuntimeInfo, timeoutMs = 20_000): Promise<LimitedSpawnResult> {
  const plain = pythonAdapter.plainCommand(d, runtime)
  return spawnLimited({ command: plain.command, args: plain.args, cwd: REPO_ROOT, timeoutMs }).done
}

const userNames = (frames: { function: string, isUser: boolean }[]) => frames.filter(f => f.isUser).map(f => f.function)
const names = (frames: { function: string }[]) => frames.map(f => f.function)

/**
 * Program-time gaps from `first` to the steps matched by `later`, for a timing check that
 * tolerates a loaded machine: the best of a few runs.
 */
async function bestTimings(d: Demo, measure: (r: Recording) => number[], expected: number[], tolerance = 20): Promise<number[]> {
  let best: number[] = []
  let bestError = Infinity
  for (let attempt = 0; attempt < 3; attempt++) {
    const recording = await pythonAdapter.record({ demo: d, runtime: python })
    const got = measure(recording)
    const error = Math.max(...expected.map((e, i) => Math.abs((got[i] ?? Infinity) - e)))
    if (error < bestError) {
      best = got
      bestError = error
    }
    if (error <= tolerance)
      break
  }
  return best
}

describe.skipIf(noPython)('discover', () => {
  it('finds CPython >= 3.6, the python3 on PATH first, each interpreter once', async () => {
    for (const runtime of runtimes) {
      expect(runtime.name).toBe('CPython')
      expect(runtime.version).toMatch(/^3\.\d+\.\d+/)
      const [, minor] = runtime.version.split('.').map(Number)
      expect(minor).toBeGreaterThanOrEqual(6)
    }
    const real = runtimes.map(r => realpathSync(r.executable))
    expect(new Set(real).size).toBe(real.length)
    // The default is what `python3` on PATH really runs (a pyenv shim resolved to its binary).
    const probe = await spawnLimited({ command: 'python3', args: ['-c', 'import sys; print(sys.executable)'], cwd: REPO_ROOT }).done
    if (probe.exitCode === 0)
      expect(realpathSync(runtimes[0]!.executable)).toBe(realpathSync(streamText(probe.output, 'stdout').trim()))
  })

  it('finds the same default alone, without probing the other interpreters', async () => {
    expect(await pythonAdapter.discoverDefault(TALK.runtimesDir)).toEqual(runtimes[0])
  })

  it('gives the plain command a user would type', () => {
    const plain = pythonAdapter.plainCommand(demo('sync'), python)
    expect(plain).toEqual({ command: python.executable, args: [demo('sync').absPath], display: ['python3', 'demos/sync.py'] })
  })
})

describe.skipIf(noPython)('sync.py', () => {
  let recording: Recording
  beforeAll(async () => {
    recording = await pythonAdapter.record({ demo: demo('sync'), runtime: python })
  })

  it('records the traceback from the interpreter, outermost first', () => {
    expect(() => RecordingSchema.parse(recording)).not.toThrow()
    expect(recording.run.exitCode).toBe(1)
    expect(recording.command).toEqual(['python3', 'demos/sync.py'])
    const tb = recording.traceback!
    expect(tb.exception).toEqual({ type: 'Exception', message: 'nested error in sync code' })
    expect(tb.frames.map(f => [f.function, f.file, f.line])).toEqual([
      ['<module>', 'demos/sync.py', 15],
      ['foo', 'demos/sync.py', 13],
      ['bar', 'demos/sync.py', 9],
      ['blow_up', 'demos/sync.py', 5],
    ])
    expect(tb.frames.every(f => f.isUser && !f.isAsync)).toBe(true)
    expect(tb.frames.at(-1)!.source).toBe('raise Exception("nested error in sync code")')
    expect(tb.text.startsWith('Traceback (most recent call last):\n  File "demos/sync.py", line 15, in <module>')).toBe(true)
    expect(tb.text).not.toContain(REPO_ROOT)
  })

  it('has the whole chain on the physical stack at the raise, and no async chains', () => {
    const raise = recording.steps.find(s => s.kind === 'raise')!
    expect(raise.function).toBe('blow_up')
    expect(raise.line).toBe(5)
    expect(userNames(raise.physicalStack)).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    expect(raise.detail).toBe('Exception: nested error in sync code')
    expect(recording.steps.every(s => s.asyncChains === null)).toBe(true)
    const blocks = recording.steps.filter(s => s.kind === 'block')
    expect(blocks.map(s => s.function)).toEqual(['foo', 'bar', 'blow_up'])
    expect(blocks.every(s => /time\.sleep/.test(s.detail ?? ''))).toBe(true)
    expect(recording.steps.map(s => s.index)).toEqual(recording.steps.map((_, i) => i))
  })

  it('shows the sleeps in program time: 100, 300, 600 ms (±20)', async () => {
    const measure = (r: Recording) => {
      const firstBlock = r.steps.find(s => s.kind === 'block')!
      // The first step after each time.sleep returns.
      return [['foo', 13], ['bar', 9], ['blow_up', 5]].map(([fn, line]) =>
        r.steps.find(s => s.kind === 'line' && s.function === fn && s.line === line)!.atMs - firstBlock.atMs)
    }
    const got = await bestTimings(demo('sync'), measure, [100, 300, 600])
    expect(Math.abs(got[0]! - 100)).toBeLessThanOrEqual(20)
    expect(Math.abs(got[1]! - 300)).toBeLessThanOrEqual(20)
    expect(Math.abs(got[2]! - 600)).toBeLessThanOrEqual(20)
    // time.sleep is builtin, so the program starts sleeping at once: the absolute times match too.
    expect(Math.abs(recording.steps.find(s => s.kind === 'raise')!.atMs - 600)).toBeLessThanOrEqual(40)
  })
})

describe.skipIf(noPython)('async_loop.py', () => {
  let recording: Recording
  beforeAll(async () => {
    recording = await pythonAdapter.record({ demo: demo('async_loop'), runtime: python })
  })

  it('records the traceback, with asyncio\'s frame between <module> and foo', () => {
    const tb = recording.traceback!
    expect(tb.exception).toEqual({ type: 'Exception', message: 'nested error in async code' })
    expect(names(tb.frames)).toEqual(['<module>', 'run_until_complete', 'foo', 'bar', 'blow_up'])
    expect(tb.frames.map(f => f.line).filter((_, i) => i !== 1)).toEqual([17, 13, 9, 5])
    expect(tb.frames[1]!.file).toMatch(/asyncio\/base_events\.py$/)
    expect(tb.frames[1]!.isUser).toBe(false)
  })

  it('while blow_up sleeps, the thread has none of our coroutines: only the task remembers them', () => {
    const idles = recording.steps.filter(s => s.kind === 'idle')
    expect(idles.length).toBe(3)
    const idle = idles.find(s => s.asyncChains?.some(c => names(c.frames).includes('blow_up')))!
    expect(idle).toBeDefined()
    // Physically: <module> and the event loop, nothing of foo / bar / blow_up.
    expect(userNames(idle.physicalStack)).toEqual(['<module>'])
    expect(names(idle.physicalStack)).not.toContain('foo')
    for (const frame of idle.physicalStack.filter(f => !f.isUser))
      expect(frame.file).toMatch(/(asyncio\/\w+|selectors)\.py$/)
    expect(idle.function).toBe('select')
    // select() waits at its poll call, not at its def line.
    expect(idle.physicalStack.at(-1)!.source).toMatch(/\.poll\(timeout, max_ev\)$/)
    // Logically: the only task is foo → bar → blow_up → asyncio.sleep, waiting on a future.
    expect(idle.asyncChains).toHaveLength(1)
    const [task] = idle.asyncChains!
    expect(task!.label).toBe('Task-1')
    expect(task!.current).toBe(false)
    expect(names(task!.frames)).toEqual(['foo', 'bar', 'blow_up', 'sleep'])
    expect(userNames(task!.frames)).toEqual(['foo', 'bar', 'blow_up'])
    expect(task!.frames.slice(0, 3).map(f => f.line)).toEqual([13, 9, 4])
    expect(task!.awaiting).toMatch(/^<Future pending/)
  })

  it('at the raise, foo, bar and blow_up are all on the thread again', () => {
    const raise = recording.steps.find(s => s.kind === 'raise')!
    expect(raise.function).toBe('blow_up')
    expect(userNames(raise.physicalStack)).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
    const [task] = raise.asyncChains!
    expect(task!.current).toBe(true)
    expect(names(task!.frames)).toEqual(['foo', 'bar', 'blow_up'])
  })

  it('the task stores the exception; run_until_complete raises it again from future.result(), with no loop frame under it', () => {
    const raises = recording.steps.filter(s => s.kind === 'raise')
    expect(raises.map(s => s.function)).toEqual(['blow_up', 'bar', 'foo', 'run_until_complete', '<module>'])
    const reraise = raises[3]!
    expect(names(reraise.physicalStack)).toEqual(['<module>', 'run_until_complete'])
    expect(reraise.physicalStack.at(-1)!.source).toBe('return future.result()')
    expect(reraise.detail).toBe('Exception: nested error in async code (stored by Task-1, raised again by future.result())')
  })

  it('awaits suspend each coroutine and resumes wake them, innermost first out, outermost first in', () => {
    const kinds = (kind: Step['kind']) => recording.steps.filter(s => s.kind === kind).map(s => s.function)
    expect(kinds('await')).toEqual(['foo', 'bar', 'foo', 'blow_up', 'bar', 'foo'])
    expect(kinds('resume')).toEqual(['foo', 'foo', 'bar', 'foo', 'bar', 'blow_up'])
    expect(recording.steps.filter(s => s.kind === 'await').every(s => /Future/.test(s.detail ?? ''))).toBe(true)
    // Steps are only ever in the demo, the loop's select(), or run_until_complete raising the task's exception again.
    for (const step of recording.steps)
      expect(step.file === 'demos/async_loop.py' || step.kind === 'idle' || (step.kind === 'raise' && step.function === 'run_until_complete')).toBe(true)
    // No loop is running before run_until_complete: no chains.
    expect(recording.steps[0]!.asyncChains).toBeNull()
  })

  it('as foo suspends last, it alone is on the thread, and the task already waits on foo → bar → blow_up', () => {
    const awaits = recording.steps.filter(s => s.kind === 'await')
    const fooLast = awaits.at(-1)!
    expect(fooLast.function).toBe('foo')
    expect(userNames(fooLast.physicalStack)).toEqual(['<module>', 'foo'])
    const task = fooLast.asyncChains!.find(c => c.current)!
    expect(task.frames.map(f => f.function)).toEqual(['foo', 'bar', 'blow_up'])
    // Each coroutine that suspends in that instant sees the same chain below its caller.
    for (const step of awaits.slice(-3))
      expect(step.asyncChains!.find(c => c.current)!.frames.map(f => f.function)).toEqual(['foo', 'bar', 'blow_up'])
  })

  it('shows the sleeps in program time: 100, 300, 600 ms (±20) after the first await', async () => {
    const measure = (r: Recording) => {
      const firstAwait = r.steps.find(s => s.kind === 'await')!
      // foo wakes first after each sleep: its resumes.
      return r.steps.filter(s => s.kind === 'resume' && s.function === 'foo').map(s => s.atMs - firstAwait.atMs)
    }
    const got = await bestTimings(demo('async_loop'), measure, [100, 300, 600])
    expect(got).toHaveLength(3)
    expect(Math.abs(got[0]! - 100)).toBeLessThanOrEqual(20)
    expect(Math.abs(got[1]! - 300)).toBeLessThanOrEqual(20)
    expect(Math.abs(got[2]! - 600)).toBeLessThanOrEqual(20)
  })

  it('streams start, output, steps and end, in order, matching the recording', async () => {
    const events: string[] = []
    const steps: Step[] = []
    let stderr = ''
    const r = await pythonAdapter.record({
      demo: demo('async_loop'),
      runtime: python,
      onEvent: (event) => {
        events.push(event.type)
        if (event.type === 'step')
          steps.push(event.step)
        if (event.type === 'output' && event.chunk.stream === 'stderr')
          stderr += event.chunk.text
      },
    })
    expect(events[0]).toBe('start')
    expect(events.at(-1)).toBe('end')
    expect(steps).toEqual(r.steps)
    expect(stderr).toBe(streamText(r.run.output, 'stderr'))
  })
})

describe.skipIf(noPython)('every Python demo, on every interpreter found: the traced run prints what a plain run prints', () => {
  it('has demos to check', () => {
    expect(PY_DEMOS.map(d => d.name)).toEqual(expect.arrayContaining(['async_loop', 'sync']))
  })

  // One test per interpreter found (however many that is); its demos run side by side.
  it.each(runtimes.map(runtime => ({ runtime, label: `${runtime.name} ${runtime.version} (${runtime.executable})` })))('$label', async ({ runtime }) => {
    await Promise.all(PY_DEMOS.map(async (d) => {
      const [plain, traced] = await Promise.all([plainRun(d, runtime), recordRun({ demo: d, runtime, timeoutMs: 20_000 })])
      const where = `${d.file} on ${runtime.name} ${runtime.version} (${runtime.executable})`
      // Byte for byte, before any path rewriting; but for object addresses, which differ
      // between any two runs, plain ones too (print_call_graph's `id=0x7f…`: ASLR).
      const addressesMasked = (text: string) => text.replace(/\b0x[0-9a-f]{6,}\b/g, '0xADDR')
      expect(addressesMasked(streamText(traced.run.output, 'stdout')), `stdout of ${where}`).toBe(addressesMasked(streamText(plain.output, 'stdout')))
      expect(streamText(traced.run.output, 'stderr'), `stderr of ${where}`).toBe(streamText(plain.output, 'stderr'))
      expect(traced.run.exitCode, `exit code of ${where}`).toBe(plain.exitCode)
      const { recording } = traced
      expect(recording.runtime.version).toBe(runtime.version)
      const plainStderr = streamText(plain.output, 'stderr')
      if (plain.exitCode !== 0) {
        expect(recording.traceback, `traceback of ${where}`).not.toBeNull()
        const start = findTracebackStart(plainStderr)
        expect(start).toBeGreaterThanOrEqual(0)
        expect(recording.traceback!.text, `traceback text of ${where}`).toBe(portablePaths(plainStderr.slice(start), d))
        expect(recording.steps.length).toBeGreaterThan(0)
        expect(recording.stepsNote).toBeNull()
      }
    }))
  })
})

describe.skipIf(noPython)('programs that misbehave', () => {
  let dir: string
  const make = (name: string, source: string): Demo => {
    writeFileSync(join(dir, `${name}.py`), source)
    return listDemos(dir).find(d => d.name === name)!
  }
  beforeAll(() => {
    dir = realpathSync(scratchDemosDir())
  })

  it('a syntax error: no steps, the interpreter\'s own SyntaxError text, exit 1', async () => {
    const d = make('broken', 'print("before")\ndef f(:\n    pass\n')
    const [plain, r] = await Promise.all([plainRun(d, python), pythonAdapter.record({ demo: d, runtime: python })])
    expect(r.run.exitCode).toBe(1)
    expect(r.steps).toEqual([])
    expect(r.stepsNote).toMatch(/did not compile/)
    expect(r.traceback!.exception.type).toBe('SyntaxError')
    expect(r.traceback!.frames).toEqual([])
    expect(r.traceback!.text).toBe(portablePaths(streamText(plain.output, 'stderr'), d))
    expect(r.traceback!.text).toMatch(/^ {2}File "demos\/broken\.py", line 2\n/)
    expect(streamText(r.run.output, 'stdout')).toBe('')
  })

  it('an endless loop: killed at the timeout, the steps so far kept', async () => {
    const d = make('endless', 'n = 0\nwhile True:\n    n += 1\n')
    const r = await pythonAdapter.record({ demo: d, runtime: python, timeoutMs: 1500 })
    expect(r.run.timedOut).toBe(true)
    expect(r.run.exitCode).toBeNull()
    expect(r.run.signal).toBe('SIGKILL')
    expect(r.traceback).toBeNull()
    expect(r.steps.length).toBeGreaterThan(100)
    expect(r.steps[1]).toMatchObject({ kind: 'line', line: 1, function: '<module>' })
    expect(r.stepsNote).toMatch(/timed out after 1500 ms/)
    expect(r.stepsNote).toMatch(/step limit/)
  })

  it('a flood of output: cut at the cap and killed', async () => {
    const d = make('flood', 'import sys\nfor i in range(10 * 1024):\n    sys.stdout.write("x" * 1023 + "\\n")\n')
    const r = await pythonAdapter.record({ demo: d, runtime: python, outputCapBytes: 64 * 1024, timeoutMs: 20_000 })
    expect(r.run.truncated).toBe(true)
    expect(r.run.timedOut).toBe(false)
    expect(r.run.signal).toBe('SIGKILL')
    expect(Buffer.byteLength(streamText(r.run.output, 'stdout'))).toBeLessThanOrEqual(64 * 1024)
    expect(r.stepsNote).toMatch(/cap of 65536 bytes/)
  })

  it('reading stdin gets end of file at once', async () => {
    const d = make('asks', 'name = input("name? ")\nprint("hello", name)\n')
    const r = await pythonAdapter.record({ demo: d, runtime: python })
    expect(r.run.exitCode).toBe(1)
    expect(r.traceback!.exception).toEqual({ type: 'EOFError', message: 'EOF when reading a line' })
    expect(streamText(r.run.output, 'stdout')).toBe('name? ')
    expect(r.steps.some(s => s.kind === 'block' && s.detail?.includes('input'))).toBe(true)
  })

  it('a deep recursion: the RecursionError text is the plain one, the steps stop before the stacks get huge', async () => {
    const d = make('deep', 'def down(n):\n    return down(n + 1)\n\ndown(0)\n')
    const [plain, r] = await Promise.all([plainRun(d, python), pythonAdapter.record({ demo: d, runtime: python })])
    expect(streamText(r.run.output, 'stderr')).toBe(portablePaths(streamText(plain.output, 'stderr'), d))
    expect(r.traceback!.exception.type).toBe('RecursionError')
    expect(r.traceback!.text).toMatch(/\[Previous line repeated \d+ more times\]/)
    expect(r.traceback!.frames.length).toBeGreaterThan(100)
    expect(r.stepsNote).toMatch(/too deep/)
  })

  it('a missing interpreter: an error naming it', async () => {
    const gone = { name: 'CPython', version: '3.99.0', executable: join(dir, 'no-such-python3') }
    await expect(pythonAdapter.record({ demo: demo('sync'), runtime: gone })).rejects.toThrow(/no-such-python3.*not there/)
  })

  it('the demo\'s path is never seen by the demo as anything but a plain run\'s', async () => {
    const d = make('introspect', [
      'import os, sys, traceback',
      'print(sys.argv == [__file__], __name__, sys.path[0] == os.path.dirname(__file__))',
      'print(sorted(k for k in os.environ if k.startswith(("TRACE", "PYTHONPATH"))), "sitecustomize" in sys.modules)',
      'print(sorted(k for k in globals() if k.startswith("__")))',
      'traceback.print_stack()',
    ].join('\n'))
    const [plain, r] = await Promise.all([plainRun(d, python), recordRun({ demo: d, runtime: python })])
    expect(streamText(r.run.output, 'stdout')).toBe(streamText(plain.output, 'stdout'))
    expect(streamText(r.run.output, 'stderr')).toBe(streamText(plain.output, 'stderr'))
    expect(tracedCommand(d, python).args.at(-1)).toBe(d.absPath)
  })
})

describe('reading a printed traceback', () => {
  it('takes the last exception of a chain, and expands repeated lines', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "a.py", line 3, in f',
      '    1/0',
      'ZeroDivisionError: division by zero',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "a.py", line 9, in <module>',
      '    f()',
      '  File "a.py", line 5, in f',
      '    g()',
      '  [Previous line repeated 2 more times]',
      'ValueError: bad',
      '',
    ].join('\n')
    expect(parsePrintedTraceback(text)).toEqual({
      frames: [
        { file: 'a.py', line: 9, function: '<module>' },
        { file: 'a.py', line: 5, function: 'f' },
        { file: 'a.py', line: 5, function: 'f' },
        { file: 'a.py', line: 5, function: 'f' },
      ],
      exceptionLine: 'ValueError: bad',
    })
    expect(findTracebackStart(`noise\n${text}`)).toBe('noise\n'.length)
  })

  it('reads an exception group and a syntax error', () => {
    const group = [
      '  + Exception Group Traceback (most recent call last):',
      '  |   File "g.py", line 4, in <module>',
      '  |     raise ExceptionGroup("x", [ValueError(1)])',
      '  | ExceptionGroup: x (1 sub-exception)',
      '  +-+---------------- 1 ----------------',
      '    | ValueError: 1',
      '    +------------------------------------',
      '',
    ].join('\n')
    expect(parsePrintedTraceback(group)).toEqual({ frames: [{ file: 'g.py', line: 4, function: '<module>' }], exceptionLine: 'ExceptionGroup: x (1 sub-exception)' })
    const syntax = '  File "s.py", line 2\n    def f(:\n          ^\nSyntaxError: invalid syntax\n'
    expect(parsePrintedTraceback(syntax)).toEqual({ frames: [], exceptionLine: 'SyntaxError: invalid syntax' })
    expect(findTracebackStart(`x\n${syntax}`)).toBe(2)
  })
})
