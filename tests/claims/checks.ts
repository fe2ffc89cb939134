/**
 * The checks behind the talk's claims: each a function of the recordings (a Store) that
 * throws when they contradict the claim, with the recordings it rests on and mutations
 * that alter them to contradict it (tests/unit/claims-mutations.test.ts runs them all).
 * Frame lists are always compared whole and in order.
 */
import type { Frame, Recording, Step } from 'async-stacks-engine/schema'
import { compareChainsWithCallGraph, KNOWN_GAPS } from '../support/callgraph'
import {
  addFrame, chainOf, dropFrames, dropSteps, get, ok, range, type Ref, renameFrames, replaceText, reverseFrames, same,
  stackNames, stderr, stdout, stepsOf, type Store, traceFrames, userStack, userTrace,
} from './store'

export interface Mutation {
  /** What it does, in a few words: `Node 12: frames reversed`. */
  what: string
  ref: Ref
  change: (r: Recording) => void
}

export interface Check {
  /** What the recordings must show, in a line. */
  title: string
  /** Every recording the check reads: a mutation test removes each in turn. */
  rests: Ref[]
  run: (store: Store) => void
  /** Alterations of those recordings that contradict the claim: the check must then throw. */
  mutations: Mutation[]
}

/** Every CPython and Node.js of the version matrix (recordings/manifest.json); rustc stable and nightly. */
export const CPYTHONS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'] as const
const BEFORE_314 = CPYTHONS.filter(v => v !== '3.14')
export const NODES = ['8', '10', '12', '16', '20', '22', '24', '26'] as const
const NODE_12_UP = NODES.filter(v => Number(v) >= 12)

const R = (demo: string, version?: string): Ref => ({ demo, version })
const refs = (demo: string, versions: readonly string[]) => versions.map(v => R(demo, v))

/** `  File "…", line 8, in main` lines of a printed Python stack: the function names, outermost first. */
const pythonFrames = (text: string) => [...text.matchAll(/^\s*File "[^"]+", line \d+, in (\S+)$/gm)].map(m => m[1]!)
/** V8's `at …` lines, location taken out: `at async Promise.all (index 1)`, `at blowUp`. */
const atLines = (text: string) => text.split('\n').filter(l => /^\s+at /.test(l)).map(l => l.trim().replace(/ \((demos|node:)[^)]*\)$/, ''))
const firstRaise = (r: Recording) => {
  const raise = stepsOf(r, 'raise')[0]
  ok(raise, `${r.demo.name} ${r.runtime.version}: no raise step`)
  return raise
}
const setRaiseTime = (ms: number) => (r: Recording) => {
  for (const s of r.steps) if (s.kind === 'raise') s.atMs = ms
}
const emptyTrace = (r: Recording) => {
  r.traceback!.frames = []
}
const insertTraceFrame = (at: number, name: string, isUser: boolean, isAsync = false) => (r: Recording) => {
  r.traceback!.frames.splice(at, 0, { function: name, file: 'x', line: 1, column: null, source: null, isUser, isAsync })
}

/** Checks of several checks at once (a sentence that rests on more than one). */
export function all(title: string, ...checks: Check[]): Check {
  return {
    title,
    rests: checks.flatMap(c => c.rests),
    run: store => checks.forEach(c => c.run(store)),
    mutations: checks.flatMap(c => c.mutations),
  }
}

// --- sync Python -------------------------------------------------------------------------

export const syncTrace: Check = {
  title: 'sync: the traceback is <module> → foo → bar → blow_up, printed outermost first, foo calling bar on line 13, no runtime frame',
  rests: [R('sync')],
  run(store) {
    const r = get(store, R('sync'))
    same(traceFrames(r), ['<module>', 'foo', 'bar', 'blow_up'], 'sync traceback')
    same(r.traceback!.frames.map(f => f.line), [15, 13, 9, 5], 'sync traceback lines')
    same(pythonFrames(r.traceback!.text), ['<module>', 'foo', 'bar', 'blow_up'], 'sync traceback as printed')
  },
  mutations: [
    { what: 'frames reversed', ref: R('sync'), change: reverseFrames },
    { what: 'foo removed', ref: R('sync'), change: dropFrames(/^foo$/) },
    { what: 'bar renamed', ref: R('sync'), change: renameFrames(/^bar$/, 'baz') },
    { what: 'a frame added', ref: R('sync'), change: addFrame('extra') },
    { what: 'foo calls bar on another line', ref: R('sync'), change: (r) => { r.traceback!.frames[1]!.line = 12 } },
    { what: 'printed innermost first', ref: R('sync'), change: replaceText(/in <module>/, 'in blow_up_') },
  ],
}

export const syncSteps: Check = {
  title: 'sync: time.sleep blocks with foo, then foo → bar, then foo → bar → blow_up on the stack; the raise has all three; no async chains',
  rests: [R('sync')],
  run(store) {
    const r = get(store, R('sync'))
    const blocks = stepsOf(r, 'block')
    same(blocks.map(s => userStack(s.physicalStack)), [['<module>', 'foo'], ['<module>', 'foo', 'bar'], ['<module>', 'foo', 'bar', 'blow_up']], 'sync: stacks while blocked')
    ok(blocks.every(s => /time\.sleep\(\), the thread blocks/.test(s.detail ?? '')), 'sync: each block is time.sleep blocking the thread')
    same(userStack(firstRaise(r).physicalStack), ['<module>', 'foo', 'bar', 'blow_up'], 'sync: stack at the raise')
    ok(r.steps.every(s => s.asyncChains === null), 'sync: no async chains')
  },
  mutations: [
    { what: 'bar removed', ref: R('sync'), change: dropFrames(/^bar$/) },
    { what: 'frames reversed', ref: R('sync'), change: reverseFrames },
    { what: 'no block steps', ref: R('sync'), change: dropSteps('block') },
    { what: 'a frame added', ref: R('sync'), change: addFrame('extra') },
  ],
}

export const errorAt600ms: Check = {
  title: 'sync, asyncio and Rust: the error is raised at 0.6 s of program time (600-700 ms)',
  rests: [R('sync'), R('async_loop'), R('rust_async')],
  run(store) {
    for (const ref of [R('sync'), R('async_loop'), R('rust_async')]) {
      const at = firstRaise(get(store, ref)).atMs
      ok(at >= 600 && at < 700, `${ref.demo}: raised at ${at} ms, not 0.6 s`)
    }
  },
  mutations: [
    { what: 'sync raises at 0.1 s', ref: R('sync'), change: setRaiseTime(100) },
    { what: 'asyncio raises at 0.9 s', ref: R('async_loop'), change: setRaiseTime(900) },
    { what: 'Rust has no raise step', ref: R('rust_async'), change: dropSteps('raise') },
  ],
}

// --- asyncio -----------------------------------------------------------------------------

export const asyncLoopTrace: Check = {
  title: 'asyncio: <module> → run_until_complete (base_events.py, runtime) → foo → bar → blow_up: sync\'s frames plus one',
  rests: [R('async_loop'), R('sync')],
  run(store) {
    const r = get(store, R('async_loop'))
    same(traceFrames(r), ['<module>', '~run_until_complete', 'foo', 'bar', 'blow_up'], 'async_loop traceback')
    ok(r.traceback!.frames[1]!.file.endsWith('asyncio/base_events.py'), 'run_until_complete is base_events.py\'s')
    same(userTrace(r), userTrace(get(store, R('sync'))), 'async_loop\'s own frames vs sync\'s')
  },
  mutations: [
    { what: 'frames reversed', ref: R('async_loop'), change: reverseFrames },
    { what: 'run_until_complete removed', ref: R('async_loop'), change: dropFrames(/^run_until_complete$/) },
    { what: 'a runtime frame added', ref: R('async_loop'), change: insertTraceFrame(2, '_run', false) },
    { what: 'sync\'s foo renamed', ref: R('sync'), change: renameFrames(/^foo$/, 'fooo') },
  ],
}

export const asyncRunVersions: Check = {
  title: 'asyncio.run: missing on 3.6; 3.7-3.10 add run; 3.11+ add run and the Runner\'s run, above run_until_complete',
  rests: refs('async_run', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'async_run', CPYTHONS, '3.6')) {
      if (version.startsWith('3.6.')) {
        ok(r.traceback!.text.includes('AttributeError: module \'asyncio\' has no attribute \'run\''), `async_run ${version}: no asyncio.run`)
        continue
      }
      const v311 = Number(version.split('.')[1]) >= 11
      same(traceFrames(r), ['<module>', '~run', ...(v311 ? ['~run'] : []), '~run_until_complete', 'foo', 'bar', 'blow_up'], `async_run ${version} traceback`)
      if (v311)
        same(r.traceback!.frames.slice(1, 3).map(f => f.source), ['return runner.run(main)', 'return self._loop.run_until_complete(task)'], `async_run ${version}: asyncio.run, then the Runner`)
    }
    ok(traceFrames(get(store, R('async_run'))).length > traceFrames(get(store, R('async_loop'))).length, 'asyncio.run adds frames to the default trace')
  },
  mutations: [
    { what: '3.11.7: the Runner\'s run removed', ref: R('async_run', '3.11.7'), change: dropFrames(/^run$/) },
    { what: '3.12: frames reversed', ref: R('async_run', '3.12'), change: reverseFrames },
    { what: '3.8: run_until_complete renamed', ref: R('async_run', '3.8'), change: renameFrames(/^run_until_complete$/, '_run') },
    { what: '3.10: a Runner frame added', ref: R('async_run', '3.10'), change: insertTraceFrame(1, 'run', false) },
    { what: '3.6: asyncio.run found', ref: R('async_run', '3.6'), change: replaceText('has no attribute \'run\'', 'has no attribute \'x\'') },
    { what: '3.14: the Runner\'s run removed', ref: R('async_run', '3.14'), change: dropFrames(/^run$/) },
  ],
}

export const asyncLoopSteps: Check = {
  title: 'asyncio timeline: awaits foo | bar, foo | blow_up, bar, foo; idle with only <module> while Task-1 holds foo, foo → bar, foo → bar → blow_up; resumes re-enter outermost first; the raise has all three',
  rests: [R('async_loop')],
  run(store) {
    const r = get(store, R('async_loop'))
    same(stepsOf(r, 'await').map(s => s.function), ['foo', 'bar', 'foo', 'blow_up', 'bar', 'foo'], 'await steps')
    const idles = stepsOf(r, 'idle')
    same(idles.map(s => userStack(s.physicalStack)), [['<module>'], ['<module>'], ['<module>']], 'thread stack while idle')
    same(idles.map(s => s.asyncChains?.map(c => c.label)), [['Task-1'], ['Task-1'], ['Task-1']], 'the one task while idle')
    same(idles.map(s => chainOf(s, 'Task-1')), [['foo'], ['foo', 'bar'], ['foo', 'bar', 'blow_up']], 'what the task remembers while idle')
    same(stepsOf(r, 'resume').map(s => userStack(s.physicalStack)), [
      ['<module>', 'foo'],
      ['<module>', 'foo'], ['<module>', 'foo', 'bar'],
      ['<module>', 'foo'], ['<module>', 'foo', 'bar'], ['<module>', 'foo', 'bar', 'blow_up'],
    ], 'stacks as the task resumes foo, then foo re-enters bar, bar re-enters blow_up')
    same(userStack(firstRaise(r).physicalStack), ['<module>', 'foo', 'bar', 'blow_up'], 'stack at the raise')
  },
  mutations: [
    { what: 'no idle steps', ref: R('async_loop'), change: dropSteps('idle') },
    { what: 'frames reversed', ref: R('async_loop'), change: reverseFrames },
    { what: 'bar removed', ref: R('async_loop'), change: dropFrames(/^bar$/) },
    { what: 'foo renamed', ref: R('async_loop'), change: renameFrames(/^foo$/, 'fooo') },
    { what: 'blow_up\'s resume removed', ref: R('async_loop'), change: dropSteps('resume', /^blow_up$/) },
    { what: 'a frame added', ref: R('async_loop'), change: addFrame('extra') },
  ],
}

