/**
 * The talk's claims: every sentence of slides.md (slides and speaker notes, as
 * tests/claims/sentences.ts cuts them) is here, either as a claim about what a runtime
 * prints, keeps, loses or how it works — with the check that backs it against the
 * recordings (tests/claims/checks.ts) — or as not such a claim, saying what it is instead.
 * A new sentence fails tests/unit/claims.test.ts until it is listed; a listed sentence that
 * is no longer on its slide fails too.
 */
import * as K from './checks'
import type { Check } from './checks'

export interface Claim {
  id: string
  /** The slide's title, as Slidev gives it. */
  slide: string
  /** Verbatim, as tests/claims/sentences.ts cuts slides.md. */
  sentence: string
  check: Check
}

/** A runtime claim no recording can back yet, and why. */
export interface Pending {
  slide: string
  sentence: string
  why: string
}

/** Not a claim about a runtime: a title, a direction to the audience, the program described, history, the deck itself. */
export interface NotAClaim {
  slide: string
  sentence: string
  kind: 'title' | 'direction' | 'program' | 'history' | 'deck' | 'question' | 'opinion'
}

const S = {
  where: 'Where this comes from',
  program: 'One program, four runtimes',
  syncProgram: 'Sync Python: the program',
  syncTb: 'Sync Python: the traceback, frame by frame',
  syncSteps: 'Sync Python, step by step',
  asyncProgram: 'Async Python: the program',
  asyncRun: 'Or, as we write it today: asyncio.run',
  asyncTb: 'Async Python: the traceback, frame by frame',
  syncVsAsync: 'Sync vs async Python: what asyncio adds',
  why: 'Why it works',
  asyncSteps: 'Async Python, step by step',
  reenter: 'Each await re-enters the coroutine it awaits',
  js: 'Async JavaScript',
  jsProgram: 'Async JavaScript: the program',
  jsTrace: 'The trace: at async bar, at async foo',
  jsSteps: 'Async JavaScript, step by step',
  zeroCost: 'Zero-cost async stack traces',
  node: 'Then and now: Node 8 → 26',
  breaks: 'Where it breaks',
  task: 'Python: a task\'s live stack loses its callers',
  gather: 'Python: gather and TaskGroup',
  then: 'JavaScript: .then() and setTimeout',
  devtools: 'What DevTools shows, what your logs get',
  noAwait: 'JavaScript: a missing await, and Promise.all',
  rust: 'Async Rust',
  rustPolls: 'Async Rust: nested polls',
  rustTrace: 'The Rust backtrace: nested polls, named as closures',
  rustSpawn: 'Rust: a spawned task loses its callers',
  thenNow: 'Then and now',
  py314: 'Python 3.14: the runtime shows the logical stack',
  inside: 'From inside: asyncio.print_call_graph()',
  outside: 'From outside: pstree',
  whoAwaits: 'Tasks: who awaits whom',
  eager: 'Eager tasks (3.12+): the callers are there, then gone',
  gap: 'What the call graph misses: an async generator',
  py: 'Python 3.6 → 3.14',
  all: 'All the traces side by side',
  overTime: 'The stack over time',
  takeaways: 'Takeaways for Monday',
  cover: 'Async Stack Traces',
  end: 'Thank you',
} as const

const c = (id: string, slide: string, sentence: string, check: Check): Claim => ({ id, slide, sentence, check })

