/**
 * The checks behind the talk's claims: each a function of the recordings (a Store) that
 * throws when they contradict the claim, with the recordings it rests on and mutations
 * that alter them to contradict it (tests/unit/claims-mutations.test.ts runs them all).
 * Frame lists are always compared whole and in order.
 */
import type { Recording } from '../../engine/schema'
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
export const CPYTHONS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'] as const
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
  ],
}

export const everyCPython: Check = {
  title: 'asyncio, every CPython: <module> → run_until_complete → foo → bar → blow_up; carets: none before 3.11, ^ under future.result() only on 3.11 and 3.12, ~~~^^ under the <module> line and future.result() on 3.13',
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
  },
  mutations: [
    { what: '3.10: carets added', ref: R('async_loop', '3.10'), change: replaceText('    return future.result()\n', '    return future.result()\n           ^^^^^^^^^^^^^^^\n') },
    { what: '3.11.7: carets removed', ref: R('async_loop', '3.11.7'), change: replaceText(/\n\s*\^+\n/, '\n') },
    { what: '3.13: ~ printed as ^', ref: R('async_loop', '3.13'), change: replaceText(/~/g, '^') },
    { what: '3.8: frames reversed', ref: R('async_loop', '3.8'), change: reverseFrames },
    { what: '3.12: foo removed', ref: R('async_loop', '3.12'), change: dropFrames(/^foo$/) },
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
    ok(err.slice(created, traceback).includes('line 8, in main\n    task = asyncio.create_task(blow_up(), name="blow-up")'), 'created at main\'s create_task')
    same(pythonFrames(err.slice(traceback)), ['blow_up'], 'the exception\'s traceback')
    ok(!err.slice(traceback).includes('blow-up'), 'no task name in the traceback')
  },
  mutations: [
    { what: 'no name in the repr', ref: R('never_retrieved'), change: replaceText('name=\'blow-up\'', 'name=\'Task-2\'') },
    { what: 'no creation stack', ref: R('never_retrieved'), change: replaceText('source_traceback: Object created at', 'source') },
    { what: 'the name in the traceback', ref: R('never_retrieved'), change: replaceText('line 5, in blow_up\n', 'line 5, in blow_up\n    # blow-up\n') },
    { what: 'created elsewhere', ref: R('never_retrieved'), change: replaceText('line 8, in main', 'line 9, in main') },
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