export const twoStacksJoined: Check = {
  title: 'asyncio, every CPython: at the raise the loop frames are under foo; the task stores the exception, run_until_complete raises it again (future.result()); the traceback joins <module> → run_until_complete to foo → bar → blow_up without the loop frames',
  rests: refs('async_loop', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'async_loop', CPYTHONS, '3.6')) {
      const raise = firstRaise(r)
      same(stackNames(raise.physicalStack), ['<module>', '~run_until_complete', '~run_forever', '~_run_once', '~_run', 'foo', 'bar', 'blow_up'], `${version}: stack at the raise`)
      same(stepsOf(r, 'raise').map(s => s.function), ['blow_up', 'bar', 'foo', 'run_until_complete', '<module>'], `${version}: raise steps`)
      const again = stepsOf(r, 'raise')[3]!
      same(stackNames(again.physicalStack), ['<module>', '~run_until_complete'], `${version}: stack at the re-raise`)
      same(again.physicalStack.at(-1)!.source, 'return future.result()', `${version}: the re-raise`)
      ok(/\(stored by (Task-1|the task), raised again by future\.result\(\)\)$/.test(again.detail ?? ''), `${version}: the task stored it: ${again.detail}`)
      same(traceFrames(r), ['<module>', '~run_until_complete', 'foo', 'bar', 'blow_up'], `${version}: traceback`)
      same(r.traceback!.frames[1]!.line, again.line, `${version}: the traceback's run_until_complete is the re-raise`)
      ok(raise.physicalStack[1]!.line !== again.line, `${version}: at the raise, run_until_complete was elsewhere (run_forever)`)
    }
  },
  mutations: [
    { what: '3.11.7: the re-raise step removed', ref: R('async_loop', '3.11.7'), change: dropSteps('raise', /^run_until_complete$/) },
    { what: '3.13: _run added to the traceback', ref: R('async_loop', '3.13'), change: insertTraceFrame(2, '_run', false) },
    { what: '3.9: frames reversed', ref: R('async_loop', '3.9'), change: reverseFrames },
    { what: '3.7: run_forever renamed', ref: R('async_loop', '3.7'), change: renameFrames(/^run_forever$/, 'run') },
    { what: '3.6: the re-raise at another line', ref: R('async_loop', '3.6'), change: (r) => { r.traceback!.frames[1]!.line = 1 } },
    { what: '3.12: no task stored it', ref: R('async_loop', '3.12'), change: replaceText(/ \(stored by .*\)$/, '') },
    { what: '3.14: the re-raise step removed', ref: R('async_loop', '3.14'), change: dropSteps('raise', /^run_until_complete$/) },
  ],
}

export const everyCPython: Check = {
  title: 'asyncio, every CPython (3.6-3.14): <module> → run_until_complete → foo → bar → blow_up; carets: none before 3.11, ^ under future.result() only on 3.11 and 3.12, ~~~^^ under the <module> line and future.result() on 3.13; 3.14: the same frames and carets as 3.13',
  rests: refs('async_loop', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'async_loop', CPYTHONS, '3.6')) {
      same(traceFrames(r), ['<module>', '~run_until_complete', 'foo', 'bar', 'blow_up'], `${version}: traceback`)
      const lines = r.traceback!.text.split('\n')
      const carets = lines.flatMap((l, i) => (/^\s*[~^]+\s*$/.test(l) ? [{ under: lines[i - 1]!.trim(), marks: l.trim() }] : []))
      const minor = Number(version.split('.')[1])
      if (minor < 11)
        same(carets, [], `${version}: no carets`)
      else if (minor < 13)
        same(carets.map(c => [c.under, /^\^+$/.test(c.marks)]), [['return future.result()', true]], `${version}: ^ under one line`)
      else
        same(carets.map(c => [c.under, /^~+\^+$/.test(c.marks)]), [['loop.run_until_complete(foo())', true], ['return future.result()', true]], `${version}: ~~~^^ under two lines`)
    }
    // "3.14: the same again": 3.13's frames (name, line of our code, source) and carets.
    const shape = (r: Recording) => ({
      frames: r.traceback!.frames.map(f => [f.function, f.isUser ? f.line : null, f.source]),
      carets: r.traceback!.text.split('\n').filter(l => /^\s*[~^]+\s*$/.test(l)),
    })
    same(shape(get(store, R('async_loop', '3.14'))), shape(get(store, R('async_loop', '3.13'))), '3.14 vs 3.13')
  },
  mutations: [
    { what: '3.10: carets added', ref: R('async_loop', '3.10'), change: replaceText('    return future.result()\n', '    return future.result()\n           ^^^^^^^^^^^^^^^\n') },
    { what: '3.11.7: carets removed', ref: R('async_loop', '3.11.7'), change: replaceText(/\n\s*\^+\n/, '\n') },
    { what: '3.13: ~ printed as ^', ref: R('async_loop', '3.13'), change: replaceText(/~/g, '^') },
    { what: '3.8: frames reversed', ref: R('async_loop', '3.8'), change: reverseFrames },
    { what: '3.12: foo removed', ref: R('async_loop', '3.12'), change: dropFrames(/^foo$/) },
    { what: '3.14: bar removed', ref: R('async_loop', '3.14'), change: dropFrames(/^bar$/) },
    { what: '3.14: one ~ fewer under future.result()', ref: R('async_loop', '3.14'), change: replaceText('           ~~~~~~~~~~~~~^^', '            ~~~~~~~~~~~~^^') },
  ],
}

export const createTask: Check = {
  title: 'create_task: blow_up runs in Task-2 with only loop frames under it (print_stack); Task-2 stores the exception and `await task` raises it again in bar, so the traceback has foo and bar',
  rests: [R('create_task')],
  run(store) {
    const r = get(store, R('create_task'))
    same(stepsOf(r, 'await').map(s => s.function), ['foo', 'bar', 'foo', 'bar', 'foo', 'blow_up'], 'await steps')
    const blowUpAwait = stepsOf(r, 'await').at(-1)!
    same([blowUpAwait.asyncChains?.find(c => c.current)?.label, chainOf(blowUpAwait, 'Task-2')], ['Task-2', ['blow_up']], 'blow_up awaits in Task-2')
    const idle = stepsOf(r, 'idle').at(-1)!
    same([userStack(idle.physicalStack), chainOf(idle, 'Task-1'), chainOf(idle, 'Task-2')], [['<module>'], ['foo', 'bar'], ['blow_up']], 'last idle: Task-1 and Task-2')
    const resumed = stepsOf(r, 'resume').filter(s => s.function === 'blow_up')
    same(resumed.map(s => stackNames(s.physicalStack).slice(-2)), [['~_run', 'blow_up']], 'blow_up resumed by the loop')
    same(resumed.map(s => userStack(s.physicalStack)), [['<module>', 'blow_up']], 'nothing of ours under blow_up')
    const raises = stepsOf(r, 'raise')
    same(raises.map(s => [s.function, s.line]), [['blow_up', 7], ['bar', 12], ['foo', 16], ['run_until_complete', raises[3]?.line ?? null], ['<module>', 18]], 'raise steps: blow_up, then await task in bar, foo, the re-raise')
    same(userStack(raises[0]!.physicalStack), ['<module>', 'blow_up'], 'stack at the raise')
    const printed = stderr(r)
    same(pythonFrames(printed.slice(0, printed.indexOf('Traceback (most recent call last):'))), ['<module>', 'run', 'run', 'run_until_complete', 'run_forever', '_run_once', '_run', 'blow_up'], 'print_stack')
    same(userTrace(r), ['<module>', 'foo', 'bar', 'blow_up'], 'traceback')
  },
  mutations: [
    { what: 'bar\'s re-raise removed', ref: R('create_task'), change: dropSteps('raise', /^bar$/) },
    { what: 'frames reversed', ref: R('create_task'), change: reverseFrames },
    { what: 'blow_up renamed', ref: R('create_task'), change: renameFrames(/^blow_up$/, 'boom') },
    { what: 'foo added under every stack', ref: R('create_task'), change: addFrame('foo') },
    { what: 'print_stack shows bar', ref: R('create_task'), change: replaceText('  File "demos/create_task.py", line 6, in blow_up', '  File "demos/create_task.py", line 12, in bar\n    await task\n  File "demos/create_task.py", line 6, in blow_up') },
    { what: 'the task renamed', ref: R('create_task'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) if (c.label === 'Task-2') c.label = 'Task-1' } },
  ],
}

export const gather: Check = {
  title: 'gather: blow_up raises in a task of its own with only loop frames under it; the await on gather raises it again in bar; the traceback has foo and bar',
  rests: [R('gather')],
  run(store) {
    const r = get(store, R('gather'))
    const raise = firstRaise(r)
    same(raise.function, 'blow_up', 'first raise')
    ok(raise.asyncChains?.find(c => c.current)?.label !== 'Task-1', 'blow_up runs in a task of its own')
    same(stackNames(raise.physicalStack), ['<module>', '~run', '~run', '~run_until_complete', '~run_forever', '~_run_once', '~_run', 'blow_up'], 'stack at the raise')
    same(stepsOf(r, 'raise').map(s => [s.function, s.line]).slice(0, 3), [['blow_up', 5], ['bar', 12], ['foo', 16]], 'raised again at the await on gather')
    same(userTrace(r), ['<module>', 'foo', 'bar', 'blow_up'], 'traceback')
  },
  mutations: [
    { what: 'bar\'s re-raise removed', ref: R('gather'), change: dropSteps('raise', /^bar$/) },
    { what: 'bar under blow_up at the raise', ref: R('gather'), change: renameFrames(/^_run$/, 'bar') },
    { what: 'blow_up in Task-1', ref: R('gather'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) c.label = 'Task-1' } },
    { what: 'foo and bar removed', ref: R('gather'), change: dropFrames(/^(foo|bar)$/) },
    { what: 'frames reversed', ref: R('gather'), change: reverseFrames },
  ],
}

export const taskGroup: Check = {
  title: 'TaskGroup (3.11+): an ExceptionGroup; outer traceback <module> → foo → bar, inner blow_up; 3.7-3.10 no TaskGroup, 3.6 no asyncio.run (AttributeError)',
  rests: refs('task_group', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'task_group', CPYTHONS, '3.6')) {
      const minor = Number(version.split('.')[1])
      const tb = r.traceback!
      if (minor < 11) {
        ok(tb.text.includes(minor === 6 ? 'AttributeError: module \'asyncio\' has no attribute \'run\'' : 'AttributeError: module \'asyncio\' has no attribute \'TaskGroup\''), `${version}: AttributeError`)
        continue
      }
      same(tb.exception.type, 'ExceptionGroup', `${version}: exception`)
      same(userTrace(r), ['<module>', 'foo', 'bar'], `${version}: outer traceback`)
      const inner = tb.text.slice(tb.text.indexOf('+-+'))
      same(pythonFrames(inner.replace(/^\s*\|/gm, '')), ['blow_up'], `${version}: inner traceback`)
    }
  },
  mutations: [
    { what: '3.11.7: foo and bar removed', ref: R('task_group', '3.11.7'), change: dropFrames(/^(foo|bar)$/) },
    { what: '3.13: frames reversed', ref: R('task_group', '3.13'), change: reverseFrames },
    { what: '3.12: bar in the inner traceback', ref: R('task_group', '3.12'), change: replaceText('in blow_up', 'in bar') },
    { what: '3.11.2: a plain Exception', ref: R('task_group', '3.11.2'), change: (r) => { r.traceback!.exception.type = 'Exception' } },
    { what: '3.10: TaskGroup found', ref: R('task_group', '3.10'), change: replaceText('\'TaskGroup\'', '\'x\'') },
    { what: '3.14: bar in the inner traceback', ref: R('task_group', '3.14'), change: replaceText('in blow_up', 'in bar') },
  ],
}