export const CLAIMS: Claim[] = [
  c('nick-rust-js', S.where, 'Rust\'s backtrace kept every async caller, below the callee on the stack; JavaScript\'s trace kept a single frame.', K.nick),
  c('reply-asyncio-like-sync', S.where, 'A short reply asked the obvious question for Python, and found that asyncio traces look just like sync ones.', K.asyncLoopTrace),

  c('error-at-600ms', S.program, 'The error happens at **0.6 s**, three calls deep.', K.all('0.6 s, three calls deep', K.errorAt600ms, K.syncTrace)),
  c('error-at-600ms-note', S.program, 'The program is tiny on purpose: three functions, three sleeps, one error at 0.6 seconds.', K.errorAt600ms),

  c('sleep-blocks', S.syncProgram, 'time.sleep blocks the thread.', K.syncSteps),
  c('sync-live-600ms', S.syncProgram, 'It runs live on this laptop: after 0.6 seconds, the traceback you all know.', K.all('sync: 0.6 s, the usual traceback', K.errorAt600ms, K.syncTrace)),

  c('sync-tb-order', S.syncTb, 'Read it top to bottom, oldest call first.', K.syncTrace),
  c('sync-tb-module', S.syncTb, 'The module calls foo.', K.syncTrace),
  c('sync-tb-line13', S.syncTb, 'foo calls bar, on line 13.', K.syncTrace),
  c('sync-tb-bar', S.syncTb, 'bar calls blow_up.', K.syncTrace),
  c('sync-tb-raise', S.syncTb, 'blow_up raises.', K.syncTrace),
  c('sync-tb-every-caller', S.syncTb, 'Every caller is there, because every caller is still on the stack.', K.all('sync: trace = stack', K.syncTrace, K.syncSteps)),

  c('sync-steps-grow', S.syncSteps, 'The real run, step by step: the thread stack grows as each function calls the next.', K.syncSteps),
  c('sync-steps-foo', S.syncSteps, 'foo calls time.sleep: the whole thread blocks, foo stays on the stack.', K.syncSteps),
  c('sync-steps-bar', S.syncSteps, 'bar sleeps: foo and bar are both on the stack.', K.syncSteps),
  c('sync-steps-blow-up', S.syncSteps, 'blow_up sleeps: all three are on the stack.', K.syncSteps),
  c('sync-steps-raise', S.syncSteps, 'blow_up raises, and every caller is right there on the stack.', K.syncSteps),

  c('async-live-600ms', S.asyncProgram, 'Run it: the same error after 0.6 seconds.', K.all('asyncio: 0.6 s, the same error', K.errorAt600ms, K.asyncLoopTrace)),

  c('asyncio-run-3.7', S.asyncRun, 'Today you would write asyncio.run (Python 3.7 and later).', K.asyncRunVersions),
  c('asyncio-run-runner-3.11', S.asyncRun, 'Since 3.11 it wraps the same loop in a Runner.', K.asyncRunVersions),
  c('asyncio-run-more-frames', S.asyncRun, 'Run it: expect a few more runtime frames at the top of the trace.', K.asyncRunVersions),

  c('async-tb-module', S.asyncTb, 'The module line that started the loop.', K.asyncLoopTrace),
  c('async-tb-base-events', S.asyncTb, 'One frame of asyncio itself, base_events.py: run_until_complete.', K.asyncLoopTrace),
  c('async-tb-dimmed', S.asyncTb, 'Dimmed: runtime internals.', K.asyncLoopTrace),
  c('async-tb-foo', S.asyncTb, 'Then foo,', K.asyncLoopTrace),
  c('async-tb-bar', S.asyncTb, 'bar,', K.asyncLoopTrace),
  c('async-tb-blow-up', S.asyncTb, 'and blow_up.', K.asyncLoopTrace),
  c('async-tb-quote', S.asyncTb, '"Pretty much the same as the sync version and isn\'t missing any details."', K.asyncLoopTrace),

  c('asyncio-adds-one', S.syncVsAsync, 'asyncio keeps foo, bar and blow_up, and adds one runtime frame.', K.asyncLoopTrace),
  c('asyncio-run-adds', S.syncVsAsync, 'asyncio.run adds its own frames too (on 3.11 and later, the Runner\'s).', K.asyncRunVersions),
  c('asyncio-all-three', S.syncVsAsync, 'Our three functions are all there.', K.all('sync, asyncio, asyncio.run: all three', K.syncTrace, K.asyncLoopTrace, K.asyncRunVersions)),

  c('async-steps-foo-suspends', S.asyncSteps, 'foo awaits the sleep: it suspends, its frame leaves the stack.', K.asyncLoopSteps),
  c('async-steps-idle-empty', S.asyncSteps, 'The event loop waits: nothing of ours is on the thread\'s stack.', K.asyncLoopSteps),
  c('async-steps-task-foo', S.asyncSteps, 'The task remembers foo.', K.asyncLoopSteps),
  c('async-steps-timer', S.asyncSteps, 'The timer fires: the task resumes foo.', K.asyncLoopSteps),
  c('async-steps-chain-suspends', S.asyncSteps, 'bar awaits, then foo: the whole chain suspends.', K.asyncLoopSteps),
  c('async-steps-task-foo-bar', S.asyncSteps, 'Idle again; the task remembers foo → bar.', K.asyncLoopSteps),
  c('async-steps-reenter', S.asyncSteps, 'Resumed: the task re-enters foo, which re-enters bar.', K.asyncLoopSteps),
  c('async-steps-innermost-first', S.asyncSteps, 'blow_up, bar and foo suspend, innermost first.', K.asyncLoopSteps),
  c('async-steps-chain-intact', S.asyncSteps, 'Idle: nothing of ours on the stack, but the chain foo → bar → blow_up is intact.', K.asyncLoopSteps),
  c('async-steps-all-back', S.asyncSteps, 'Resumed: foo, bar and blow_up are all back on the stack, each await re-entering its callee.', K.asyncLoopSteps),
  c('async-steps-raise', S.asyncSteps, 'blow_up raises, with foo, bar and blow_up really on the stack.', K.asyncLoopSteps),

  c('reenter-title', S.reenter, 'Each `await` re-enters the coroutine it awaits', K.asyncLoopSteps),
  c('reenter-suspends', S.reenter, 'A coroutine that awaits **suspends**: its frame leaves the thread\'s stack.', K.asyncLoopSteps),
  c('reenter-task', S.reenter, 'The event loop only knows the **task**; the task holds the outermost coroutine, `foo`.', K.asyncLoopSteps),
  c('reenter-send', S.reenter, 'To resume, the task calls `foo`\'s frame, which resumes `bar`\'s, which resumes `blow_up`\'s: the whole chain is **back on the stack** — `send()` goes all the way down.', K.asyncLoopSteps),
  c('reenter-unwinds-to-task', S.reenter, 'When `blow_up` raises, the exception unwinds through `bar` and `foo` for real, each adding its frame to the traceback, up to the **task**, which stores it.', K.pythonTimeline),
  c('reenter-generators', S.reenter, 'Python\'s coroutines are generators underneath: resuming the outermost one pushes the entire await chain back onto the stack.', K.asyncLoopSteps),
  c('reenter-task-stores', S.reenter, 'The traceback is built while the exception unwinds through real frames, but only up to the task, which catches and stores it.', K.twoStacksJoined),
  c('reenter-two-stacks', S.reenter, 'run_until_complete then raises it again with future.result(), so the printed traceback is two stacks joined: the module\'s call into the loop, then the task\'s coroutines.', K.twoStacksJoined),
  c('reenter-loop-frames-left-out', S.reenter, 'The loop\'s run_forever, _run_once and _run frames, on the stack at the raise, are not in it.', K.twoStacksJoined),

  c('js-trace-title', S.jsTrace, 'The trace: `at async bar`, `at async foo`', K.asyncJsTrace),
  c('js-newest-first', S.jsTrace, 'V8 prints the newest frame first.', K.asyncJsTrace),
  c('js-blowup-thrown', S.jsTrace, 'blowUp, where the error was thrown.', K.asyncJsTrace),
  c('js-async-bar', S.jsTrace, '"at async bar": the async marker.', K.asyncJsTrace),
  c('js-async-foo', S.jsTrace, '"at async foo".', K.asyncJsTrace),
  c('js-two-async', S.jsTrace, 'All three are there — but two of them are marked async.', K.asyncJsTrace),

  c('js-steps-foo', S.jsSteps, 'foo awaits the sleep and leaves the stack.', K.jsSteps),
  c('js-steps-microtask', S.jsSteps, 'The timer resolves the promise: foo resumes from a microtask, alone on the stack.', K.jsSteps),
  c('js-steps-bar-foo', S.jsSteps, 'bar, then foo, suspend.', K.jsSteps),
  c('js-steps-bar-alone', S.jsSteps, 'bar resumes: only bar is on the stack now, not foo.', K.jsSteps),
  c('js-steps-blowup-bar', S.jsSteps, 'blowUp, then bar, suspend.', K.jsSteps),
  c('js-steps-blowup-alone', S.jsSteps, 'blowUp resumes, alone.', K.jsSteps),
  c('js-steps-throws', S.jsSteps, 'It throws.', K.jsSteps),
  c('js-steps-only-blowup', S.jsSteps, 'Only blowUp is physically on the stack.', K.jsSteps),
  c('js-steps-rebuilds', S.jsSteps, 'V8 rebuilds async bar and async foo from the promise chain: blowUp\'s promise is awaited by bar, bar\'s by foo.', K.jsSteps),

  c('v8-await-returns', S.zeroCost, 'When an `async` function **awaits**, it returns: the first `await` to its caller (the module goes on at its next line), a later one to the microtask queue.', K.jsSteps),
  c('v8-frame-gone', S.zeroCost, 'Its frame is gone.', K.jsSteps),
  c('v8-captured-at-creation', S.zeroCost, 'When an `Error` is **created**, V8 captures the stack and walks the **promise chain**: each async function awaiting the current one is named — `at async bar`, `at async foo`.', K.errorCreation),
  c('v8-created-before-await', S.zeroCost, 'An `Error` created before an `await` and thrown after it shows the stack at its creation.', K.errorAtCreation),
  c('v8-combinators', S.zeroCost, 'On Node 26 it follows `await`, `Promise.all`, `any` and `allSettled`; `.then()` callbacks and timers leave no such chain.', K.combinatorsAll),
  c('v8-reconstructs', S.zeroCost, 'Python re-enters every caller; V8 doesn\'t, so it reconstructs them.', K.sideBySide),
  c('v8-combinator-versions', S.zeroCost, 'The reconstruction follows only promises an async function awaits, directly or through a combinator: Promise.all from Node 12, Promise.any on Node 16 and later (12 has no Promise.any), Promise.allSettled on Node 20 and later, not on 16.', K.all('combinators by Node version', K.promiseAll, K.combinators, K.thenAndTimers)),
  c('v8-default-node12', S.zeroCost, 'Async stack traces are on by default since Node 12: Node 10 prints only blowUp.', K.all('Node 10 vs Node ≥ 12', K.asyncJsTrace, K.asyncJsOld)),

  c('node10-blowup', S.node, 'Node 10: still only blowUp — what the 2019 posts saw.', K.asyncJsOld),
  c('node12-arrive', S.node, 'Node 12: zero-cost async stack traces arrive: async bar and async foo.', K.all('Node 10 vs Node ≥ 12', K.asyncJsTrace, K.asyncJsOld)),
  c('node16', S.node, 'Node 16,', K.asyncJsTrace),
  c('node22', S.node, '22,', K.asyncJsTrace),
  c('node26', S.node, 'and 26 keep them.', K.asyncJsTrace),

  c('breaks-through-await', S.breaks, 'Both runtimes keep the chain through await.', K.keepThroughAwait),

  c('task-title', S.task, 'Python: a task\'s live stack loses its callers', K.createTask),
  c('task-own-task', S.task, 'bar now runs blow_up in its own task, and awaits the task.', K.createTask),
  c('task-foo-suspends', S.task, 'foo awaits and suspends.', K.createTask),
  c('task-foo-resumes', S.task, 'foo resumes.', K.createTask),
  c('task-bar-foo-suspend', S.task, 'bar and foo suspend.', K.createTask),
  c('task-resumed-creates', S.task, 'Resumed: foo → bar are back on the stack; bar creates the task.', K.createTask),
  c('task-task-2', S.task, 'blow_up, in Task-2, awaits its sleep.', K.createTask),
  c('task-idle-two-tasks', S.task, 'Idle: Task-1 remembers foo → bar, Task-2 remembers blow_up.', K.createTask),
  c('task-loop-resumes', S.task, 'blow_up resumes — called by the event loop, not by bar.', K.createTask),
  c('task-print-stack', S.task, 'It raises with blow_up alone above the event loop\'s frames: print_stack shows those frames, then blow_up.', K.createTask),
  c('task-reraise', S.task, 'The error traceback still names foo and bar: Task-2 stores the exception, and await task raises it again in bar, which unwinds through bar and foo.', K.createTask),
  c('task-live-stack', S.task, 'The live stack inside the task has lost its callers.', K.createTask),

  c('gather-own-task', S.gather, 'gather runs blow_up in a task of its own, with only the loop\'s frames under it, like create_task.', K.all('gather and create_task', K.gather, K.createTask)),
  c('gather-reraise', S.gather, 'The traceback names foo and bar only because the await on gather raises the error again in bar.', K.gather),
  c('taskgroup-exception-group', S.gather, 'TaskGroup wraps it in an ExceptionGroup: the outer traceback shows foo and bar, the inner one only blow_up.', K.taskGroup),
  c('taskgroup-3.11', S.gather, 'TaskGroup is new in Python 3.11 (asyncio.run in 3.7): older versions stop with an AttributeError.', K.all('TaskGroup 3.11, asyncio.run 3.7', K.taskGroup, K.asyncRunVersions)),

  c('then-anonymous', S.then, 'A .then() chain: one anonymous frame.', K.thenAndTimers),
  c('then-no-chain', S.then, 'No names, no chain.', K.thenAndTimers),
  c('timeout-internals', S.then, 'A setTimeout callback: the callback and Node\'s timer internals.', K.thenAndTimers),
  c('timeout-gone', S.then, 'foo and bar are gone.', K.thenAndTimers),

  c('devtools-chain', S.devtools, 'DevTools shows foo → bar → blowUp for both: the debugger records where every callback was created, but only while a debugger asks for it.', K.devtoolsVsLogs),
  c('devtools-logs', S.devtools, 'Error.stack, what your logs get, has only the callback that threw.', K.devtoolsVsLogs),

  c('no-await-bar', S.noAwait, 'bar returns blowUp\'s promise without awaiting it: bar is no longer waiting, so V8 cannot name it.', K.noAwait),
  c('no-await-foo', S.noAwait, 'foo survives.', K.noAwait),
  c('promise-all-index', S.noAwait, 'Promise.all keeps the chain and adds "at async Promise.all (index 1)".', K.promiseAll),

  c('rust-polls-title', S.rustPolls, 'Async Rust: nested polls', K.rustAsync),
  c('rust-state-machine', S.rustPolls, 'Each async fn is a state machine; polling foo polls bar which polls blow_up.', K.rustAsync),
  c('rust-600ms', S.rustPolls, 'Run it: rustc compiled it once; the panic comes after 0.6 seconds.', K.errorAt600ms),

  c('rust-tb-title', S.rustTrace, 'The Rust backtrace: nested polls, named as closures', K.rustAsync),
  c('rust-innermost-first', S.rustTrace, 'Rust prints the innermost frame first.', K.rustAsync),
  c('rust-closure-mangling', S.rustTrace, 'Each async fn\'s state machine is a coroutine, which the legacy symbol mangling prints as {{closure}} (v0 mangling, on nightly: {closure#0}).', K.rustAsync),
  c('rust-panic-machinery', S.rustTrace, 'The panic machinery itself: internals.', K.rustAsync),
  c('rust-panic-fmt', S.rustTrace, 'More internals: panic_fmt.', K.rustAsync),
  c('rust-blow-up', S.rustTrace, 'blow_up\'s closure, where the panic is.', K.rustAsync),
  c('rust-bar', S.rustTrace, 'bar\'s closure, polling blow_up.', K.rustAsync),
  c('rust-foo', S.rustTrace, 'foo\'s closure, polling bar.', K.rustAsync),
  c('rust-block-on', S.rustTrace, 'block_on, our executor, polling foo.', K.rustAsync),
  c('rust-main', S.rustTrace, 'main.', K.rustAsync),
  c('rust-entry', S.rustTrace, 'The runtime\'s entry.', K.rustAsync),
  c('rust-really-on-stack', S.rustTrace, 'Like Python, the nested polls are really on the stack.', K.all('Rust and Python: the chain on the stack', K.rustAsync, K.asyncLoopSteps)),

  c('rust-spawn-title', S.rustSpawn, 'Rust: a spawned task loses its callers', K.rustSpawn),
  c('rust-spawn-gone', S.rustSpawn, 'Spawned onto the executor\'s queue, blow_up is polled by the executor loop, not by bar: foo and bar are gone from the backtrace.', K.rustSpawn),
  c('rust-spawn-vs-create-task', S.rustSpawn, 'The same story as create_task\'s live stack; but Rust\'s backtrace is that live stack, while Python\'s traceback got foo and bar back when await task raised the error again.', K.liveVsTraceback),

  c('py-3.8', S.py, '3.8: the same frames.', K.everyCPython),
  c('py-3.10', S.py, '3.10: the same.', K.everyCPython),
  c('py-3.13-colour', S.py, '3.13 also colours tracebacks on a terminal; these were recorded with PYTHON_COLORS=0, so they print plain, as in a log file.', K.noColour),
  c('py-3.11-carets', S.py, '3.11 adds carets, under one line only: return future.result().', K.everyCPython),
  c('py-3.13-carets', S.py, '3.13: the same frames again; its carets are ~~~^^, and the <module> line gets them too.', K.everyCPython),
  c('py314-title', S.py314, 'Python 3.14: the runtime shows the logical stack', K.runtimeView),
  c('py314-same-chain', S.py314, 'CPython 3.14 shows the same chain itself: from inside the program, and from another process.', K.runtimeView),
  c('py314-before', S.py314, 'Before 3.14 no public API gave that much: Task.get_stack() of a task suspended in blow_up gives foo alone.', K.getStackFooAlone),
  c('py314-agree', S.py314, 'And on every recorded 3.14 step, ours and the runtime\'s agree, but for two demos: the async generator and the generator-based coroutine at the end of this section.', K.agreeButGap),

  c('inside-prints', S.inside, 'CPython 3.14 prints the running task, Task-1, and its coroutine stack, innermost first: blow_up, bar, foo.', K.printCallGraph),
  c('inside-before-traceback', S.inside, 'The chain the traceback prints a moment later, but while the program runs.', K.printCallGraph),
  c('inside-before-314', S.inside, 'Before 3.14 there is no such function: 3.11 stops with an AttributeError.', K.callGraphNew),

  c('outside-held', S.outside, 'Run it: the program runs under CPython 3.14, and while blow_up awaits its sleep the server holds it at that step and runs pstree against its PID, from another process.', K.pstreeOutside),
  c('outside-our-chain', S.outside, 'Task-1, foo, bar, blow_up, sleep: our chain, read out of the process\'s memory.', K.pstreeOutside),

  c('who-create-task', S.whoAwaits, 'create_task: blow_up runs in Task-2, the task that lost its callers on the thread\'s stack.', K.taskLostCallers),
  c('who-task-1', S.whoAwaits, 'The runtime still knows who awaits it: Task-1, in bar, in foo.', K.awaitedByTrees),
  c('who-gather', S.whoAwaits, 'gather: both children, tick and blow_up, hang under bar.', K.awaitedByTrees),
  c('who-awaited-by', S.whoAwaits, 'This is capture_call_graph\'s awaited_by, as a tree.', K.awaitedByTrees),

  c('eager-title', S.eager, 'Eager tasks (3.12+): the callers are there, then gone', K.eager),
  c('eager-first-step', S.eager, 'Eager: blow_up\'s first step runs inside create_task, with main, foo and bar right below it on the thread\'s stack.', K.eagerSlide),
  c('eager-chain-alone', S.eager, 'Yet Task-2\'s chain is blow_up alone.', K.eagerSlide),
  c('eager-first-await', S.eager, 'Its first await, still on top of main, foo and bar: blow_up suspends, and create_task hands the task back to bar, which awaits it.', K.eagerSlide),
  c('eager-idle', S.eager, 'Idle: now the runtime knows Task-1, in bar, awaits Task-2.', K.eagerSlide),
  c('eager-resumed', S.eager, 'Resumed by the event loop: blow_up alone above the loop\'s frames.', K.eagerSlide),
  c('eager-gone', S.eager, 'foo and bar are gone.', K.eagerSlide),
  c('eager-raises', S.eager, 'It raises with blow_up alone above the loop\'s frames; the traceback still names main, foo and bar.', K.eagerSlide),

  c('gap-title', S.gap, 'What the call graph misses: an async generator', K.asyncGenGap),
  c('gap-when', S.gap, 'While blow_up awaits its sleep, main prints foo\'s task with asyncio.format_call_graph.', K.asyncGenGap),
  c('gap-one-frame', S.gap, 'CPython 3.14 prints the task and one frame: foo, at the async for on line 16.', K.asyncGenGap),
  c('gap-missing', S.gap, 'bar and blow_up are missing, though the traceback names them a moment later.', K.asyncGenGap),
  c('gap-ours', S.gap, 'Our tracer, walking the same cr_await links, stops at foo too.', K.asyncGenGap),
  c('gap-plain-await', S.gap, 'With a plain await instead, the same call prints sleep, blow_up, bar and foo.', K.asyncGenGap),
  c('gap-gen-coro', S.gap, 'A generator-based coroutine stops the graph too: in gen_coro.py bar is a @types.coroutine generator doing yield from blow_up(), and 3.14 prints foo alone, at await bar() on line 18, since a generator has no cr_await to follow; our tracer follows its gi_yieldfrom and shows bar, blow_up and sleep there.', K.genCoroGap),

  c('py-3.14', S.py, '3.14: the same again.', K.everyCPython),
  c('py-every-cpython', S.py, 'Every CPython we recorded keeps foo, bar and blow_up in the traceback; only the decoration changed.', K.everyCPython),
  c('py-3.14-adds', S.py, 'What 3.14 adds is elsewhere: the live logical stack.', K.runtimeView),

  c('all-why', S.all, 'Python and Rust keep the chain because resuming re-enters it; V8 rebuilds it from promises.', K.sideBySide),

  c('over-time-sync', S.overTime, 'Sync Python: one solid tower for the whole run.', K.syncTower),
  c('over-time-asyncio', S.overTime, 'asyncio: brief spikes at each resume; between them, only the task\'s chain remembers foo, bar and blow_up.', K.asyncioSpikes),
  c('over-time-js', S.overTime, 'JavaScript: the same spikes, each with only the resumed function on the stack.', K.jsSpikes),
  c('over-time-rust', S.overTime, 'Rust: each wake-up polls the whole chain again, so the nested polls are back on the stack.', K.rustRepolls),

  c('takeaway-await', S.takeaways, '**`await`, don\'t `.then()`**: V8 rebuilds the chain only from awaited promises.', K.awaitedOnly),
  c('takeaway-return-await', S.takeaways, '**Return `await`** in async functions that should appear in traces.', K.noAwait),
  c('takeaway-task-names', S.takeaways, '**Name your tasks** (`asyncio.create_task(…, name=…)`): the name shows in the task\'s repr and in "Task exception was never retrieved", never in a traceback.', K.neverRetrieved),
  c('takeaway-debug-mode', S.takeaways, '**asyncio debug mode** (`asyncio.run(…, debug=True)`) prints where a task was created when its exception is never retrieved.', K.neverRetrieved),
  c('takeaway-py314', S.takeaways, '**Python 3.14**: `asyncio.print_call_graph()` and `python -m asyncio pstree <pid>`.', K.runtimeView),
  c('takeaway-node', S.takeaways, '**Node**: V8\'s `--async-stack-traces` is on by default since Node 12; `async` frames count against `Error.stackTraceLimit` (at 2, `async foo` is cut).', K.nodeDefault),
]

