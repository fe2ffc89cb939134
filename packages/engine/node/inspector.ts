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
import { mergeChunks, spawnLimited, type LimitedSpawn, type LimitedSpawnResult } from '../spawn'
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

/**
 * Runs the demo under the inspector and records its steps. In order: the process (and the
 * inspector's URL in its stderr), the inspector sessions, the recorder and breakpoints set
 * before the program runs, then events until the process ends, and the result.
 */
export async function traceRun(options: TraceRunOptions): Promise<TraceRunResult> {
  const run = new TraceRun(options)
  await run.attach()
  return run.result()
}

type PausedFrame = V8PausedEvent['callFrames'][number]
type Clock = [number | null, number]
type ErrorStackSnapshot = { stack: string | null, limit: number | null }

/** One traced run: the process, its inspector sessions, and what the pauses have recorded so far. */
class TraceRun {
  private readonly demo: Demo
  private readonly maxSteps: number
  private readonly relay: boolean
  private readonly notes: string[] = []
  private readonly steps: Step[] = []
  private readonly output: OutputChunk[] = []

  // ---- the process, its output, the inspector's URL ----
  /** The start of stderr, until the inspector has said where it listens. */
  private head: string | null = ''
  private resolveUrl!: (url: string | null) => void
  private readonly urlFound = new Promise<string | null>(resolve => (this.resolveUrl = resolve))
  /** The program ended by itself (its context went away), as opposed to being killed. */
  private finishedByProgram = false
  private readonly filter = new InspectorLineFilter(inspectorLineBudget(2), (kind) => {
    if (kind === 'waiting') {
      this.finishedByProgram = true
      this.finish()
    }
  })
  private lastAtMs = 0
  private readonly spawned: LimitedSpawn
  private spawnedDone = false

  // ---- the inspector sessions ----
  private events: CdpSession | null = null
  private commands: CdpSession | null = null
  private finished = false
  /** Stops connecting to the inspector when the run ends. */
  private readonly connecting = new AbortController()
  private sessions = 0
  /** Requests never stall: the relay, or two WebSocket sessions (see the header). */
  private stallFree = false

  // ---- scripts and breakpoints ----
  private readonly scripts = new Map<string, ScriptInfo>()
  private readonly timerLines = new Map<string, string>() // `scriptId:line` → the timer variable there
  private readonly pending = new Set<Promise<unknown>>()
  private resolveBreakpointsReady!: () => void
  private readonly breakpointsReady = new Promise<void>(resolve => (this.resolveBreakpointsReady = resolve))

  // ---- pauses ----
  private readonly builder: StepBuilder
  private pauses = 0
  private pausedMs = 0
  private reader: string | null = null
  /** The recorder installed before the program runs (null where it cannot be yet). */
  private recorderInstalled: Promise<string | null> = Promise.resolve(null)
  private origin: number | null = null
  private pausedTotal = 0
  private first = true
  private breakpointsOff = false
  private previousWasTimer = false
  private pauseQueue: Promise<void> = Promise.resolve()
  /** The first failure while handling pauses; reported unless the run was stopped from outside. */
  private traceError: string | null = null

  constructor(private readonly options: TraceRunOptions) {
    this.demo = options.demo
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS
    this.relay = options.relay ?? false
    this.spawned = this.spawn()
    void this.spawned.done.then(() => this.resolveUrl(null))
    void this.spawned.done.then(() => this.finish())
    this.builder = this.stepBuilder()
    void this.spawned.done.then(() => (this.spawnedDone = true))
  }

  // ---- the process ----