export const neverRetrieved: Check = {
  title: 'a named task never retrieved, debug mode: the name in its repr and in "Task exception was never retrieved", the creation stack (source_traceback) down to main\'s create_task; the exception\'s traceback is blow_up alone, no name',
  rests: [R('never_retrieved')],
  run(store) {
    const r = get(store, R('never_retrieved'))
    ok(r.traceback === null && r.run.exitCode === 0, 'the program ends normally')
    ok(stdout(r).startsWith('<Task pending name=\'blow-up\' coro=<blow_up() running at demos/never_retrieved.py:3>'), 'the name in the repr')
    const err = stderr(r)
    ok(err.startsWith('Task exception was never retrieved\nfuture: <Task finished name=\'blow-up\''), 'the name in the report')
    const created = err.indexOf('source_traceback: Object created at (most recent call last):')
    const traceback = err.indexOf('Traceback (most recent call last):')
    ok(created > 0 && traceback > created, 'the creation stack, then the traceback')
    same(pythonFrames(err.slice(created, traceback)), ['<module>', 'run', 'run', 'run_until_complete', 'run_forever', '_run_once', '_run', 'main', 'create_task'], 'creation stack')
    ok(err.slice(created, traceback).includes('line 9, in main\n    task = asyncio.create_task(blow_up(), name="blow-up")'), 'created at main\'s create_task')
    same(pythonFrames(err.slice(traceback)), ['blow_up'], 'the exception\'s traceback')
    ok(!err.slice(traceback).includes('blow-up'), 'no task name in the traceback')
  },
  mutations: [
    { what: 'no name in the repr', ref: R('never_retrieved'), change: replaceText('name=\'blow-up\'', 'name=\'Task-2\'') },
    { what: 'no creation stack', ref: R('never_retrieved'), change: replaceText('source_traceback: Object created at', 'source') },
    { what: 'the name in the traceback', ref: R('never_retrieved'), change: replaceText('line 5, in blow_up\n', 'line 5, in blow_up\n    # blow-up\n') },
    { what: 'created elsewhere', ref: R('never_retrieved'), change: replaceText('line 9, in main', 'line 10, in main') },
    { what: 'not reported', ref: R('never_retrieved'), change: replaceText('Task exception was never retrieved\n', '') },
  ],
}

// --- JavaScript ---------------------------------------------------------------------------

export const asyncJsTrace: Check = {
  title: 'Node ≥ 12: blowUp (the throw, line 7), at async bar, at async foo — newest first',
  rests: refs('async', NODE_12_UP),
  run(store) {
    for (const { version, recording: r } of range(store, 'async', NODE_12_UP, '12')) {
      same(traceFrames(r), ['async foo', 'async bar', 'blowUp'], `Node ${version}`)
      same(r.traceback!.frames.at(-1)!.line, 7, `Node ${version}: blowUp at the throw`)
      same(atLines(r.traceback!.text), ['at blowUp', 'at async bar', 'at async foo'], `Node ${version}: as printed`)
    }
  },
  mutations: [
    { what: 'Node 12: frames reversed', ref: R('async', '12'), change: reverseFrames },
    { what: 'Node 26: bar removed', ref: R('async', '26'), change: dropFrames(/^bar$/) },
    { what: 'Node 16: foo renamed', ref: R('async', '16'), change: renameFrames(/^foo$/, 'fooo') },
    { what: 'Node 20: printed without async', ref: R('async', '20'), change: replaceText('at async bar', 'at bar') },
    { what: 'Node 24: a frame added', ref: R('async', '24'), change: addFrame('extra') },
    { what: 'Node 22: printed oldest first', ref: R('async', '22'), change: (r) => { r.traceback!.text = r.traceback!.text.replace(/( {4}at .*\n)+/, m => `${m.trimEnd().split('\n').reverse().join('\n')}\n`) } },
  ],
}

export const asyncJsOld: Check = {
  title: 'Node 8 and 10: blowUp alone (Node 8: and <anonymous>), no async frame',
  rests: [R('async', '8'), R('async', '10')],
  run(store) {
    same(traceFrames(get(store, R('async', '10'))), ['blowUp'], 'Node 10')
    same(traceFrames(get(store, R('async', '8'))), ['~<anonymous>', 'blowUp'], 'Node 8')
  },
  mutations: [
    { what: 'Node 10: bar added', ref: R('async', '10'), change: insertTraceFrame(0, 'bar', true, true) },
    { what: 'Node 8: foo added', ref: R('async', '8'), change: insertTraceFrame(1, 'foo', true, true) },
    { what: 'Node 10: no frame', ref: R('async', '10'), change: emptyTrace },
  ],
}

export const jsSteps: Check = {
  title: 'V8 timeline: foo\'s first await returns to the module (next line); bar\'s and blowUp\'s first awaits to their callers; resumed functions are alone on the stack, later awaits return to nothing of ours; at the throw only blowUp is on the stack and the async stack is foo → bar → blowUp',
  rests: [R('async')],
  run(store) {
    const r = get(store, R('async'))
    const awaits = stepsOf(r, 'await')
    same(awaits.map(s => [s.function, userStack(s.physicalStack)]), [
      ['foo', ['(anonymous)', 'foo']],
      ['bar', ['foo', 'bar']], ['foo', ['foo']],
      ['blowUp', ['bar', 'blowUp']], ['bar', ['bar']],
    ], 'await steps and their stacks')
    const afterFoo = r.steps[awaits[0]!.index + 1]!
    same([afterFoo.function, userStack(afterFoo.physicalStack)], ['(anonymous)', ['(anonymous)']], 'after foo\'s first await the module goes on')
    ok((afterFoo.line ?? 0) > 20, 'at its next line')
    same(stepsOf(r, 'resume').map(s => userStack(s.physicalStack)), [['foo'], ['bar'], ['blowUp']], 'resumed alone')
    const raise = firstRaise(r)
    same(userStack(raise.physicalStack), ['blowUp'], 'stack at the throw')
    same(chainOf(raise).slice(-3), ['async foo', 'async bar', 'blowUp'], 'V8\'s async stack at the throw')
  },
  mutations: [
    { what: 'frames reversed', ref: R('async'), change: reverseFrames },
    { what: 'bar removed', ref: R('async'), change: dropFrames(/^bar$/) },
    { what: 'no resume steps', ref: R('async'), change: dropSteps('resume') },
    { what: 'foo renamed', ref: R('async'), change: renameFrames(/^foo$/, 'fooo') },
    { what: 'a frame under every stack', ref: R('async'), change: addFrame('extra') },
  ],
}

export const errorAtCreation: Check = {
  title: 'an Error created before an await and thrown after it: its stack is where it was created (blowUp line 6, called by bar, not async); Node ≥ 12 adds async foo',
  rests: refs('error_before_await', NODES),
  run(store) {
    for (const { version, recording: r } of range(store, 'error_before_await', NODES, '8')) {
      const frames = r.traceback!.frames.filter(f => f.isUser).map(f => [f.isAsync ? `async ${f.function}` : f.function, f.line])
      same(frames.slice(-2), [['bar', 13], ['blowUp', 6]], `Node ${version}: stack at creation`)
      if (Number(version.split('.')[0]) >= 12) {
        same(traceFrames(r), ['async foo', 'bar', 'blowUp'], `Node ${version}`)
        same([firstRaise(r).function, firstRaise(r).line], ['blowUp', 8], `Node ${version}: thrown at line 8`)
      }
    }
  },
  mutations: [
    { what: 'Node 26: blowUp at the throw line', ref: R('error_before_await', '26'), change: (r) => { r.traceback!.frames.at(-1)!.line = 8 } },
    { what: 'Node 12: frames reversed', ref: R('error_before_await', '12'), change: reverseFrames },
    { what: 'Node 8: bar removed', ref: R('error_before_await', '8'), change: dropFrames(/^bar$/) },
    { what: 'Node 20: bar async', ref: R('error_before_await', '20'), change: (r) => { for (const f of r.traceback!.frames) f.isAsync ||= f.function === 'bar' } },
    { what: 'Node 16: thrown where created', ref: R('error_before_await', '16'), change: (r) => { for (const s of r.steps) if (s.kind === 'raise') s.line = 6 } },
  ],
}

export const promiseAll: Check = {
  title: 'Promise.all: Node ≥ 12 prints at async Promise.all (index 1) between blowUp and async bar; Node 8 and 10 do not',
  rests: refs('promise_all', NODES),
  run(store) {
    for (const { version, recording: r } of range(store, 'promise_all', NODES, '8')) {
      if (Number(version.split('.')[0]) >= 12) {
        same(traceFrames(r), ['async foo', 'async bar', '~async Promise.all', 'blowUp'], `Node ${version}`)
        same(atLines(r.traceback!.text), ['at blowUp', 'at async Promise.all (index 1)', 'at async bar', 'at async foo'], `Node ${version}: as printed`)
      }
      else {
        ok(!r.traceback!.text.includes('Promise.all'), `Node ${version}: no Promise.all frame`)
      }
    }
  },
  mutations: [
    { what: 'Node 26: index 0', ref: R('promise_all', '26'), change: replaceText('(index 1)', '(index 0)') },
    { what: 'Node 12: frames reversed', ref: R('promise_all', '12'), change: reverseFrames },
    { what: 'Node 16: Promise.all removed', ref: R('promise_all', '16'), change: dropFrames(/Promise\.all/) },
    { what: 'Node 10: Promise.all printed', ref: R('promise_all', '10'), change: replaceText('at blowUp', 'at async Promise.all (index 1)\n    at blowUp') },
  ],
}

export const combinators: Check = {
  title: 'Promise.allSettled: at async Promise.allSettled (index 1) on Node ≥ 20, not on 16; Promise.any: at async Promise.any (index 0) on Node ≥ 16, missing on 12',
  rests: refs('promise_combinators', NODE_12_UP),
  run(store) {
    for (const { version, recording: r } of range(store, 'promise_combinators', NODE_12_UP, '12')) {
      const major = Number(version.split('.')[0])
      if (major < 16) {
        ok(stderr(r).includes('TypeError: Promise.any is not a function'), `Node ${version}: no Promise.any`)
        same(atLines(stdout(r)), ['at blowUp'], `Node ${version}: allSettled`)
        continue
      }
      same(atLines(stdout(r)), major >= 20 ? ['at blowUp', 'at async Promise.allSettled (index 1)', 'at async main'] : ['at blowUp'], `Node ${version}: allSettled`)
      same(traceFrames(r), ['async main', '~async Promise.any', 'blowUp'], `Node ${version}: any`)
    }
  },
  mutations: [
    { what: 'Node 26: allSettled removed', ref: R('promise_combinators', '26'), change: replaceText('    at async Promise.allSettled (index 1)\n', '') },
    { what: 'Node 20: frames reversed', ref: R('promise_combinators', '20'), change: reverseFrames },
    { what: 'Node 16: allSettled printed', ref: R('promise_combinators', '16'), change: replaceText(/(at blowUp \(demos\/promise_combinators\.mjs:7:9\)\n)/, '$1    at async Promise.allSettled (index 1)\n    at async main (demos/promise_combinators.mjs:11:22)\n') },
    { what: 'Node 24: Promise.any removed', ref: R('promise_combinators', '24'), change: dropFrames(/Promise\.any/) },
    { what: 'Node 12: Promise.any found', ref: R('promise_combinators', '12'), change: replaceText('Promise.any is not a function', 'x') },
  ],
}

export const thenAndTimers: Check = {
  title: '.then() and setTimeout, every Node: no foo, no bar, no async frame; Node 26: one anonymous frame / the callback under Node\'s timer internals',
  rests: [...refs('then_chain', NODES), ...refs('set_timeout', NODES)],
  run(store) {
    for (const demo of ['then_chain', 'set_timeout']) {
      for (const { version, recording: r } of range(store, demo, NODES, '8')) {
        const names = traceFrames(r)
        ok(names.length > 0, `${demo} Node ${version}: a trace`)
        ok(names.every(n => !/\b(foo|bar)\b/.test(n) && !/async /.test(n)), `${demo} Node ${version}: ${JSON.stringify(names)} has foo, bar or an async frame`)
      }
    }
    same(traceFrames(get(store, R('then_chain', '26'))), ['(anonymous)'], 'then_chain Node 26')
    same(traceFrames(get(store, R('set_timeout', '26'))), ['~process.processTimers', '~listOnTimeout', 'Timeout._onTimeout'], 'set_timeout Node 26')
  },
  mutations: [
    { what: 'then_chain Node 26: frames emptied', ref: R('then_chain', '26'), change: emptyTrace },
    { what: 'set_timeout Node 26: bar added', ref: R('set_timeout', '26'), change: addFrame('bar') },
    { what: 'then_chain Node 10: named foo', ref: R('then_chain', '10'), change: renameFrames(/.*/, 'foo') },
    { what: 'set_timeout Node 8: frames emptied', ref: R('set_timeout', '8'), change: emptyTrace },
    { what: 'set_timeout Node 26: frames reversed', ref: R('set_timeout', '26'), change: reverseFrames },
    { what: 'then_chain Node 16: async frame', ref: R('then_chain', '16'), change: (r) => { r.traceback!.frames[0]!.isAsync = true } },
  ],
}

