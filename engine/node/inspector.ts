/**
 * Runs a JavaScript demo under Node's own inspector, driven from this (the parent)
 * process, and records a step at every pause.
 *
 * - `node --inspect-wait=127.0.0.1:0 <demo>` (or what that Node has: inspectOption) through
 *   spawnLimited: the inspector listens on loopback only, on a port of its own choosing,
 *   and goes away with the process.
 * - Before the program runs: line breakpoints (by URL) on the demo's statement lines. At
 *   the first pause: a breakpoint on every possible break location of the program's own
 *   scripts, less the few where pausing would change what the program prints (source.ts),
 *   and on the line of node's timers module that calls a timer's callback (Node 8-12; later
 *   Node loads that module from a startup snapshot where breakpoints do not resolve).
 * - No pause on exceptions: the inspector describes the exception of such a pause, which
 *   formats its stack early, and Node then prints a different header for an unhandled
 *   rejection (the `triggerUncaughtException` line instead of the program's `throw`).
 *   `raise` steps come from the `throw` statements, the exception from what Node printed.
 * - Time: every breakpoint's condition reads the program's `process.hrtime()` the moment it
 *   is hit (and lets the pause happen); the clock is read again just before resuming. The
 *   paused spans are taken out, so step times are the program's own, whatever the transport.
 *
 * Transport, Node 18.19+ / 20.6+ running an ES module: the relay. The program is started
 * with `--import relay/preload.mjs`, which starts a worker thread that attaches to the
 * program's own inspector (`connectToMainThread`) and relays the protocol as JSON lines
 * over a socket pair (fd 3): no TCP, no port, no stalls; the preload's top-level await holds
 * the demo until the breakpoints are set. (relay/worker.mjs says how it keeps Node 26 from
 * holding a message back.) Everywhere else, the WebSocket transport below.
 *
 * WebSocket transport: Node's inspector does not disable Nagle's algorithm, so when it writes two
 * messages back to back the second waits for our delayed ACK (40 ms), and the kernel delays
 * ACKs on a socket we have just sent on. Two WebSocket sessions keep that off the pauses
 * (Node 10+): `events` has Runtime/Debugger enabled and sends only to set breakpoints
 * (before the program runs and at its first pause: after that, one pause waits ≤ 40 ms
 * for the kernel to leave that mode), so its events are acknowledged at once;
 * `commands` has nothing enabled (no events) and at most one request in flight (read
 * the clock, resume). Node 8 allows one session: the run works, slowly (said in the
 * stepsNote). (A third session for the breakpoints gains nothing — it gets events too —
 * and Node 10 then now and then dies of SIGSEGV when the sessions leave at exit.)
 */
import type { Demo } from '../demos'
import type { OutputChunk, Step } from '../schema'
import { mergeChunks, spawnLimited, type LimitedSpawnResult } from '../spawn'
import { portablePaths } from '../portable'
import { CdpSession } from './cdp'
import { inspectorLineBudget, InspectorLineFilter } from './stderr-filter'
import { planBreakpoints, statementLines } from './source'
import { StepBuilder, type ScriptInfo, type TimerInfo } from './steps'
import { isUserFile } from './traceback'
import type { V8BreakLocation, V8PausedEvent, V8ScriptParsed } from './v8types'

export const DEFAULT_MAX_STEPS = 5000

export type InspectOption = '--inspect-wait' | '--inspect-brk'

/** A file: URL, as `--import` reads its argument like an `import` specifier (a `#` in a path would not survive). */
const RELAY_PRELOAD = new URL('./relay/preload.mjs', import.meta.url).href

/**
 * Whether this Node can run the demo under the relay: `--import` (18.19+, 20.6+) and an ES
 * module (a CommonJS main script would then be loaded through the ES module loader, and its
 * stack traces would show that).
 */
export function canRelay(version: string, isCommonJs: boolean): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  return !isCommonJs && (major > 20 || (major === 20 && minor >= 6) || (major === 18 && minor >= 19))
}

/**
 * The inspector option for this Node: `--inspect-wait` (Node 20.15+, 22.2+) waits for the
 * debugger and then starts the program exactly as a plain run would; before that there is
 * only `--inspect-brk`, which runs a CommonJS main script through a wrapper that pauses on
 * its first line, and that wrapper shows in the script's stack traces (`Module._compile`
 * at another line). ES modules are not affected. (`--inspect-brk-node` takes the same
 * wrapper.)
 */