export const PENDING: Pending[] = []

const n = (slide: string, kind: NotAClaim['kind'], ...sentences: string[]): NotAClaim[] => sentences.map(sentence => ({ slide, sentence, kind }))

export const NOT_CLAIMS: NotAClaim[] = [
  ...n(S.cover, 'title', 'Async Stack Traces', 'What sync Python, asyncio, JavaScript and Rust keep of your call stack — and why'),
  ...n(S.cover, 'deck', 'Welcome.', 'Every program in this talk runs for real: on this laptop when we click Run, and recorded from real runs for the PDF.', 'Nothing on these slides is typed in by hand.'),
  ...n(S.where, 'title', 'Where this comes from'),
  ...n(S.where, 'history', '**2019 — Nick Fitzgerald**, *Async stack traces in Rust*: the same program in async Rust and in JavaScript.', '**Three days later — "Python\'s Async Stack Traces"**: *"how does Python compare?"* — much nicer, it turned out.', '*Clear, useful stack traces.', 'Huzzah!*', 'Nick Fitzgerald\'s post compared async Rust with JavaScript.'),
  ...n(S.where, 'deck', '**Today**: we run all of them, and watch the stack step by step to see **why**.', 'Today we go one step further: not just what the traces say, but why they say it.'),
  ...n(S.program, 'title', 'One program, four runtimes'),
  ...n(S.program, 'program', '| function | sleeps | then |', '| `foo` | 0.1 s | calls `bar` |', '| `bar` | 0.2 s | calls `blow_up` |', '| `blow_up` | 0.3 s | raises |'),
  ...n(S.program, 'question', 'What does each runtime tell us?', 'The question is how much of "foo called bar called blow_up" survives into the trace.'),
  ...n('Sync Python', 'title', 'Sync Python', 'the baseline'),
  ...n('Sync Python', 'direction', 'First the baseline: plain, blocking Python.'),
  ...n(S.syncProgram, 'title', 'Sync Python: the program'),
  ...n(S.syncProgram, 'direction', 'Let\'s run it.'),
  ...n(S.syncTb, 'title', 'Sync Python: the traceback, frame by frame'),
  ...n(S.syncSteps, 'title', 'Sync Python, step by step'),
  ...n('Async Python', 'title', 'Async Python', 'asyncio'),
  ...n('Async Python', 'direction', 'Now the same program with async def and await.'),
  ...n(S.asyncProgram, 'title', 'Async Python: the program'),
  ...n(S.asyncProgram, 'program', 'This is the program exactly as the 2019 post had it: a new event loop and run_until_complete.'),
  ...n(S.asyncRun, 'title', 'Or, as we write it today: `asyncio.run`'),
  ...n(S.asyncTb, 'title', 'Async Python: the traceback, frame by frame'),
  ...n(S.syncVsAsync, 'title', 'Sync vs async Python: what asyncio adds'),
  ...n(S.syncVsAsync, 'direction', 'Side by side.'),
  ...n(S.why, 'title', 'Why it works', 'the async Python run, step by step'),
  ...n(S.why, 'question', 'How can asyncio keep foo and bar when they were suspended for most of the run?'),
  ...n(S.why, 'direction', 'Let\'s watch the stack.'),
  ...n(S.asyncSteps, 'title', 'Async Python, step by step'),
  ...n(S.asyncSteps, 'deck', 'The thread stack on the left, the task\'s await chain on the right.'),
  ...n(S.reenter, 'direction', 'This is the whole trick.'),
  ...n(S.js, 'title', 'Async JavaScript', 'Node.js / V8'),
  ...n(S.js, 'history', 'The post that started this compared Rust with JavaScript.'),
  ...n(S.js, 'direction', 'Here\'s the JavaScript.'),
  ...n(S.jsProgram, 'title', 'Async JavaScript: the program'),
  ...n(S.jsProgram, 'program', 'A sleep helper around setTimeout, then the same three async functions.'),
  ...n(S.jsProgram, 'direction', 'Run it under Node.'),
  ...n(S.jsTrace, 'question', 'Why?'),
  ...n(S.jsSteps, 'title', 'Async JavaScript, step by step'),
  ...n(S.zeroCost, 'title', 'Zero-cost async stack traces'),
  ...n(S.zeroCost, 'direction', 'Keep that in mind for the next section.'),
  ...n(S.node, 'title', 'Then and now: Node 8 → 26'),
  ...n(S.node, 'deck', 'The same program on Node 8 through 26, one column per click.'),
  ...n(S.breaks, 'title', 'Where it breaks'),
  ...n(S.breaks, 'direction', 'Let\'s break it.'),
  ...n(S.task, 'deck', 'Idle.'),
  ...n(S.gather, 'title', 'Python: `gather` and `TaskGroup`'),
  ...n(S.then, 'title', 'JavaScript: `.then()` and `setTimeout`'),
  ...n(S.devtools, 'title', 'What DevTools shows, what your logs get'),
  ...n(S.noAwait, 'title', 'JavaScript: a missing `await`, and `Promise.all`'),
  ...n(S.rust, 'title', 'Async Rust', 'where it started'),
  ...n(S.rust, 'history', 'And finally the subject of the original post: async Rust.'),
  ...n(S.rustPolls, 'program', 'Only the standard library: a tiny block_on executor and a thread-based sleep.'),
  ...n(S.thenNow, 'title', 'Then and now'),
  ...n(S.thenNow, 'deck', 'Runtimes change.', 'Here is the same program across every version we recorded.'),
  ...n(S.overTime, 'title', 'The stack over time'),
  ...n(S.overTime, 'deck', 'Time runs left to right, the thread\'s stack grows upwards: one bar per frame, from when it went on the stack to when it left.'),
  ...n(S.py314, 'deck', 'Every logical chain you saw on the Python slides came from our tracer walking the coroutines\' cr_await links.'),
  ...n(S.inside, 'title', 'From inside: `asyncio.print_call_graph()`'),
  ...n(S.inside, 'program', 'blow_up calls asyncio.print_call_graph() just before it raises.'),
  ...n(S.outside, 'title', 'From outside: `pstree`'),
  ...n(S.outside, 'deck', 'Where that cannot run (no 3.14, ptrace not allowed, macOS without root) this is the recorded tree, and it says so.'),
  ...n(S.whoAwaits, 'title', 'Tasks: who awaits whom'),
  ...n(S.eager, 'program', 'main sets asyncio.eager_task_factory; bar creates the task for blow_up.'),
  ...n(S.gap, 'program', 'bar is now an async generator: foo iterates it with async for, and bar awaits blow_up.'),
  ...n(S.py, 'title', 'Python 3.6 → 3.14'),
  ...n(S.py, 'deck', 'One column per click.'),
  ...n(S.all, 'title', 'All the traces side by side'),
  ...n(S.all, 'deck', 'Sync Python, asyncio, V8 and Rust.'),
  ...n(S.takeaways, 'title', 'Takeaways for Monday'),
  // "Six": counted against the slide's bullets by tests/unit/claims.test.ts.
  ...n(S.takeaways, 'deck', 'Six things to use on Monday.'),
  ...n(S.takeaways, 'opinion', 'The pattern behind all of them: keep the await chain intact, and where it breaks, leave the runtime something to tell you: a task name, a creation stack.'),
  ...n(S.end, 'title', 'Thank you'),
  ...n(S.end, 'deck', 'The code, the recordings and the PDF handout: this deck\'s repository — `npm run export` makes `exports/handout.pdf`.', 'Everything you saw is in the repository: the demos, the engine that recorded them, and the handout with every trace in full.'),
]