/** The user functions of a stack other than anonymous callbacks and the module's top level, outermost first. */
const namedUser = (frames: Frame[]) => frames.filter(f => f.isUser && f.function !== '(anonymous)').map(f => f.function)

export const devtoolsVsLogs: Check = {
  title: '.then() and setTimeout, Node ≥ 12, at the throw: the debugger\'s async stack (labelled so) has foo → bar → blowUp; the error stack has one user frame, the callback that threw, as the printed trace',
  rests: [...refs('then_chain', NODE_12_UP), ...refs('set_timeout', NODE_12_UP)],
  run(store) {
    for (const demo of ['then_chain', 'set_timeout']) {
      for (const { version, recording: r } of range(store, demo, NODE_12_UP, '12')) {
        const raise = firstRaise(r)
        const chain = raise.asyncChains?.[0]
        ok(chain, `${demo} Node ${version}: no debugger async stack at the throw`)
        same(chain.label, 'debugger async stack (DevTools)', `${demo} Node ${version}: label`)
        same(namedUser(chain.frames), ['foo', 'bar', 'blowUp'], `${demo} Node ${version}: debugger async stack`)
        ok(raise.errorStack, `${demo} Node ${version}: no error stack at the throw`)
        const user = raise.errorStack.filter(f => f.isUser)
        same(user.map(f => f.line), [raise.line], `${demo} Node ${version}: error stack`)
        same(user.map(f => [f.function, f.line]), r.traceback!.frames.filter(f => f.isUser).map(f => [f.function, f.line]), `${demo} Node ${version}: error stack against the printed trace`)
      }
    }
  },
  mutations: [
    { what: 'then_chain Node 26: foo dropped from the debugger\'s stack', ref: R('then_chain', '26'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) c.frames = c.frames.filter(f => f.function !== 'foo') } },
    { what: 'set_timeout Node 20: bar in the error stack', ref: R('set_timeout', '20'), change: (r) => { for (const s of r.steps) s.errorStack?.unshift({ function: 'bar', file: 'demos/set_timeout.mjs', line: 8, column: 3, source: null, isUser: true, isAsync: true }) } },
    { what: 'then_chain Node 12: error stack not recorded', ref: R('then_chain', '12'), change: (r) => { for (const s of r.steps) delete s.errorStack } },
    { what: 'set_timeout Node 26: chain labelled V8 async stack', ref: R('set_timeout', '26'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) c.label = 'V8 async stack' } },
    { what: 'then_chain Node 16: the error stack\'s callback moved a line', ref: R('then_chain', '16'), change: (r) => { for (const s of r.steps) for (const f of s.errorStack ?? []) if (f.isUser) f.line = (f.line ?? 0) + 1 } },
  ],
}

export const noAwait: Check = {
  title: 'return without await, Node ≥ 12: async foo → blowUp, bar gone',
  rests: refs('no_await', NODE_12_UP),
  run(store) {
    for (const { version, recording: r } of range(store, 'no_await', NODE_12_UP, '12'))
      same(traceFrames(r), ['async foo', 'blowUp'], `Node ${version}`)
  },
  mutations: [
    { what: 'Node 26: bar added', ref: R('no_await', '26'), change: insertTraceFrame(1, 'bar', true, true) },
    { what: 'Node 12: frames reversed', ref: R('no_await', '12'), change: reverseFrames },
    { what: 'Node 16: foo removed', ref: R('no_await', '16'), change: dropFrames(/^foo$/) },
  ],
}

export const stackTraceLimit: Check = {
  title: 'Error.stackTraceLimit = 2, Node ≥ 12: blowUp, async bar; async foo cut (the default limit keeps it)',
  rests: [...refs('stack_trace_limit', NODE_12_UP), R('async')],
  run(store) {
    for (const { version, recording: r } of range(store, 'stack_trace_limit', NODE_12_UP, '12')) {
      same(traceFrames(r), ['async bar', 'blowUp'], `Node ${version}`)
      ok(!r.traceback!.text.includes('async foo'), `Node ${version}: no async foo`)
    }
    same(traceFrames(get(store, R('async'))), ['async foo', 'async bar', 'blowUp'], 'the default limit keeps async foo')
  },
  mutations: [
    { what: 'Node 26: async foo added', ref: R('stack_trace_limit', '26'), change: insertTraceFrame(0, 'foo', true, true) },
    { what: 'Node 12: frames reversed', ref: R('stack_trace_limit', '12'), change: reverseFrames },
    { what: 'Node 22: async foo printed', ref: R('stack_trace_limit', '22'), change: replaceText('at async bar', 'at async foo') },
    { what: 'default: async foo cut', ref: R('async'), change: dropFrames(/^foo$/) },
  ],
}

// --- Rust -----------------------------------------------------------------------------------

const RUST_STABLE = ['rust_async::main', 'rust_async::block_on', 'rust_async::foo::{{closure}}', 'rust_async::bar::{{closure}}', 'rust_async::blow_up::{{closure}}']