export function inspectOption(version: string): InspectOption {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 2) || (major === 20 && minor >= 15) ? '--inspect-wait' : '--inspect-brk'
}

export interface TraceRunOptions {
  executable: string
  /** Options before the script (`--experimental-modules` on old Node for .mjs). */
  flags: string[]
  /** How the inspector is turned on: `--inspect-wait` or `--inspect-brk` (see inspectOption). */
  inspect?: InspectOption
  /** Drive the inspector through the relay worker instead of a WebSocket (see canRelay). */
  relay?: boolean
  demo: Demo
  cwd: string
  timeoutMs?: number
  outputCapBytes?: number
  signal?: AbortSignal
  maxSteps?: number
  /** V8 of Node 8: an async function passes its return location when it suspends. */
  awaitPausesAtReturn?: boolean
  onOutput?: (chunk: OutputChunk) => void
  onStep?: (step: Step) => void
}

export interface TraceRunResult {
  /** The run, with the inspector's own stderr lines taken out of `output`. */
  run: LimitedSpawnResult
  steps: Step[]
  /** Why the steps are partial or imprecise, if they are. */
  notes: string[]
  /** Inspector sessions used: 2 (WebSocket, Node 10+), 1 (WebSocket, Node 8), 1 (the relay). */
  sessions: number
  transport: 'relay' | 'websocket'
  /** Pauses handled, and the wall time spent paused (ms). */
  pauses: number
  pausedMs: number
}

/**
 * The program's clock is read by the breakpoint's own condition, the moment the breakpoint
 * is hit — not when the pause reaches us — so the transport's delays never count as the
 * program's time. The condition reaches the recorder through an object literal, which no
 * variable of the program can shadow, and always lets the pause happen.
 */