  /** Node under the inspector (or the relay's preload), its stdout kept, its stderr read for the inspector's URL and filtered of the inspector's lines. */
  private spawn(): LimitedSpawn {
    const { options, demo, relay } = this
    return spawnLimited({
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
        this.lastAtMs = chunk.atMs
        if (chunk.stream === 'stdout')
          return this.keep('stdout', chunk.atMs, chunk.text)
        this.readUrl(chunk.text)
        this.keep('stderr', chunk.atMs, this.filter.push(chunk.text))
      },
    })
  }

  /** The WebSocket URL from the start of stderr ("Debugger listening on ws://…"), looked for in the first 64 KiB only. */
  private readUrl(text: string): void {
    if (this.head === null)
      return
    this.head += text
    const match = /Debugger listening on (ws:\/\/\S+)\r?\n/.exec(this.head)
    if (match) {
      this.resolveUrl(match[1]!)
      this.head = null
    }
    else if (this.head.length > 64 * 1024) {
      this.head = null
    }
  }

  private keep(stream: 'stdout' | 'stderr', atMs: number, text: string): void {
    if (!text)
      return
    const chunk: OutputChunk = { stream, atMs, text }
    this.output.push(chunk)
    this.options.onOutput?.(chunk)
  }

  /** The run is over (the process ended, or the program's context went away): the sessions leave. */
  private finish(): void {
    if (this.finished)
      return
    this.finished = true
    this.connecting.abort()
    const sessions = [...new Set([this.events, this.commands])]
    // A program that ended by itself waits for its debugger to leave. Old Node (10-16)
    // sometimes dies of SIGSEGV when the connection drops with its debugger still on, so
    // the debugger is switched off first (answered, or given up after a moment).
    const leave = this.finishedByProgram
      ? Promise.all(sessions.map(session => session ? withinMs(session.send('Debugger.disable').catch(() => undefined), 300) : undefined))
      : Promise.resolve()
    void leave.then(() => {
      for (const session of sessions)
        session?.close()
    })
  }

  // ---- connecting, and the setup before the program runs ----

  /** Connects and sets up; a failure becomes a note, and the run goes on to its end. */
  async attach(): Promise<void> {
    const { relay } = this
    // The relay's socket pair is there from the start; a WebSocket needs the URL Node prints.
    const url = relay ? null : await this.urlFound
    if ((relay || url) && !this.finished) {
      try {
        const events = await this.openSessions(url)
        events.onEvent(message => this.onEvent(message.method, message.params))
        if (this.finished)
          this.finish()
        else
          await this.startProgram(events)
      }
      catch (error) {
        if (!this.finished && !this.spawnedDone) {
          this.notes.push(`Could not trace: ${(error as Error).message}.`)
          // Held for its debugger, the program would wait for one until its timeout: it ends now.
          if (!this.events) {
            this.notes.push('The program, held for its debugger, never ran.')
            this.spawned.child.kill('SIGKILL')
          }
        }
        this.finish()
      }
    }
    else if (!relay && !url) {
      this.notes.push('Node\'s inspector did not start, so there are no steps.')
    }
  }

  /** The relay's one session, or the WebSocket's `events` and `commands` sessions (one on Node 8). Returns `events`. */
  private async openSessions(url: string | null): Promise<CdpSession> {
    if (this.relay) {
      const session = CdpSession.overStream(this.spawned.extra[0]!, 'relay')
      this.events = this.commands = session
      this.sessions = 1
      this.stallFree = true
      return session
    }
    const events = await CdpSession.connect(url!, 'events', { signal: this.connecting.signal })
    this.events = events
    this.sessions = 1
    try {
      this.commands = await CdpSession.connect(url!, 'commands', { serial: true, signal: this.connecting.signal })
      this.sessions = 2
      this.stallFree = true
    }
    catch (error) {
      if (this.finished)
        throw error
      // Node 8 takes one session (HTTP 400 for a second one).
      this.commands = events
      this.notes.push('This Node.js accepts only one inspector connection, so every pause lasts about 40 ms (the inspector\'s delayed TCP acknowledgements): the run is slow, and as timers go on counting while the program is paused, a timer fires early in program time by the pauses taken while it waited.')
    }
    return events
  }

  /**
   * The clock recorder first, so that the first breakpoint hit is timed. The line
   * breakpoints by URL catch the program's first statements whether or not the runtime
   * stops at the start; the pause that follows sets all the others. Sent in one go: Node 8
   * answers nothing before runIfWaitingForDebugger.
   */
  private async startProgram(events: CdpSession): Promise<void> {
    const installed = this.installRecorder()
    this.recorderInstalled = installed.catch(() => null)
    if (this.stallFree)
      await this.recorderInstalled
    const urlRegex = `^(file://)?${escapeRegExp(this.demo.absPath)}$`
    const setup = [
      installed,
      events.send('Runtime.enable'),
      events.send('Debugger.enable'),
      events.send('Debugger.setAsyncCallStackDepth', { maxDepth: 32 }),
      ...statementLines(this.demo.source).map(lineNumber =>
        events.send('Debugger.setBreakpointByUrl', { urlRegex, lineNumber, columnNumber: 0, condition: HIT_CONDITION }).catch(() => undefined)),
      events.send('Runtime.runIfWaitingForDebugger'),
    ]
    this.resolveBreakpointsReady()
    await Promise.all(setup)
  }

  // ---- events ----

  private onEvent(method: string, params: unknown): void {
    switch (method) {
      case 'Debugger.scriptParsed':
        this.onScriptParsed(params as V8ScriptParsed)
        break
      case 'Debugger.paused':
        // Pauses are handled one at a time, in order; the first failure is kept.
        this.pauseQueue = this.pauseQueue.then(() => this.onPaused(params as V8PausedEvent)).catch((error: Error) => {
          this.traceError ??= error.message
        })
        break
      case 'Runtime.executionContextDestroyed':
        this.finishedByProgram = true
        this.finish()
        break
    }
  }

  /** Setup work a pause waits for (settle); a failure is a note. */
  private track(work: Promise<unknown>): void {
    const settled = work.catch((error: Error) => {
      if (!this.finished)
        this.notes.push(`Inspector setup failed: ${error.message}.`)
    })
    this.pending.add(settled)
    void settled.then(() => this.pending.delete(settled))
  }

  private async settle(): Promise<void> {
    while (this.pending.size > 0)
      await Promise.all([...this.pending])
  }

  /** Breakpoint work waits for the setup's Debugger.enable. */
  private async sendBreakpoints<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    await this.breakpointsReady
    return this.events!.send<T>(method, params)
  }

  private isDemoUrl(url: string): boolean {
    return url === `file://${this.demo.absPath}` || url === this.demo.absPath
  }

  /** Every script is known by id; the program's own get their breakpoints, Node's timers module its timer line. */
  private onScriptParsed(params: V8ScriptParsed): void {
    const info: ScriptInfo = {
      scriptId: params.scriptId,
      url: params.url,
      isUser: isUserFile(params.url),
      lines: null,
      locations: null,
      safeReturns: new Set(),
    }
    this.scripts.set(params.scriptId, info)
    if (info.isUser)
      this.track(this.breakOnUserScript(params, info))
    else if (TIMERS_URL.test(params.url))
      this.track(this.breakOnTimers(params))
  }

  /** A breakpoint on every break location of a script of the program's own, less those planBreakpoints leaves out. */
  private async breakOnUserScript(params: V8ScriptParsed, info: ScriptInfo): Promise<void> {
    const source = this.isDemoUrl(params.url)
      ? this.demo.source
      : (await this.sendBreakpoints<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: params.scriptId })).scriptSource
    info.lines = source.split('\n')
    const { locations } = await this.sendBreakpoints<{ locations: V8BreakLocation[] }>('Debugger.getPossibleBreakpoints', {
      start: { scriptId: params.scriptId, lineNumber: 0, columnNumber: 0 },
    })
    info.locations = locations
    const plan = planBreakpoints(source, locations)
    info.safeReturns = plan.safeReturns
    // Sent in one go: their answers come in one burst (one ACK delay at most, see the header).
    await Promise.all(plan.locations.map(location =>
      this.sendBreakpoints('Debugger.setBreakpoint', { location: { scriptId: location.scriptId, lineNumber: location.lineNumber, columnNumber: location.columnNumber }, condition: HIT_CONDITION })
        .catch(() => undefined), // "already exists" and the like: the location is covered
    ))
  }

  /** A breakpoint on the lines of Node's timers module that call a timer's callback (where it takes one: Node 8-12). */
  private async breakOnTimers(params: V8ScriptParsed): Promise<void> {
    const { scriptSource } = await this.sendBreakpoints<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: params.scriptId })
    const lines = scriptSource.split('\n')
    let wanted = 0
    await Promise.all(lines.map(async (line, lineNumber) => {
      const match = TIMER_CALL.exec(line)
      if (!match || /^\s*\/\//.test(line))
        return
      wanted++
      const result = await this.sendBreakpoints<{ actualLocation: V8BreakLocation }>('Debugger.setBreakpoint', {
        location: { scriptId: params.scriptId, lineNumber, columnNumber: line.search(/\S/) },
        condition: HIT_CONDITION,
      }).catch(() => null)
      if (result)
        this.timerLines.set(`${params.scriptId}:${result.actualLocation.lineNumber}`, match[1]!)
    }))
    if (wanted > 0 && this.timerLines.size === 0 && /\bset(Timeout|Interval)\b/.test(this.demo.source))
      this.notes.push(`This Node.js does not let the debugger stop in its timers module (${params.url}): a timer shows as a step only when its callback is a function of the program.`)
  }

  // ---- pauses ----

  /** One pause: the recorder ready, the timer it is (if any), the clock read and the program resumed, then the step built. */
  private async onPaused(event: V8PausedEvent): Promise<void> {
    if (this.finished)
      return
    await this.settle()
    this.pauses++
    const top = event.callFrames[0]
    if (!await this.recorderReady(top))
      return
    const { timer, timerCallback } = await this.timerOf(event)
    const isFirst = this.first
    this.first = false
    await this.settle()
    await this.stopRecordingWhenFull()
    const { clock, errorStack } = await this.readAndResume(top)
    const [hitAt, resumeAt] = clock
    const pausedAt = hitAt ?? resumeAt
    // Program time: from the first pause, less the time spent paused.
    this.origin ??= pausedAt
    const atMs = pausedAt - this.origin - this.pausedTotal
    this.pausedTotal += resumeAt - pausedAt
    this.pausedMs += resumeAt - pausedAt
    // Built after resuming: the program does not wait for it.
    if (this.steps.length < this.maxSteps)
      this.builder.onPause({ atMs, event, timer, timerCallback, first: isFirst, errorStack })
  }

  /** The recorder, installed if it is not yet; false where the pause was resumed without a step (Node's startup). */
  private async recorderReady(top: PausedFrame | undefined): Promise<boolean> {
    this.reader ??= await this.recorderInstalled
    this.reader ??= await this.installRecorder()
    if (this.reader !== null)
      return true
    // A stop in Node's own startup, before `process` exists: nothing of the program has
    // run, there is no clock to read yet.
    if (top && !this.scripts.get(top.location.scriptId)?.isUser) {
      await this.commands!.send('Debugger.resume').catch(() => undefined)
      return false
    }
    throw new Error('could not install the clock recorder')
  }

  /** The timer firing at this pause: a stop on the timers module's line, or a program callback called by listOnTimeout. */
  private async timerOf(event: V8PausedEvent): Promise<{ timer: TimerInfo | null, timerCallback: boolean }> {
    const top = event.callFrames[0]
    const timerVariable = top ? this.timerLines.get(`${top.location.scriptId}:${top.location.lineNumber}`) : undefined
    let timer = timerVariable && top ? await this.timerInfo(top.callFrameId, timerVariable) : null
    // Where node's timers module takes no breakpoint, a callback of the program's own shows
    // the timer firing: its caller is the timers module's listOnTimeout.
    const caller = event.callFrames[1]
    let timerCallback = false
    if (!timer && this.timerLines.size === 0 && top && caller?.functionName === 'listOnTimeout' && this.scripts.get(top.location.scriptId)?.isUser && !this.previousWasTimer) {
      timer = await this.timerInfo(caller.callFrameId, 'timer')
      timerCallback = true
    }
    this.previousWasTimer = timer !== null
    return { timer, timerCallback }
  }

  /** At maxSteps the breakpoints go off: the program runs on without pauses. */
  private async stopRecordingWhenFull(): Promise<void> {
    if (this.steps.length >= this.maxSteps && !this.breakpointsOff) {
      this.breakpointsOff = true
      this.notes.push(`Recording stopped after ${this.maxSteps} steps; the program ran on without pauses.`)
      await this.sendBreakpoints('Debugger.setBreakpointsActive', { active: false })
    }
  }

  /** The clock (and Error.stack snapshot) read, and the program resumed. */
  private async readAndResume(top: PausedFrame | undefined): Promise<{ clock: Clock, errorStack: ErrorStackSnapshot | null }> {
    // The program may end as soon as it is resumed, and its connections close before the
    // answer to `resume` arrives: the pause is recorded all the same.
    const commands = this.commands!
    const resume = () => commands.send('Debugger.resume').catch((error: Error) => {
      if (!commands.closed)
        throw error
    })
    if (this.stallFree) {
      // One request at a time on the commands session (see cdp.ts).
      const taken = await this.takeSnapshot(top)
      await resume()
      return taken
    }
    // One session: its answers come late (Nagle), so the clock is read and the program
    // resumed in one go, and the clock's reading is the moment of resuming. (The session
    // answers in order: the snapshot is taken before the resume is handled.)
    const [taken] = await Promise.all([this.takeSnapshot(top), resume()])
    return taken
  }

  /** The snapshot reads the clock too: no extra request per pause. */
  private async takeSnapshot(top: PausedFrame | undefined): Promise<{ clock: Clock, errorStack: ErrorStackSnapshot | null }> {
    const taken = top ? await this.snapshot(top.callFrameId) : null
    if (taken)
      return { clock: taken.clock, errorStack: { stack: taken.stack, limit: taken.limit } }
    return { clock: await this.readClock(), errorStack: null }
  }

  // ---- the recorder: the program's clock and Error.stack, read in the program ----

  /** The recorder's reading function, or null where `process` is not there yet (Node 8-12 before the main script). */
  private async installRecorder(): Promise<string | null> {
    const result = await this.commands!.send<{ result: { objectId?: string }, exceptionDetails?: unknown }>('Runtime.evaluate', { expression: INSTALL_RECORDER, objectGroup: 'node-trace' })
    return result.exceptionDetails ? null : result.result.objectId ?? null
  }

  /** [the program's clock when the breakpoint was hit (null if the pause was not a hit), now]. */
  private async readClock(): Promise<Clock> {
    const result = await this.commands!.send<{ result: { value?: unknown }, exceptionDetails?: unknown }>('Runtime.callFunctionOn', {
      objectId: this.reader,
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
  private async snapshot(callFrameId: string): Promise<{ clock: Clock, stack: string | null, limit: number | null } | null> {
    const result = await this.commands!.send<{ result: { value?: unknown }, exceptionDetails?: unknown }>('Debugger.evaluateOnCallFrame', {
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

  private async timerInfo(callFrameId: string, variable: string): Promise<TimerInfo> {
    const expression = `(function (t) { var f = t && t._onTimeout; return { callback: typeof f === 'function' ? f.name : '', delayMs: t && typeof t._idleTimeout === 'number' && t._idleTimeout >= 0 ? t._idleTimeout : null, repeat: !!(t && t._repeat) } })(${variable})`
    const result = await this.commands!.send<{ result: { value?: TimerInfo } }>('Debugger.evaluateOnCallFrame', {
      callFrameId,
      expression,
      returnByValue: true,
      silent: true,
    }).catch(() => null)
    return result?.result.value ?? { callback: '', delayMs: null, repeat: false }
  }

  /** Steps from pauses, with the scripts as the inspector described them. */
  private stepBuilder(): StepBuilder {
    const { scripts, demo, steps, options } = this
    return new StepBuilder(
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
  }

  // ---- the end ----

  /** Waits for the process and the last pause, then says what went wrong, if anything. */
  async result(): Promise<TraceRunResult> {
    const run = await this.spawned.done
    this.finish()
    await this.pauseQueue
    this.builder.finish()
    // A killed program (timeout, output cap, cancel) takes its connections down mid-pause: not a tracing failure.
    if (this.traceError && !this.finishedByProgram && !run.timedOut && !run.truncated && !run.cancelled && run.signal === null)
      this.notes.push(`Tracing stopped early: ${this.traceError}.`)
    if (run.signal && this.finishedByProgram && !run.timedOut && !run.truncated && !run.cancelled)
      this.notes.push(`Node.js died of ${run.signal} while the debugger was leaving, after the program had finished: the exit code is lost.`)
    const rest = this.filter.flush()
    if (rest)
      this.keep('stderr', this.lastAtMs, rest)

    return {
      run: { ...run, output: mergeChunks(this.output) },
      steps: this.steps,
      notes: this.notes,
      sessions: this.sessions,
      transport: this.relay ? 'relay' : 'websocket',
      pauses: this.pauses,
      pausedMs: Math.round(this.pausedMs * 100) / 100,
    }
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