export const rustAsync: Check = {
  title: 'Rust: the backtrace, innermost first, is the physical stack: main → block_on → foo → bar → blow_up, each async fn a {{closure}} (nightly, v0 mangling: {closure#0}), panic internals above, FnOnce::call_once below',
  rests: [R('rust_async'), R('rust_async', 'nightly')],
  run(store) {
    const r = get(store, R('rust_async'))
    same(traceFrames(r), ['~core::ops::function::FnOnce::call_once', ...RUST_STABLE, '~core::panicking::panic_fmt', '~__rustc::rust_begin_unwind'], 'rustc stable')
    same(r.traceback!.frames.filter(f => f.isUser).map(f => f.line), [25, 43, 21, 16, 11], 'the poll of each callee')
    const printed = [...r.traceback!.text.matchAll(/^\s+\d+: (\S+)/gm)].map(m => m[1]!)
    same(printed, [...traceFrames(r)].reverse().map(n => n.replace(/^~/, '')), 'printed innermost first')
    same(userStack(firstRaise(r).physicalStack), RUST_STABLE, 'the stack at the panic')
    same(traceFrames(get(store, R('rust_async', 'nightly'))).filter(n => !n.startsWith('~')), ['rust_async::main', 'rust_async::block_on::<rust_async::foo::{closure#0}>', 'rust_async::foo::{closure#0}', 'rust_async::bar::{closure#0}', 'rust_async::blow_up::{closure#0}'], 'rustc nightly')
  },
  mutations: [
    { what: 'frames reversed', ref: R('rust_async'), change: reverseFrames },
    { what: 'bar removed', ref: R('rust_async'), change: dropFrames(/bar::/) },
    { what: 'nightly: legacy names', ref: R('rust_async', 'nightly'), change: renameFrames(/\{closure#0\}/g, '{{closure}}') },
    { what: 'a frame added', ref: R('rust_async'), change: addFrame('rust_async::extra') },
    { what: 'printed outermost first', ref: R('rust_async'), change: replaceText(/ 0: __rustc::rust_begin_unwind/, ' 0: core::ops::function::FnOnce::call_once') },
  ],
}

export const rustSpawn: Check = {
  title: 'Rust spawn: main → block_on → run → blow_up: foo and bar are not in the backtrace (the physical stack)',
  rests: [R('rust_spawn')],
  run(store) {
    const r = get(store, R('rust_spawn'))
    same(traceFrames(r).filter(n => !n.startsWith('~')), ['rust_spawn::main', 'rust_spawn::block_on', 'rust_spawn::run', 'rust_spawn::blow_up::{{closure}}'], 'rust_spawn')
    same(userStack(firstRaise(r).physicalStack), ['rust_spawn::main', 'rust_spawn::block_on', 'rust_spawn::run', 'rust_spawn::blow_up::{{closure}}'], 'stack at the panic')
  },
  mutations: [
    { what: 'bar added', ref: R('rust_spawn'), change: addFrame('rust_spawn::bar::{{closure}}') },
    { what: 'frames reversed', ref: R('rust_spawn'), change: reverseFrames },
    { what: 'run removed', ref: R('rust_spawn'), change: dropFrames(/::run$/) },
  ],
}

// --- CPython 3.14: the runtime's own view ------------------------------------------------------

/** Every Python demo: each has a 3.14 recording whose steps carry the runtime's call graph. */
export const PY_DEMOS = ['sync', 'async_loop', 'async_run', 'create_task', 'gather', 'task_group', 'never_retrieved', 'call_graph', 'eager_task', 'get_stack'] as const

/**
 * What slides.md picks by index, read by the checks below (tests/unit/claims.test.ts fails
 * when the deck's `:steps` / `:line` differ): the eager_task steps the slide walks, and the
 * line of call_graph.py its CodePane marks.
 */
export const SLIDE_PICKS = {
  steps: { 'eager_task 3.14': [27, 28, 30, 34, 35, 37] },
  lines: { call_graph: 6, async_gen: 16 },
} as const

const frameAt = (f: Frame) => `${f.function} ${f.file}:${f.line}`
const stepAt = (r: Recording, index: number) => {
  const step = r.steps[index]
  ok(step && step.index === index, `${r.demo.name} ${r.runtime.version}: no step ${index}`)
  return step
}
const graphNode = (step: Step, label: string) => {
  const node = step.callGraph?.find(n => n.label === label)
  ok(node, `step ${step.index}: no call graph node ${label}`)
  return node
}

/** A task of a pstree: its label, the task whose coroutine it hangs under (and under which frame), its coroutine stack outermost first (`foo demos/x.py:16`). */
export interface TreeTask { label: string, parent: string | null, under: string | null, frames: string[] }

/** The tree `python3.14 -m asyncio pstree` prints (`└── (T) Task-1`, `    └──  foo demos/x.py:16`), read by its indentation. */
export function pstreeTasks(text: string): TreeTask[] {
  const tasks: TreeTask[] = []
  // At each depth: the task that owns the node there, and the node's text.
  const path: { owner: TreeTask, text: string }[] = []
  for (const line of text.split('\n').filter(l => l.trim())) {
    const m = /^(.*?)[└├]── (.*)$/.exec(line)
    ok(m && m[1]!.length % 4 === 0 && /^[ │]*$/.test(m[1]!), `pstree: not a line of the tree: ${JSON.stringify(line)}`)
    const depth = m[1]!.length / 4
    ok(depth <= path.length, `pstree: a line too deep: ${JSON.stringify(line)}`)
    const above = depth > 0 ? path[depth - 1]! : null
    path.length = depth
    const text = m[2]!.trim().replace(/\s+/g, ' ')
    if (text.startsWith('(T) ')) {
      const task: TreeTask = { label: text.slice(4), parent: above?.owner.label ?? null, under: above && above.owner.label !== above.text ? above.text : null, frames: [] }
      tasks.push(task)
      path.push({ owner: task, text: task.label })
    }
    else {
      ok(above, `pstree: a frame outside any task: ${text}`)
      above.owner.frames.push(text)
      path.push({ owner: above.owner, text })
    }
  }
  return tasks
}

/** The recording's outside view: pstree printed a tree (no note, exit 0), run against the program's PID; and the step it was held at. */
function outside(r: Recording) {
  const view = r.outsideView
  ok(view, `${r.demo.name} ${r.runtime.version}: no outside view`)
  ok(view.note === null && view.exitCode === 0 && view.stderr === '', `${r.demo.name}: pstree printed no tree: ${view.note ?? view.stderr}`)
  same(view.command.slice(0, 4), ['python3.14', '-m', 'asyncio', 'pstree'], `${r.demo.name}: the command`)
  ok(view.command.length === 5 && /^\d+$/.test(view.command[4]!), `${r.demo.name}: pstree against a PID`)
  return { view, held: stepAt(r, view.atStep), tree: pstreeTasks(view.stdout) }
}

/** The tree is the call graph at the held step: each task, what awaits it, its coroutine stack (function, file, line). */
function treeIsCallGraph(r: Recording) {
  const { held, tree } = outside(r)
  ok(held.callGraph, `${r.demo.name}: no call graph at the held step`)
  same(tree.map(t => [t.label, t.parent === null ? [] : [t.parent], t.frames]), held.callGraph.map(n => [n.label, n.awaitedBy, n.frames.map(frameAt)]), `${r.demo.name}: pstree vs capture_call_graph at step ${held.index}`)
  // Each child hangs under its parent's innermost coroutine, the one that awaits it.
  for (const t of tree.filter(t => t.parent !== null))
    same(t.under, tree.find(p => p.label === t.parent)!.frames.at(-1) ?? null, `${r.demo.name}: ${t.label} hangs under its parent's innermost frame`)
  return { held, tree }
}

const names = (frames: string[]) => frames.map(f => f.split(' ')[0])
const editView = (change: (view: NonNullable<Recording['outsideView']>) => void) => (r: Recording) => {
  change(r.outsideView!)
}
const editTree = (from: string | RegExp, to: string) => editView((view) => {
  view.stdout = view.stdout.replace(from, to)
})
const heldStep = (r: Recording) => r.steps[r.outsideView!.atStep]!

export const printCallGraph: Check = {
  title: 'call_graph, 3.14: print_call_graph() on blow_up\'s line 6 prints * Task(name=\'Task-1\', id=0x…) and its call stack innermost first: print_call_graph (asyncio/graph.py), then async blow_up (6), bar (12), foo (17) — our chain at that line, Task-1 running; printed before the traceback, which names the same chain',
  rests: [R('call_graph', '3.14')],
  run(store) {
    const r = get(store, R('call_graph', '3.14'))
    const line = SLIDE_PICKS.lines.call_graph
    same(r.demo.source.split('\n')[line - 1]?.trim(), 'asyncio.print_call_graph()', `call_graph.py line ${line}`)
    const printed = stdout(r).trimEnd().split('\n')
    ok(/^\* Task\(name='Task-1', id=0x[0-9a-f]+\)$/.test(printed[0] ?? ''), `the running task: ${printed[0]}`)
    same(printed[1], '  + Call stack:', 'a call stack')
    const frames = printed.slice(2).map(l => /^ {2}\| {3}File '([^']+)', line (\d+), in (async )?(\S+)\(\)$/.exec(l))
    ok(frames.every(Boolean), `every line of the call stack a frame: ${JSON.stringify(printed.slice(2))}`)
    const stack = frames.map(m => [`${m![3] ?? ''}${m![4]}`, m![1]!.replace(/^.*\/(asyncio\/graph\.py)$/, '$1'), Number(m![2])])
    same(stack, [['print_call_graph', 'asyncio/graph.py', stack[0]?.[2]], ['async blow_up', 'demos/call_graph.py', line], ['async bar', 'demos/call_graph.py', 12], ['async foo', 'demos/call_graph.py', 17]], 'the call stack, innermost first')
    // Our chain at that line is the same, outermost first; Task-1 is running.
    const at = r.steps.find(s => s.kind === 'line' && s.function === 'blow_up' && s.line === line)
    ok(at, `no step at blow_up line ${line}`)
    const chain = at.asyncChains?.find(c => c.current)
    same([chain?.label, chain?.frames.map(f => [f.function, f.line])], ['Task-1', [['foo', 17], ['bar', 12], ['blow_up', line]]], 'our chain at the print')
    // The traceback, a moment later: the same chain, raised on the next line.
    same(r.traceback!.frames.filter(f => f.isUser).map(f => [f.function, f.line]), [['<module>', 20], ['foo', 17], ['bar', 12], ['blow_up', line + 1]], 'the traceback')
    const raise = firstRaise(r)
    ok(at.index < raise.index && raise.line === line + 1, 'printed before the raise')
    const out = r.run.output.find(c => c.stream === 'stdout')!
    const err = r.run.output.find(c => c.stream === 'stderr')
    ok(err && out.atMs <= err.atMs && r.run.output.indexOf(out) < r.run.output.indexOf(err), 'printed before the traceback')
  },
  mutations: [
    { what: 'Task-2 printed', ref: R('call_graph', '3.14'), change: replaceText('name=\'Task-1\'', 'name=\'Task-2\'') },
    { what: 'bar left out of the call stack', ref: R('call_graph', '3.14'), change: replaceText(/ {2}\| {3}File 'demos\/call_graph\.py', line 12, in async bar\(\)\n/, '') },
    { what: 'printed outermost first', ref: R('call_graph', '3.14'), change: (r) => { for (const c of r.run.output) c.text = c.text.replace(/(?: {2}\|.*\n)+/, m => `${m.trimEnd().split('\n').reverse().join('\n')}\n`) } },
    { what: 'blow_up printed at another line', ref: R('call_graph', '3.14'), change: replaceText('line 6, in async blow_up', 'line 5, in async blow_up') },
    { what: 'printed after the traceback', ref: R('call_graph', '3.14'), change: (r) => { r.run.output.reverse() } },
    { what: 'our chain without bar', ref: R('call_graph', '3.14'), change: dropFrames(/^bar$/) },
    { what: 'nothing printed', ref: R('call_graph', '3.14'), change: (r) => { r.run.output = r.run.output.filter(c => c.stream !== 'stdout') } },
    { what: 'line 6 is not the call', ref: R('call_graph', '3.14'), change: (r) => { r.demo.source = r.demo.source.replace('    asyncio.print_call_graph()\n', '    pass\n') } },
  ],
}

export const noCallGraphBefore314: Check = {
  title: 'call_graph before 3.14: 3.7-3.13 stop at blow_up\'s line 6, AttributeError: module \'asyncio\' has no attribute \'print_call_graph\', nothing printed; 3.6 stops earlier (no asyncio.run), never reaching it',
  rests: refs('call_graph', BEFORE_314),
  run(store) {
    for (const { version, recording: r } of range(store, 'call_graph', BEFORE_314, '3.6', '3.13')) {
      same(stdout(r), '', `${version}: no call graph printed`)
      const tb = r.traceback!
      if (version.startsWith('3.6.')) {
        same(tb.exception, { type: 'AttributeError', message: 'module \'asyncio\' has no attribute \'run\'' }, `${version}: no asyncio.run`)
        same(userTrace(r), ['<module>'], `${version}: stops in <module>`)
        continue
      }
      same(tb.exception, { type: 'AttributeError', message: 'module \'asyncio\' has no attribute \'print_call_graph\'' }, `${version}: no print_call_graph`)
      same([tb.frames.at(-1)!.function, tb.frames.at(-1)!.line], ['blow_up', 6], `${version}: at the call`)
    }
  },
  mutations: [
    { what: '3.11.7: print_call_graph found', ref: R('call_graph', '3.11.7'), change: (r) => { r.traceback!.exception = { type: 'Exception', message: 'nested error in async code' } } },
    { what: '3.13: a call graph printed', ref: R('call_graph', '3.13'), change: (r) => { r.run.output.unshift({ stream: 'stdout', atMs: 0, text: '* Task(name=\'Task-1\')\n' }) } },
    { what: '3.7: stopped elsewhere', ref: R('call_graph', '3.7'), change: (r) => { r.traceback!.frames.at(-1)!.line = 7 } },
    { what: '3.6: asyncio.run found', ref: R('call_graph', '3.6'), change: (r) => { r.traceback!.exception.message = 'x' } },
  ],
}

/** `  |   File '…', line 6, in async blow_up()` lines of a printed call graph: [function, file, line], innermost first (stdlib files by their asyncio/ path). */
const callStack = (text: string) => [...text.matchAll(/^ {2}\| {3}File '([^']+)', line (\d+), in (?:async )?(\S+)\(\)$/gm)].map(m => [m[3]!, m[1]!.replace(/^.*\/(asyncio\/\w+\.py)$/, '$1'), Number(m[2])])
/** The last idle step before the program printed: where main's sleep ends and it looks at the task. */
const idleBeforePrint = (r: Recording) => {
  const printedAt = r.run.output.find(c => c.stream === 'stdout')?.atMs
  ok(printedAt !== undefined, `${r.demo.name} ${r.runtime.version}: nothing printed`)
  const idle = stepsOf(r, 'idle').filter(s => s.atMs <= printedAt).at(-1)
  ok(idle, `${r.demo.name} ${r.runtime.version}: no idle step before the print`)
  return idle
}

export const getStackFooAlone: Check = {
  title: 'get_stack, every CPython 3.6-3.14: while blow_up awaits its sleep, Task.get_stack() of the task running foo() gives [\'foo\'] and print_stack() prints foo alone (line 17; its first line, the task repr, left out by the demo) — our chain there is foo → bar → blow_up → sleep, the traceback names foo, bar, blow_up; before 3.14 nothing else is printed (no format_call_graph); on 3.14 format_call_graph(task) prints sleep, blow_up (6), bar (12), foo (17)',
  rests: refs('get_stack', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'get_stack', CPYTHONS, '3.6')) {
      const out = stdout(r)
      const lines = out.split('\n')
      same(lines[0], 'get_stack(): [\'foo\']', `${version}: get_stack()`)
      same(lines[1], 'print_stack():', `${version}: print_stack() next`)
      const printed = out.split(/^\* Task/m)[0]!
      same(pythonFrames(printed), ['foo'], `${version}: print_stack() frames`)
      same([...printed.matchAll(/line (\d+), in foo$/gm)].map(m => Number(m[1])), [17], `${version}: print_stack() at foo's await`)
      const idle = idleBeforePrint(r)
      same(chainOf(idle, 'Task-2'), ['foo', 'bar', 'blow_up'], `${version}: our chain of foo's task when main looks`)
      same(idle.asyncChains!.find(c => c.label === 'Task-2')!.frames.at(-1)!.function, 'sleep', `${version}: blow_up awaits its sleep`)
      same(userTrace(r), ['<module>', 'main', 'foo', 'bar', 'blow_up'], `${version}: the traceback`)
      if (!version.startsWith('3.14.')) {
        ok(!out.includes('* Task'), `${version}: no call graph printed`)
        continue
      }
      same(callStack(out), [['sleep', 'asyncio/tasks.py', callStack(out)[0]?.[2]], ['blow_up', 'demos/get_stack.py', 6], ['bar', 'demos/get_stack.py', 12], ['foo', 'demos/get_stack.py', 17]], `${version}: format_call_graph(task), innermost first`)
    }
  },
  mutations: [
    { what: '3.9: get_stack gives the chain', ref: R('get_stack', '3.9'), change: replaceText('get_stack(): [\'foo\']', 'get_stack(): [\'foo\', \'bar\', \'blow_up\']') },
    { what: '3.13: print_stack prints bar too', ref: R('get_stack', '3.13'), change: replaceText('    await bar()\n', '    await bar()\n  File "demos/get_stack.py", line 12, in bar\n    await blow_up()\n') },
    { what: '3.6: print_stack at another line', ref: R('get_stack', '3.6'), change: replaceText('line 17, in foo', 'line 16, in foo') },
    { what: '3.12: a call graph printed', ref: R('get_stack', '3.12'), change: (r) => { r.run.output.push({ stream: 'stdout', atMs: 1e6, text: '* Task(name=\'Task-2\')\n' }) } },
    { what: '3.11.2: our chain without bar', ref: R('get_stack', '3.11.2'), change: dropFrames(/^bar$/) },
    { what: '3.14: get_stack gives blow_up', ref: R('get_stack', '3.14'), change: replaceText('get_stack(): [\'foo\']', 'get_stack(): [\'blow_up\']') },
    { what: '3.14: the call graph without bar', ref: R('get_stack', '3.14'), change: replaceText(/ {2}\| {3}File 'demos\/get_stack\.py', line 12, in async bar\(\)\n/, '') },
  ],
}