const RECORDER_KEY = '__nodeTraceHit__'
/** The snapshot a pause takes on its top call frame: what Error.stack would say there, then the clock (see errorStackSnapshot). */
const SNAPSHOT_KEY = '__nodeTraceSnap__'
const SNAPSHOT_EXPRESSION = `({}).constructor.${SNAPSHOT_KEY}()`
const HIT_CONDITION = `(function (o) { var h = o.${RECORDER_KEY}; return h ? h() : true })(({}).constructor)`
const INSTALL_RECORDER = `(function () {
  var hrtime = process.hrtime, last = null
  function ms() { var t = hrtime(); return t[0] * 1e3 + t[1] / 1e6 }
  function hit() { last = ms(); return true }
  function read() { var at = last; last = null; return [at, ms()] }
  var E = Error, capture = Error.captureStackTrace, own = Object.prototype.hasOwnProperty
  function snap() {
    var text = null, limit = E.stackTraceLimit
    if (typeof limit === 'number' && limit > 0 && typeof capture === 'function') {
      var hadPrepare = own.call(E, 'prepareStackTrace'), prepare = E.prepareStackTrace, holder = {}
      try {
        E.stackTraceLimit = limit + 1
        if (hadPrepare) E.prepareStackTrace = undefined
        capture(holder, snap)
        text = String(holder.stack)
      } catch (e) { text = null }
      finally {
        E.stackTraceLimit = limit
        if (hadPrepare) E.prepareStackTrace = prepare
      }
    }
    var clock = read()
    return [clock[0], clock[1], text, typeof limit === 'number' ? limit : null]
  }
  Object.defineProperty(Object, '${RECORDER_KEY}', { value: hit, configurable: true, enumerable: false, writable: false })
  Object.defineProperty(Object, '${SNAPSHOT_KEY}', { value: snap, configurable: true, enumerable: false, writable: false })
  return read
})()`
/** Node's timers module, by version: `timers.js` (8, 10), `internal/timers.js` (10-14), `node:internal/timers` (16+). */
const TIMERS_URL = /^(?:node:internal\/timers|internal\/timers\.js|timers\.js)$/
/** The line calling a timer's callback: `timer._onTimeout()`, `ReflectApply(timer._onTimeout, timer, args)`. */
const TIMER_CALL = /(\w+)\._onTimeout(?:\(|,\s*\1\b)/

export async function traceRun(options: TraceRunOptions): Promise<TraceRunResult> {
  const { demo } = options
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS
  const notes: string[] = []
  const steps: Step[] = []
  const output: OutputChunk[] = []

  // ---- the process, its output, the inspector's URL ----
  /** The start of stderr, until the inspector has said where it listens. */
  let head: string | null = ''
  let resolveUrl!: (url: string | null) => void
  const urlFound = new Promise<string | null>(resolve => (resolveUrl = resolve))
  let finish = () => {}
  /** The program ended by itself (its context went away), as opposed to being killed. */
  let finishedByProgram = false
  const filter = new InspectorLineFilter(inspectorLineBudget(2), (kind) => {
    if (kind === 'waiting') {
      finishedByProgram = true
      finish()
    }
  })
  let lastAtMs = 0
  const keep = (stream: 'stdout' | 'stderr', atMs: number, text: string) => {
    if (!text)
      return
    const chunk: OutputChunk = { stream, atMs, text }
    output.push(chunk)
    options.onOutput?.(chunk)
  }
  const relay = options.relay ?? false
  const spawned = spawnLimited({
    command: options.executable,
    args: relay
      ? [...options.flags, '--import', RELAY_PRELOAD, demo.absPath]
      : [...options.flags, `${options.inspect ?? '--inspect-brk'}=127.0.0.1:0`, demo.absPath],
    env: relay ? { TRACE_RELAY_FD: '3' } : undefined,
    extraPipes: relay ? 1 : 0,
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    outputCapBytes: options.outputCapBytes,
    signal: options.signal,
    onOutput: (chunk) => {
      lastAtMs = chunk.atMs
      if (chunk.stream === 'stdout')
        return keep('stdout', chunk.atMs, chunk.text)
      if (head !== null) {
        head += chunk.text
        const match = /Debugger listening on (ws:\/\/\S+)\r?\n/.exec(head)
        if (match) {
          resolveUrl(match[1]!)
          head = null
        }
        else if (head.length > 64 * 1024) {
          head = null
        }
      }
      keep('stderr', chunk.atMs, filter.push(chunk.text))
    },
  })
  void spawned.done.then(() => resolveUrl(null))

  // ---- the inspector sessions ----
  let events: CdpSession | null = null
  let commands: CdpSession | null = null
  let finished = false
  /** Stops connecting to the inspector when the run ends. */
  const connecting = new AbortController()
  finish = () => {
    if (finished)
      return
    finished = true
    connecting.abort()
    const sessions = [...new Set([events, commands])]
    // A program that ended by itself waits for its debugger to leave. Old Node (10-16)
    // sometimes dies of SIGSEGV when the connection drops with its debugger still on, so
    // the debugger is switched off first (answered, or given up after a moment).
    const leave = finishedByProgram
      ? Promise.all(sessions.map(session => session ? withinMs(session.send('Debugger.disable').catch(() => undefined), 300) : undefined))
      : Promise.resolve()
    void leave.then(() => {
      for (const session of sessions)
        session?.close()
    })
  }
  void spawned.done.then(() => finish())

  const scripts = new Map<string, ScriptInfo>()
  const timerLines = new Map<string, string>() // `scriptId:line` → the timer variable there
  const pending = new Set<Promise<unknown>>()
  let resolveBreakpointsReady!: () => void
  const breakpointsReady = new Promise<void>(resolve => (resolveBreakpointsReady = resolve))
  let sessions = 0
  /** Requests never stall: the relay, or two WebSocket sessions (see the header). */
  let stallFree = false
  let pauses = 0
  let pausedMs = 0

  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: Error) => {
      if (!finished)
        notes.push(`Inspector setup failed: ${error.message}.`)
    })
    pending.add(settled)
    void settled.then(() => pending.delete(settled))
  }
  const settle = async () => {
    while (pending.size > 0)
      await Promise.all([...pending])
  }
  /** Breakpoint work waits for the setup's Debugger.enable. */
  const sendBreakpoints = async <T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> => {
    await breakpointsReady
    return events!.send<T>(method, params)
  }

  const builder = new StepBuilder(
    {
      script: id => scripts.get(id),
      relativize: url => portablePaths(url, demo),
      sourceLine: (url, line) => {
        if (line === null)
          return null
        for (const script of scripts.values()) {
          if (script.url === url && script.lines)
            return script.lines[line - 1]?.trim() ?? null
        }
        return null
      },
    },
    (draft) => {
      const step: Step = { index: steps.length, ...draft }
      steps.push(step)
      options.onStep?.(step)
    },
    { awaitPausesAtReturn: options.awaitPausesAtReturn },
  )

  const isDemoUrl = (url: string) => url === `file://${demo.absPath}` || url === demo.absPath

  const onScriptParsed = (params: V8ScriptParsed) => {
    const info: ScriptInfo = {
      scriptId: params.scriptId,
      url: params.url,
      isUser: isUserFile(params.url),
      lines: null,
      locations: null,
      safeReturns: new Set(),
    }
    scripts.set(params.scriptId, info)
    if (info.isUser) {
      track((async () => {
        const source = isDemoUrl(params.url)
          ? demo.source
          : (await sendBreakpoints<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: params.scriptId })).scriptSource
        info.lines = source.split('\n')
        const { locations } = await sendBreakpoints<{ locations: V8BreakLocation[] }>('Debugger.getPossibleBreakpoints', {
          start: { scriptId: params.scriptId, lineNumber: 0, columnNumber: 0 },
        })
        info.locations = locations
        const plan = planBreakpoints(source, locations)
        info.safeReturns = plan.safeReturns
        // Sent in one go: their answers come in one burst (one ACK delay at most, see the header).
        await Promise.all(plan.locations.map(location =>
          sendBreakpoints('Debugger.setBreakpoint', { location: { scriptId: location.scriptId, lineNumber: location.lineNumber, columnNumber: location.columnNumber }, condition: HIT_CONDITION })
            .catch(() => undefined), // "already exists" and the like: the location is covered
        ))
      })())
    }
    else if (TIMERS_URL.test(params.url)) {
      track((async () => {
        const { scriptSource } = await sendBreakpoints<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: params.scriptId })
        const lines = scriptSource.split('\n')
        let wanted = 0
        await Promise.all(lines.map(async (line, lineNumber) => {
          const match = TIMER_CALL.exec(line)
          if (!match || /^\s*\/\//.test(line))
            return
          wanted++
          const result = await sendBreakpoints<{ actualLocation: V8BreakLocation }>('Debugger.setBreakpoint', {
            location: { scriptId: params.scriptId, lineNumber, columnNumber: line.search(/\S/) },
            condition: HIT_CONDITION,
          }).catch(() => null)
          if (result)
            timerLines.set(`${params.scriptId}:${result.actualLocation.lineNumber}`, match[1]!)
        }))
        if (wanted > 0 && timerLines.size === 0 && /\bset(Timeout|Interval)\b/.test(demo.source))
          notes.push(`This Node.js does not let the debugger stop in its timers module (${params.url}): a timer shows as a step only when its callback is a function of the program.`)
      })())
    }
  }

  // ---- pauses ----
  let reader: string | null = null
  /** The recorder installed before the program runs (null where it cannot be yet). */
  let recorderInstalled: Promise<string | null> = Promise.resolve(null)
  let origin: number | null = null
  let pausedTotal = 0
  let first = true
  let breakpointsOff = false
  let previousWasTimer = false
  /** The recorder's reading function, or null where `process` is not there yet (Node 8-12 before the main script). */
  const installRecorder = async (): Promise<string | null> => {
    const result = await commands!.send<{ result: { objectId?: string }, exceptionDetails?: unknown }>('Runtime.evaluate', { expression: INSTALL_RECORDER, objectGroup: 'node-trace' })
    return result.exceptionDetails ? null : result.result.objectId ?? null
  }
  /** [the program's clock when the breakpoint was hit (null if the pause was not a hit), now]. */
  const readClock = async (): Promise<[number | null, number]> => {
    const result = await commands!.send<{ result: { value?: unknown }, exceptionDetails?: unknown }>('Runtime.callFunctionOn', {
      objectId: reader,
      functionDeclaration: 'function () { return this() }',
      returnByValue: true,
    })
    const value = result.result.value
    if (!Array.isArray(value) || typeof value[1] !== 'number')
      throw new Error('the clock recorder gave no reading')
    return [typeof value[0] === 'number' ? value[0] : null, value[1]]
  }
  /**
   * The clock as readClock reads it, plus what `Error.stack` would print if an Error were
   * created in the paused frame (see errorStackSnapshot); null where the snapshot could not
   * be taken (the recorder predates the frame's context): the caller reads the clock alone.
   */
  const snapshot = async (callFrameId: string): Promise<{ clock: [number | null, number], stack: string | null, limit: number | null } | null> => {
    const result = await commands!.send<{ result: { value?: unknown }, exceptionDetails?: unknown }>('Debugger.evaluateOnCallFrame', {
      callFrameId,
      expression: SNAPSHOT_EXPRESSION,
      returnByValue: true,
      silent: true,
    }).catch(() => null)
    const value = result?.result.value
    if (!result || result.exceptionDetails || !Array.isArray(value) || typeof value[1] !== 'number')
      return null
    return {
      clock: [typeof value[0] === 'number' ? value[0] : null, value[1]],
      stack: typeof value[2] === 'string' ? value[2] : null,
      limit: typeof value[3] === 'number' ? value[3] : null,
    }
  }
  const timerInfo = async (callFrameId: string, variable: string): Promise<TimerInfo> => {
    const expression = `(function (t) { var f = t && t._onTimeout; return { callback: typeof f === 'function' ? f.name : '', delayMs: t && typeof t._idleTimeout === 'number' && t._idleTimeout >= 0 ? t._idleTimeout : null, repeat: !!(t && t._repeat) } })(${variable})`
    const result = await commands!.send<{ result: { value?: TimerInfo } }>('Debugger.evaluateOnCallFrame', {
      callFrameId,
      expression,
      returnByValue: true,
      silent: true,
    }).catch(() => null)
    return result?.result.value ?? { callback: '', delayMs: null, repeat: false }
  }

  const onPaused = async (event: V8PausedEvent) => {
    if (finished)
      return
    await settle()
    pauses++
    const top = event.callFrames[0]
    reader ??= await recorderInstalled
    reader ??= await installRecorder()
    if (reader === null) {
      // A stop in Node's own startup, before `process` exists: nothing of the program has
      // run, there is no clock to read yet.
      if (top && !scripts.get(top.location.scriptId)?.isUser) {
        await commands!.send('Debugger.resume').catch(() => undefined)
        return
      }
      throw new Error('could not install the clock recorder')
    }
    const timerVariable = top ? timerLines.get(`${top.location.scriptId}:${top.location.lineNumber}`) : undefined
    let timer = timerVariable && top ? await timerInfo(top.callFrameId, timerVariable) : null
    // Where node's timers module takes no breakpoint, a callback of the program's own shows
    // the timer firing: its caller is the timers module's listOnTimeout.
    const caller = event.callFrames[1]
    let timerCallback = false
    if (!timer && timerLines.size === 0 && top && caller?.functionName === 'listOnTimeout' && scripts.get(top.location.scriptId)?.isUser && !previousWasTimer) {
      timer = await timerInfo(caller.callFrameId, 'timer')
      timerCallback = true
    }
    previousWasTimer = timer !== null
    const isFirst = first
    first = false
    await settle()
    if (steps.length >= maxSteps && !breakpointsOff) {
      breakpointsOff = true
      notes.push(`Recording stopped after ${maxSteps} steps; the program ran on without pauses.`)
      await sendBreakpoints('Debugger.setBreakpointsActive', { active: false })
    }
    // The program may end as soon as it is resumed, and its connections close before the
    // answer to `resume` arrives: the pause is recorded all the same.
    const resume = () => commands!.send('Debugger.resume').catch((error: Error) => {
      if (!commands!.closed)
        throw error
    })
    let clock: [number | null, number]
    let errorStack: { stack: string | null, limit: number | null } | null = null
    // The snapshot reads the clock too: no extra request per pause.
    const takeSnapshot = async (): Promise<[number | null, number]> => {
      const taken = top ? await snapshot(top.callFrameId) : null
      if (taken) {
        errorStack = { stack: taken.stack, limit: taken.limit }
        return taken.clock
      }
      return readClock()
    }
    if (stallFree) {
      // One request at a time on the commands session (see cdp.ts).
      clock = await takeSnapshot()
      await resume()
    }
    else {
      // One session: its answers come late (Nagle), so the clock is read and the program
      // resumed in one go, and the clock's reading is the moment of resuming. (The session
      // answers in order: the snapshot is taken before the resume is handled.)
      ;[clock] = await Promise.all([takeSnapshot(), resume()])
    }
    const [hitAt, resumeAt] = clock
    const pausedAt = hitAt ?? resumeAt
    origin ??= pausedAt
    const atMs = pausedAt - origin - pausedTotal
    pausedTotal += resumeAt - pausedAt
    pausedMs += resumeAt - pausedAt
    // Built after resuming: the program does not wait for it.
    if (steps.length < maxSteps)
      builder.onPause({ atMs, event, timer, timerCallback, first: isFirst, errorStack })
  }

  let pauseQueue: Promise<void> = Promise.resolve()
  /** The first failure while handling pauses; reported unless the run was stopped from outside. */
  let traceError: string | null = null
  let spawnedDone = false
  void spawned.done.then(() => (spawnedDone = true))
  // The relay's socket pair is there from the start; a WebSocket needs the URL Node prints.
  const url = relay ? null : await urlFound
  if ((relay || url) && !finished) {
    try {
      if (relay) {
        events = commands = CdpSession.overStream(spawned.extra[0]!, 'relay')
        sessions = 1
        stallFree = true
      }
      else {
        events = await CdpSession.connect(url!, 'events', { signal: connecting.signal })
        sessions = 1
        try {
          commands = await CdpSession.connect(url!, 'commands', { serial: true, signal: connecting.signal })
          sessions = 2
          stallFree = true
        }
        catch (error) {
          if (finished)
            throw error
          // Node 8 takes one session (HTTP 400 for a second one).
          commands = events
          notes.push('This Node.js accepts only one inspector connection, so every pause lasts about 40 ms (the inspector\'s delayed TCP acknowledgements): the run is slow, and as timers go on counting while the program is paused, a timer fires early in program time by the pauses taken while it waited.')
        }
      }
      events.onEvent((message) => {
        switch (message.method) {
          case 'Debugger.scriptParsed':
            onScriptParsed(message.params as unknown as V8ScriptParsed)
            break
          case 'Debugger.paused':
            pauseQueue = pauseQueue.then(() => onPaused(message.params as unknown as V8PausedEvent)).catch((error: Error) => {
              traceError ??= error.message
            })
            break
          case 'Runtime.executionContextDestroyed':
            finishedByProgram = true
            finish()
            break
        }
      })
      if (finished) {
        finish()
      }
      else {
        // The clock recorder first, so that the first breakpoint hit is timed. The line
        // breakpoints by URL catch the program's first statements whether or not the
        // runtime stops at the start; the pause that follows sets all the others. Sent in
        // one go: Node 8 answers nothing before runIfWaitingForDebugger.
        const installed = installRecorder()
        recorderInstalled = installed.catch(() => null)
        if (stallFree)
          await recorderInstalled
        const urlRegex = `^(file://)?${escapeRegExp(demo.absPath)}$`
        const setup = [
          installed,
          events.send('Runtime.enable'),
          events.send('Debugger.enable'),
          events.send('Debugger.setAsyncCallStackDepth', { maxDepth: 32 }),
          ...statementLines(demo.source).map(lineNumber =>
            events!.send('Debugger.setBreakpointByUrl', { urlRegex, lineNumber, columnNumber: 0, condition: HIT_CONDITION }).catch(() => undefined)),
          events.send('Runtime.runIfWaitingForDebugger'),
        ]
        resolveBreakpointsReady()
        await Promise.all(setup)
      }
    }
    catch (error) {
      if (!finished && !spawnedDone) {
        notes.push(`Could not trace: ${(error as Error).message}.`)
        // Held for its debugger, the program would wait for one until its timeout: it ends now.
        if (!events) {
          notes.push('The program, held for its debugger, never ran.')
          spawned.child.kill('SIGKILL')
        }
      }
      finish()
    }
  }
  else if (!relay && !url) {
    notes.push('Node\'s inspector did not start, so there are no steps.')
  }

  const run = await spawned.done
  finish()
  await pauseQueue
  builder.finish()
  // A killed program (timeout, output cap, cancel) takes its connections down mid-pause: not a tracing failure.
  if (traceError && !finishedByProgram && !run.timedOut && !run.truncated && !run.cancelled && run.signal === null)
    notes.push(`Tracing stopped early: ${traceError}.`)
  if (run.signal && finishedByProgram && !run.timedOut && !run.truncated && !run.cancelled)
    notes.push(`Node.js died of ${run.signal} while the debugger was leaving, after the program had finished: the exit code is lost.`)
  const rest = filter.flush()
  if (rest)
    keep('stderr', lastAtMs, rest)

  return {
    run: { ...run, output: mergeChunks(output) },
    steps,
    notes,
    sessions,
    transport: relay ? 'relay' : 'websocket',
    pauses,
    pausedMs: Math.round(pausedMs * 100) / 100,
  }
}

/** `promise`, or undefined after `ms`. */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const result = await Promise.race([promise, new Promise<undefined>(resolve => { timer = setTimeout(() => resolve(undefined), ms) })])
  clearTimeout(timer)
  return result
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