export const asyncGenGap: Check = {
  title: 'async_gen, 3.14: foo iterates the async generator bar with async for (line 16), bar awaits blow_up; while blow_up awaits its sleep, format_call_graph(task) prints the task and one frame, foo at line 16 — no bar, blow_up or sleep (get_stack, a plain await, prints sleep, blow_up, bar, foo there); every 3.14 call graph of that task while suspended there is foo alone; the traceback names foo, bar, blow_up',
  rests: [R('async_gen', '3.14'), R('get_stack', '3.14')],
  run(store) {
    const r = get(store, R('async_gen', '3.14'))
    const source = r.demo.source.split('\n')
    same([source[9]?.trim(), source[10]?.trim(), source[SLIDE_PICKS.lines.async_gen - 1]?.trim()], ['await asyncio.sleep(0.2)', 'yield await blow_up()', 'async for _ in bar():'], 'bar an async generator awaiting blow_up, iterated by foo at the line the slide marks')
    const out = stdout(r).trimEnd().split('\n')
    ok(/^\* Task\(name='Task-2', id=0x[0-9a-f]+\)$/.test(out[0] ?? ''), `the task: ${out[0]}`)
    same(out.slice(1), ['  + Call stack:', '  |   File \'demos/async_gen.py\', line 16, in async foo()'], 'format_call_graph(task): foo alone')
    // The same moment without the async generator: the whole chain.
    same(callStack(stdout(get(store, R('get_stack', '3.14')))).map(f => f[0]), ['sleep', 'blow_up', 'bar', 'foo'], 'get_stack: the whole chain')
    const idle = idleBeforePrint(r)
    same(graphNode(idle, 'Task-2').frames.map(f => [f.function, f.line]), [['foo', 16]], 'the runtime\'s graph when main looks')
    ok(r.steps.some(s => s.function === 'blow_up' && s.kind === 'await' && s.atMs < idle.atMs), 'blow_up awaits before main looks')
    for (const s of r.steps.filter(s => s.callGraph && s.asyncChains?.some(c => c.label === 'Task-2' && !c.current && c.frames[0]?.line === 16)))
      same(graphNode(s, 'Task-2').frames.map(f => f.function), ['foo'], `step ${s.index}: the runtime's graph of Task-2 suspended at line 16`)
    same(userTrace(r), ['<module>', 'main', 'foo', 'bar', 'blow_up'], 'the traceback')
    // Our tracer walks the same cr_await links and stops there too; only at await steps, reading the thread's stack, does it see further.
    same(chainOf(idle, 'Task-2'), ['foo'], 'our chain when main looks')
    const { problems } = compareChainsWithCallGraph(r)
    ok(problems.length > 0 && problems.every(p => KNOWN_GAPS.async_gen!.test(p)), `ours and the runtime's differ, only past line 16 at await steps: ${JSON.stringify(problems)}`)
  },
  mutations: [
    { what: 'our chain follows into bar', ref: R('async_gen', '3.14'), change: (r) => { for (const s of stepsOf(r, 'idle')) for (const c of s.asyncChains ?? []) if (c.label === 'Task-2' && c.frames.length === 1 && c.frames[0]!.line === 16) c.frames.push({ ...c.frames[0]!, function: 'bar', line: 11 }) } },
    { what: 'bar in the printed call graph', ref: R('async_gen', '3.14'), change: replaceText('  |   File \'demos/async_gen.py\', line 16, in async foo()', '  |   File \'demos/async_gen.py\', line 11, in async bar()\n  |   File \'demos/async_gen.py\', line 16, in async foo()') },
    { what: 'nothing printed', ref: R('async_gen', '3.14'), change: (r) => { r.run.output = r.run.output.filter(c => c.stream !== 'stdout') } },
    { what: 'foo at another line', ref: R('async_gen', '3.14'), change: replaceText('line 16, in async foo', 'line 15, in async foo') },
    { what: 'the graph follows into bar', ref: R('async_gen', '3.14'), change: (r) => { for (const s of r.steps) for (const n of s.callGraph ?? []) if (n.label === 'Task-2' && n.frames.length === 1 && n.frames[0]!.line === 16) n.frames.push({ ...n.frames[0]!, function: 'bar', line: 11 }) } },
    { what: 'bar a plain coroutine', ref: R('async_gen', '3.14'), change: (r) => { r.demo.source = r.demo.source.replace('    yield await blow_up()', '    await blow_up()') } },
    { what: 'get_stack: the graph stops at foo too', ref: R('get_stack', '3.14'), change: replaceText(/ {2}\| {3}File '[^']+', line \d+, in async (sleep|blow_up|bar)\(\)\n/g, '') },
    { what: 'the traceback without bar', ref: R('async_gen', '3.14'), change: (r) => { r.traceback!.frames = r.traceback!.frames.filter(f => f.function !== 'bar') } },
  ],
}

/** Task-2's chain and the runtime's node at each step with a call graph where Task-2 is suspended at gen_coro.py line 18 (await bar()). */
const suspendedAtAwaitBar = (r: Recording) => r.steps.filter(s => s.callGraph && s.asyncChains?.some(c => c.label === 'Task-2' && !c.current && c.frames[0]?.line === 18))

export const genCoroGap: Check = {
  title: 'gen_coro, 3.14: bar is a generator-based coroutine (@types.coroutine on a plain def) that does yield from blow_up() (line 13), awaited by foo at line 18; while blow_up awaits its sleep, format_call_graph(task) prints the task and one frame, foo at line 18 — no bar, blow_up or sleep; every 3.14 call graph of Task-2 suspended there is foo alone, while our chain there goes on with bar (following gi_yieldfrom), and when main looks is foo → bar (13) → blow_up (6) → sleep (asyncio/tasks.py); ours and the runtime\'s differ there only (KNOWN_GAPS.gen_coro); the traceback names foo, bar, blow_up',
  rests: [R('gen_coro', '3.14')],
  run(store) {
    const r = get(store, R('gen_coro', '3.14'))
    const source = r.demo.source.split('\n')
    same([9, 10, 11, 12, 17].map(i => source[i]?.trim()), ['@types.coroutine', 'def bar():', 'yield from asyncio.sleep(0.2)', 'yield from blow_up()', 'await bar()'], 'bar a @types.coroutine generator doing yield from blow_up(), awaited by foo on line 18')
    const out = stdout(r).trimEnd().split('\n')
    ok(/^\* Task\(name='Task-2', id=0x[0-9a-f]+\)$/.test(out[0] ?? ''), `the task: ${out[0]}`)
    same(out.slice(1), ['  + Call stack:', '  |   File \'demos/gen_coro.py\', line 18, in async foo()'], 'format_call_graph(task): foo alone')
    const idle = idleBeforePrint(r)
    ok(r.steps.some(s => s.function === 'blow_up' && s.kind === 'await' && s.atMs < idle.atMs), 'blow_up awaits before main looks')
    same(graphNode(idle, 'Task-2').frames.map(f => [f.function, f.line]), [['foo', 18]], 'the runtime\'s graph when main looks')
    const ours = idle.asyncChains?.find(c => c.label === 'Task-2')?.frames ?? []
    same(ours.map(f => [f.function, f.isUser ? f.file : f.file.replace(/^.*\/(asyncio\/\w+\.py)$/, '$1'), f.isUser ? f.line : null]), [['foo', 'demos/gen_coro.py', 18], ['bar', 'demos/gen_coro.py', 13], ['blow_up', 'demos/gen_coro.py', 6], ['sleep', 'asyncio/tasks.py', null]], 'our chain when main looks')
    const suspended = suspendedAtAwaitBar(r)
    ok(suspended.length > 0, 'Task-2 never suspended at line 18 with a call graph')
    for (const s of suspended) {
      same(graphNode(s, 'Task-2').frames.map(f => f.function), ['foo'], `step ${s.index}: the runtime's graph of Task-2 suspended at line 18`)
      same(chainOf(s, 'Task-2')[1], 'bar', `step ${s.index}: our chain of Task-2 past line 18`)
    }
    same(userTrace(r), ['<module>', 'main', 'foo', 'bar', 'blow_up'], 'the traceback')
    const { problems } = compareChainsWithCallGraph(r)
    ok(problems.length > 0 && problems.every(p => KNOWN_GAPS.gen_coro!.test(p)), `ours and the runtime's differ, only past line 18 while Task-2 is suspended there: ${JSON.stringify(problems)}`)
  },
  mutations: [
    { what: 'our chain stops at foo too', ref: R('gen_coro', '3.14'), change: (r) => { for (const s of suspendedAtAwaitBar(r)) for (const c of s.asyncChains!) if (c.label === 'Task-2') c.frames = c.frames.slice(0, 1) } },
    { what: 'our chain without sleep when main looks', ref: R('gen_coro', '3.14'), change: (r) => { const c = idleBeforePrint(r).asyncChains!.find(c => c.label === 'Task-2')!; c.frames = c.frames.filter(f => f.function !== 'sleep') } },
    { what: 'bar in the printed call graph', ref: R('gen_coro', '3.14'), change: replaceText('  |   File \'demos/gen_coro.py\', line 18, in async foo()', '  |   File \'demos/gen_coro.py\', line 13, in generator bar()\n  |   File \'demos/gen_coro.py\', line 18, in async foo()') },
    { what: 'nothing printed', ref: R('gen_coro', '3.14'), change: (r) => { r.run.output = r.run.output.filter(c => c.stream !== 'stdout') } },
    { what: 'foo at another line', ref: R('gen_coro', '3.14'), change: replaceText('line 18, in async foo', 'line 17, in async foo') },
    { what: 'the graph follows into bar', ref: R('gen_coro', '3.14'), change: (r) => { for (const s of r.steps) for (const n of s.callGraph ?? []) if (n.label === 'Task-2' && n.frames.length === 1 && n.frames[0]!.line === 18) n.frames.push({ ...n.frames[0]!, function: 'bar', line: 13 }) } },
    { what: 'bar a native coroutine', ref: R('gen_coro', '3.14'), change: (r) => { r.demo.source = r.demo.source.replace('@types.coroutine\ndef bar():', '@types.coroutine\nasync def bar():') } },
    { what: 'the traceback without bar', ref: R('gen_coro', '3.14'), change: (r) => { r.traceback!.frames = r.traceback!.frames.filter(f => f.function !== 'bar') } },
  ],
}

export const pstreeOutside: Check = {
  title: 'async_loop, 3.14, from outside: held at an idle step where Task-1 awaits in blow_up → sleep, python3.14 -m asyncio pstree <pid> prints Task-1 → foo → bar → blow_up → sleep: our chain at that step, frame for frame (function, file, line)',
  rests: [R('async_loop', '3.14')],
  run(store) {
    const r = get(store, R('async_loop', '3.14'))
    const { held, tree } = outside(r)
    ok(held.kind === 'idle', `held at a ${held.kind} step`)
    ok(held.index === r.steps.findIndex(s => s.kind === 'idle' && s.asyncChains?.some(c => c.frames.some(f => f.function === 'blow_up'))), 'held at the idle where blow_up awaits')
    same(tree.map(t => [t.label, t.parent, names(t.frames)]), [['Task-1', null, ['foo', 'bar', 'blow_up', 'sleep']]], 'the tree')
    same(tree[0]!.frames, chainFrames(held, 'Task-1'), 'the tree vs our chain at the held step')
    same(held.asyncChains!.map(c => c.label), ['Task-1'], 'one task')
  },
  mutations: [
    { what: 'bar renamed in the tree', ref: R('async_loop', '3.14'), change: editTree('bar demos', 'baz demos') },
    { what: 'sleep left out of the tree', ref: R('async_loop', '3.14'), change: editTree(/\n.*└── {2}sleep .*\n/, '\n') },
    { what: 'bar\'s line changed in the tree', ref: R('async_loop', '3.14'), change: editTree('async_loop.py:9', 'async_loop.py:8') },
    { what: 'held at an await step', ref: R('async_loop', '3.14'), change: editView((view) => { view.atStep -= 1 }) },
    { what: 'pstree could not run', ref: R('async_loop', '3.14'), change: editView((view) => { view.note = 'ptrace not allowed'; view.stdout = '' }) },
    { what: 'run by another command', ref: R('async_loop', '3.14'), change: editView((view) => { view.command[0] = 'py-spy' }) },
    { what: 'our chain without bar', ref: R('async_loop', '3.14'), change: dropFrames(/^bar$/) },
    { what: 'no outside view', ref: R('async_loop', '3.14'), change: (r) => { delete r.outsideView } },
  ],
}
function chainFrames(step: Step, label: string): string[] {
  const chain = step.asyncChains?.find(c => c.label === label)
  ok(chain, `step ${step.index}: no chain ${label}`)
  return chain.frames.map(frameAt)
}

export const awaitedByTrees: Check = {
  title: 'create_task and gather, 3.14, pstree: the tree is capture_call_graph\'s awaited_by at the held step (each task, what awaits it, its coroutine stack); create_task: Task-1 foo → bar, Task-2 blow_up → sleep under bar; gather: Task-2 tick → sleep and Task-3 blow_up → sleep, both under bar',
  rests: [R('create_task', '3.14'), R('gather', '3.14')],
  run(store) {
    const created = treeIsCallGraph(get(store, R('create_task', '3.14'))).tree
    same(created.map(t => [t.label, t.parent, t.under && names([t.under])[0], names(t.frames)]), [['Task-1', null, null, ['foo', 'bar']], ['Task-2', 'Task-1', 'bar', ['blow_up', 'sleep']]], 'create_task\'s tree')
    const gathered = treeIsCallGraph(get(store, R('gather', '3.14'))).tree
    same(gathered.map(t => [t.label, t.parent, t.under && names([t.under])[0], names(t.frames)]), [['Task-1', null, null, ['foo', 'bar']], ['Task-2', 'Task-1', 'bar', ['tick', 'sleep']], ['Task-3', 'Task-1', 'bar', ['blow_up', 'sleep']]], 'gather\'s tree')
  },
  mutations: [
    { what: 'create_task: Task-2 hangs under foo', ref: R('create_task', '3.14'), change: editTree(/ {8}└── {2}bar .*\n {12}└── \(T\) Task-2\n {16}(.*)\n {20}(.*)\n/, '        ├── (T) Task-2\n        │   └── $1\n        │       └── $2\n        └──  bar demos/create_task.py:12\n') },
    { what: 'create_task: Task-2 awaited by nobody', ref: R('create_task', '3.14'), change: (r) => { graphNode(heldStep(r), 'Task-2').awaitedBy = [] } },
    { what: 'create_task: held at a step where only Task-1 is known', ref: R('create_task', '3.14'), change: editView((view) => { view.atStep = 17 }) },
    { what: 'create_task: no outside view', ref: R('create_task', '3.14'), change: (r) => { delete r.outsideView } },
    { what: 'gather: tick left out of the tree', ref: R('gather', '3.14'), change: editTree(/ {12}├── \(T\) Task-2\n.*\n.*\n/, '') },
    { what: 'gather: Task-3 awaited by Task-2 in the call graph', ref: R('gather', '3.14'), change: (r) => { graphNode(heldStep(r), 'Task-3').awaitedBy = ['Task-2'] } },
    { what: 'gather: blow_up renamed in the tree', ref: R('gather', '3.14'), change: editTree('blow_up demos', 'boom demos') },
    { what: 'gather: pstree could not run', ref: R('gather', '3.14'), change: editView((view) => { view.note = 'no 3.14'; view.exitCode = 1 }) },
  ],
}

export const createTask314: Check = {
  title: 'create_task, 3.14: blow_up runs in Task-2 (the current chain from its call to its raise), resumed with only the loop\'s frames under it; the traceback still has foo and bar',
  rests: [R('create_task', '3.14')],
  run(store) {
    const r = get(store, R('create_task', '3.14'))
    const inBlowUp = r.steps.filter(s => s.function === 'blow_up' && s.index <= firstRaise(r).index)
    ok(inBlowUp.length > 0 && inBlowUp.every(s => s.asyncChains?.find(c => c.current)?.label === 'Task-2'), 'blow_up runs in Task-2')
    same(stepsOf(r, 'resume').filter(s => s.function === 'blow_up').map(s => stackNames(s.physicalStack)), [['<module>', '~run', '~run', '~run_until_complete', '~run_forever', '~_run_once', '~_run', 'blow_up']], 'blow_up resumed by the loop')
    same(userTrace(r), ['<module>', 'foo', 'bar', 'blow_up'], 'traceback')
  },
  mutations: [
    { what: 'blow_up in Task-1', ref: R('create_task', '3.14'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) if (c.label === 'Task-2') c.label = 'Task-1' } },
    { what: 'bar under blow_up', ref: R('create_task', '3.14'), change: renameFrames(/^_run$/, 'bar') },
    { what: 'frames reversed', ref: R('create_task', '3.14'), change: reverseFrames },
  ],
}

export const callGraphAgrees: Check = {
  title: 'every Python demo on 3.14 but the gap demos (async_gen, gen_coro): a call graph at every await, idle and resume step while a loop runs, nowhere else; at each, our tasks and chains are the runtime\'s (tests/support/callgraph.ts)',
  rests: PY_DEMOS.map(d => R(d, '3.14')),
  run(store) {
    const demos = new Set<string>(PY_DEMOS)
    for (const entry of store) {
      if (entry.recording.demo.language === 'python' && entry.version.startsWith('3.14.') && !(entry.demo in KNOWN_GAPS))
        demos.add(entry.demo)
    }
    for (const demo of demos) {
      const r = get(store, R(demo, '3.14'))
      for (const step of r.steps) {
        const wanted = step.asyncChains !== null && ['await', 'idle', 'resume'].includes(step.kind)
        ok((step.callGraph !== undefined) === wanted, `${demo} step ${step.index} (${step.kind}): ${wanted ? 'no' : 'a'} call graph`)
      }
      const { compared, problems } = compareChainsWithCallGraph(r)
      same(problems, [], `${demo}: ours vs the runtime's`)
      ok(compared > 0 || r.steps.every(s => s.asyncChains === null), `${demo}: nothing compared`)
    }
  },
  mutations: [
    { what: 'async_loop: bar dropped from our chains', ref: R('async_loop', '3.14'), change: dropFrames(/^bar$/) },
    { what: 'gather: Task-3 renamed in our chains', ref: R('gather', '3.14'), change: (r) => { for (const s of r.steps) for (const c of s.asyncChains ?? []) if (c.label === 'Task-3') c.label = 'Task-9' } },
    { what: 'eager_task: awaited by a task not in the graph', ref: R('eager_task', '3.14'), change: (r) => { graphNode(r.steps[34]!, 'Task-2').awaitedBy = ['Task-7'] } },
    { what: 'create_task: no call graph recorded', ref: R('create_task', '3.14'), change: (r) => { for (const s of r.steps) delete s.callGraph } },
    { what: 'call_graph: a line of our chain changed', ref: R('call_graph', '3.14'), change: (r) => { r.steps.find(s => s.kind === 'idle')!.asyncChains![0]!.frames[0]!.line! += 1 } },
    { what: 'task_group: frames of our chains reversed', ref: R('task_group', '3.14'), change: reverseFrames },
  ],
}

const EAGER = SLIDE_PICKS.steps['eager_task 3.14']
const insertStep = (r: Recording) => {
  r.steps.unshift(structuredClone(r.steps[0]!))
  r.steps.forEach((s, i) => { s.index = i })
}

export const eagerSlide: Check = {
  title: `eager_task, 3.14, the steps the slide walks (${EAGER.join(', ')}): bar at create_task; blow_up called inside create_task above main → foo → bar, Task-2's chain blow_up alone; its first await still there, then bar awaits Task-2; idle: Task-2 awaited by Task-1 (in bar), not before; resumed and raising with only the loop's frames under it; the traceback has main, foo, bar`,
  rests: [R('eager_task', '3.14')],
  run(store) {
    const r = get(store, R('eager_task', '3.14'))
    const [created, called, awaited, idle, resumed, raised] = EAGER.map(i => stepAt(r, i))
    same(EAGER.map(i => `${r.steps[i]!.kind} ${r.steps[i]!.function}`), ['line bar', 'call blow_up', 'await blow_up', 'idle select', 'resume blow_up', 'raise blow_up'], 'the steps the slide walks')
    same([created!.line, created!.physicalStack.at(-1)!.source], [11, 'await asyncio.create_task(blow_up())'], 'bar creates the task')
    same(r.demo.source.split('\n')[19]?.trim(), 'asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)', 'main sets the eager factory')
    const loop = ['<module>', '~run', '~run', '~run_until_complete', '~run_forever', '~_run_once', '~_run']
    const eager = [...loop, 'main', 'foo', 'bar', '~create_task', '~create_task', '~factory', 'blow_up']
    same(stackNames(called!.physicalStack), eager, 'blow_up\'s first step, inside create_task')
    same(stepsOf(r, 'call').filter(s => s.function === 'blow_up').map(s => s.index), [called!.index], 'the first step of blow_up')
    const chain = called!.asyncChains?.find(c => c.current)
    same([chain?.label, chain?.frames.map(f => f.function)], ['Task-2', ['blow_up']], 'Task-2\'s chain at the call')
    same(stackNames(awaited!.physicalStack), eager, 'its first await, still inside create_task')
    same(stepsOf(r, 'await').find(s => s.function === 'blow_up')?.index, awaited!.index, 'blow_up\'s first await')
    same(graphNode(awaited!, 'Task-2').awaitedBy, [], 'not awaited yet')
    const handed = stepAt(r, awaited!.index + 1)
    same([handed.kind, handed.function, stackNames(handed.physicalStack)], ['await', 'bar', [...loop, 'main', 'foo', 'bar']], 'create_task returned: bar awaits')
    ok(/^<Task pending name='Task-2' coro=<blow_up\(\)/.test(handed.detail ?? ''), `bar awaits Task-2: ${handed.detail}`)
    same(graphNode(idle!, 'Task-2').awaitedBy, ['Task-1'], 'idle: Task-1 awaits Task-2')
    same(graphNode(idle!, 'Task-1').frames.map(f => f.function), ['main', 'foo', 'bar'], 'Task-1 waits in bar')
    same(stackNames(resumed!.physicalStack), [...loop, 'blow_up'], 'resumed by the loop')
    same(stackNames(raised!.physicalStack), [...loop, 'blow_up'], 'raised with only the loop under it')
    same(raised!.index, firstRaise(r).index, 'the raise')
    same(userTrace(r), ['<module>', 'main', 'foo', 'bar', 'blow_up'], 'the traceback')
  },
  mutations: [
    { what: 'a step inserted before (indices shift)', ref: R('eager_task', '3.14'), change: insertStep },
    { what: 'bar missing under blow_up', ref: R('eager_task', '3.14'), change: dropFrames(/^bar$/) },
    { what: 'create_task\'s frames gone', ref: R('eager_task', '3.14'), change: dropFrames(/^create_task$/) },
    { what: 'Task-2\'s chain has bar', ref: R('eager_task', '3.14'), change: (r) => { r.steps[28]!.asyncChains!.find(c => c.current)!.frames.unshift({ ...r.steps[28]!.physicalStack.find(f => f.function === 'bar')! }) } },
    { what: 'awaited by Task-1 before the idle', ref: R('eager_task', '3.14'), change: (r) => { graphNode(r.steps[30]!, 'Task-2').awaitedBy = ['Task-1'] } },
    { what: 'awaited by nobody at the idle', ref: R('eager_task', '3.14'), change: (r) => { graphNode(r.steps[34]!, 'Task-2').awaitedBy = [] } },
    { what: 'foo and bar under blow_up at the resume', ref: R('eager_task', '3.14'), change: (r) => { const stack = r.steps[35]!.physicalStack; stack.splice(-1, 0, ...r.steps[27]!.physicalStack.filter(f => /^(foo|bar)$/.test(f.function))) } },
    { what: 'bar at the raise', ref: R('eager_task', '3.14'), change: (r) => { const stack = r.steps[37]!.physicalStack; stack.splice(-1, 0, { ...stack.at(-1)!, function: 'bar', line: 11 }) } },
    { what: 'the traceback without main', ref: R('eager_task', '3.14'), change: (r) => { r.traceback!.frames = r.traceback!.frames.filter(f => f.function !== 'main') } },
  ],
}

export const eagerVersions: Check = {
  title: 'eager_task, every CPython: 3.12+ call blow_up inside create_task above main → foo → bar, and resume it with only the loop\'s frames under it; 3.7-3.11 have no eager_task_factory, 3.6 no asyncio.run (AttributeError)',
  rests: refs('eager_task', CPYTHONS),
  run(store) {
    for (const { version, recording: r } of range(store, 'eager_task', CPYTHONS, '3.6')) {
      const minor = Number(version.split('.')[1])
      if (minor < 12) {
        same(r.traceback!.exception, { type: 'AttributeError', message: `module 'asyncio' has no attribute '${minor === 6 ? 'run' : 'eager_task_factory'}'` }, `${version}: AttributeError`)
        continue
      }
      const called = stepsOf(r, 'call').find(s => s.function === 'blow_up')
      ok(called, `${version}: blow_up never called`)
      same(stackNames(called.physicalStack).slice(-7), ['main', 'foo', 'bar', '~create_task', '~create_task', '~factory', 'blow_up'], `${version}: blow_up's call`)
      same(stepsOf(r, 'resume').filter(s => s.function === 'blow_up').map(s => stackNames(s.physicalStack)), [['<module>', '~run', '~run', '~run_until_complete', '~run_forever', '~_run_once', '~_run', 'blow_up']], `${version}: blow_up resumed by the loop`)
      same(userTrace(r), ['<module>', 'main', 'foo', 'bar', 'blow_up'], `${version}: traceback`)
    }
  },
  mutations: [
    { what: '3.12: foo missing under blow_up\'s call', ref: R('eager_task', '3.12'), change: dropFrames(/^foo$/) },
    { what: '3.13: bar under the resumed blow_up', ref: R('eager_task', '3.13'), change: (r) => { for (const s of stepsOf(r, 'resume').filter(s => s.function === 'blow_up')) s.physicalStack.splice(-1, 0, { ...s.physicalStack.at(-1)!, function: 'bar' }) } },
    { what: '3.14: created lazily (no create_task under blow_up)', ref: R('eager_task', '3.14'), change: dropFrames(/^(create_task|factory)$/) },
    { what: '3.11.7: eager_task_factory found', ref: R('eager_task', '3.11.7'), change: (r) => { r.traceback!.exception.message = 'x' } },
    { what: '3.6: asyncio.run found', ref: R('eager_task', '3.6'), change: (r) => { r.traceback!.exception.message = 'x' } },
  ],
}

// --- sentences resting on several -------------------------------------------------------------

export const nick = all('2019: Rust kept every async caller below the callee; JavaScript (Node 10) a single frame', rustAsync, asyncJsOld)
export const sideBySide = all('Python and Rust re-enter (their stacks hold the chain), V8 rebuilds it (async frames)', asyncLoopSteps, rustAsync, jsSteps)
export const keepThroughAwait = all('asyncio and V8 keep foo → bar → blow_up through await', asyncLoopTrace, asyncJsTrace)
export const liveVsTraceback = all('a spawned Rust task and a Python task lose their callers on the live stack; Python\'s traceback gets them back', rustSpawn, createTask)
export const awaitedOnly = all('V8 rebuilds only awaited promises: .then() and timers lose the chain, return without await loses bar', thenAndTimers, noAwait)
export const pythonTimeline = all('Python\'s await chain re-entered and its traceback two stacks joined', asyncLoopSteps, twoStacksJoined)
export const nodeDefault = all('async stack traces on by default since Node 12; async frames count against Error.stackTraceLimit', asyncJsTrace, asyncJsOld, stackTraceLimit)
export const combinatorsAll = all('the chain through await, Promise.all, any, allSettled; none through .then() or timers', asyncJsTrace, promiseAll, combinators, thenAndTimers)
export const errorCreation = all('the stack is captured when the Error is created, async callers named from the promise chain', asyncJsTrace, errorAtCreation)
export const runtimeView = all('CPython 3.14 shows our chain itself: print_call_graph() from inside, pstree from outside', printCallGraph, pstreeOutside)
export const callGraphNew = all('print_call_graph() on 3.14, no such function before', printCallGraph, noCallGraphBefore314)
export const taskLostCallers = all('create_task: blow_up in Task-2, its live stack without foo and bar (default and 3.14)', createTask, createTask314)
export const agreeButGap = all('on 3.14 our chains are the runtime\'s, but in async_gen, where both stop at async for and only ours, at await steps, sees past it, and in gen_coro, where the runtime\'s stops at the generator-based coroutine and ours goes on', callGraphAgrees, asyncGenGap, genCoroGap)
export const eager = all('eager tasks on 3.12+, and the steps the slide walks on 3.14', eagerVersions, eagerSlide)

// --- the stack over time (the summary picture) ------------------------------------------

/** Change the thread's stack of the steps that `pick` selects. */
const editStacks = (pick: (s: Step, i: number, steps: Step[]) => boolean, change: (frames: Frame[]) => Frame[]) => (r: Recording) => {
  r.steps.forEach((s, i, steps) => {
    if (pick(s, i, steps))
      s.physicalStack = change(s.physicalStack)
  })
}
const userFrame = (name: string): Frame => ({ function: name, file: 'demos/x', line: 1, column: null, source: null, isUser: true, isAsync: false })

export const syncTower: Check = {
  title: 'sync: foo is on the thread\'s stack at every step from its call to its raise, for at least 0.6 s: one tower',
  rests: [R('sync')],
  run(store) {
    const r = get(store, R('sync'))
    const onStack = r.steps.map(s => userStack(s.physicalStack).includes('foo'))
    const first = onStack.indexOf(true)
    const last = onStack.lastIndexOf(true)
    ok(first >= 0, 'sync: foo never on the stack')
    same(onStack.slice(first, last + 1).every(Boolean), true, 'sync: foo stays on the stack from its call to its raise')
    ok(r.steps[last]!.atMs - r.steps[first]!.atMs >= 590, `sync: foo on the stack ${r.steps[last]!.atMs - r.steps[first]!.atMs} ms, not the whole 0.6 s`)
  },
  mutations: [
    { what: 'foo off the stack while bar sleeps', ref: R('sync'), change: editStacks(s => s.kind === 'block' && s.function === 'bar', frames => frames.filter(f => f.function !== 'foo')) },
    { what: 'the sleeps gone: 10 ms in all', ref: R('sync'), change: (r) => { r.steps.forEach((s) => { s.atMs = Math.min(s.atMs, 10) }) } },
  ],
}

export const asyncioSpikes: Check = {
  title: 'asyncio: while idle only <module> is on the thread\'s stack and the task\'s chain holds foo (at last foo → bar → blow_up); each resume spike is over in under 20 ms, each idle lasts 90 ms or more',
  rests: [R('async_loop')],
  run(store) {
    const r = get(store, R('async_loop'))
    const idles = r.steps.map((s, i) => ({ s, i })).filter(({ s }) => s.kind === 'idle')
    ok(idles.length === 3, `async_loop: ${idles.length} idle steps, not 3 (one per sleep)`)
    for (const { s, i } of idles) {
      same(userStack(s.physicalStack), ['<module>'], `async_loop step ${i} (idle): the thread's stack`)
      ok(chainOf(s, 'Task-1')[0] === 'foo', `async_loop step ${i} (idle): the task's chain starts at foo: ${chainOf(s, 'Task-1').join(' → ')}`)
      const next = r.steps[i + 1]!
      ok(next.kind === 'resume' && next.atMs - s.atMs >= 90, `async_loop step ${i}: the idle lasts ${next.atMs - s.atMs} ms, until a ${next.kind}`)
      const spikeEnd = r.steps.slice(i + 1).find(t => t.kind === 'idle' || t.kind === 'raise')!
      ok(spikeEnd.atMs - next.atMs < 20, `async_loop step ${i + 1}: the spike lasts ${spikeEnd.atMs - next.atMs} ms`)
    }
    same(chainOf(idles.at(-1)!.s, 'Task-1'), ['foo', 'bar', 'blow_up'], 'async_loop: the last idle\'s chain')
  },
  mutations: [
    { what: 'foo on the thread\'s stack while idle', ref: R('async_loop'), change: editStacks(s => s.kind === 'idle', frames => [...frames, userFrame('foo')]) },
    { what: 'bar dropped from the chains', ref: R('async_loop'), change: dropFrames(/^bar$/) },
    { what: 'a resume spike of 50 ms', ref: R('async_loop'), change: (r) => { const i = r.steps.findIndex(s => s.kind === 'resume'); r.steps.slice(i + 1).forEach((s) => { s.atMs += 50 }) } },
    { what: 'no idle steps', ref: R('async_loop'), change: dropSteps('idle') },
  ],
}

export const jsSpikes: Check = {
  title: 'JavaScript (Node default): at every resume, the resumed function is the only frame of ours on the thread\'s stack (foo, bar, blowUp in turn)',
  rests: [R('async')],
  run(store) {
    const r = get(store, R('async'))
    const resumes = stepsOf(r, 'resume')
    same(resumes.map(s => s.function), ['foo', 'bar', 'blowUp'], 'async: the resumes')
    for (const s of resumes)
      same(userStack(s.physicalStack), [s.function], `async: the thread's stack at the resume of ${s.function}`)
  },
  mutations: [
    { what: 'foo under bar at its resume', ref: R('async'), change: editStacks(s => s.kind === 'resume' && s.function === 'bar', frames => [userFrame('foo'), ...frames]) },
    { what: 'the resume of bar dropped', ref: R('async'), change: dropSteps('resume', /^bar$/) },
  ],
}

export const rustRepolls: Check = {
  title: 'Rust: after each idle, the wake-up resumes foo first, then each poll nests the next future, so at every resume the thread\'s stack is main → block_on → foo → … → the resumed future',
  rests: [R('rust_async')],
  run(store) {
    const r = get(store, R('rust_async'))
    const chain = ['rust_async::foo::{{closure}}', 'rust_async::bar::{{closure}}', 'rust_async::blow_up::{{closure}}']
    const idles = r.steps.map((s, i) => ({ s, i })).filter(({ s }) => s.kind === 'idle')
    ok(idles.length === 3, `rust_async: ${idles.length} idle steps, not 3`)
    for (const { i } of idles) {
      const wake = r.steps.slice(i + 1).filter((s, k, rest) => rest.slice(0, k + 1).every(t => t.kind === 'resume'))
      same(wake.map(s => s.function), chain.slice(0, wake.length), `rust_async: the resumes after idle step ${i}`)
      ok(wake.length > 0, `rust_async: nothing resumed after idle step ${i}`)
    }
    for (const s of stepsOf(r, 'resume')) {
      const depth = chain.indexOf(s.function) + 1
      same(userStack(s.physicalStack), ['rust_async::main', 'rust_async::block_on', ...chain.slice(0, depth)], `rust_async: the thread's stack at the resume of ${s.function}`)
    }
  },
  mutations: [
    { what: 'foo missing under blow_up at its resume', ref: R('rust_async'), change: editStacks(s => s.kind === 'resume' && s.function.includes('blow_up'), frames => frames.filter(f => !f.function.includes('foo'))) },
    { what: 'the wake-ups resume bar without foo', ref: R('rust_async'), change: dropSteps('resume', /foo/) },
    { what: 'frames reversed', ref: R('rust_async'), change: reverseFrames },
  ],
}

export const noColour: Check = {
  title: 'CPython 3.13 and 3.14, recorded with PYTHON_COLORS=0: no colour code (ESC [) in the traceback or anywhere in the output',
  rests: [R('async_loop', '3.13'), R('async_loop', '3.14')],
  run(store) {
    for (const version of ['3.13', '3.14']) {
      const r = get(store, R('async_loop', version))
      ok(!r.traceback!.text.includes('\u001b['), `${version}: a colour code in the traceback`)
      ok(!stderr(r).includes('\u001b['), `${version}: a colour code in stderr`)
    }
  },
  mutations: [
    { what: '3.13: the exception line in red', ref: R('async_loop', '3.13'), change: replaceText('Exception: nested error', '\u001b[1;35mException\u001b[0m: nested error') },
    { what: '3.14: the exception line in red', ref: R('async_loop', '3.14'), change: replaceText('Exception: nested error', '\u001b[1;35mException\u001b[0m: nested error') },
  ],
}
