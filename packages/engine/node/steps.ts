/**
 * Turns the debugger's pauses into timeline steps.
 *
 * The inspector pauses at break locations; it does not say "a function was called" or
 * "an async function suspended". Those are derived here from how the physical stack
 * (the call frames) changes from one pause to the next:
 *
 * - a frame that was not on the stack at the previous pause: `call` if it is at its
 *   function's first break location or is not an async function that suspended before;
 *   otherwise it was suspended and is re-entered from the microtask queue: `resume`;
 * - a frame of ours that is gone at the next pause: an async function whose last pause was
 *   not a `return …` statement has suspended at an `await` (`await`, synthesized at the
 *   time of the last pause where it was on the stack); a plain function has returned
 *   (`return`, synthesized likewise) unless an exception was on its way out;
 * - a frame that stays but whose last pause was on a complete `await …` line and that now
 *   pauses on another line was suspended and resumed in between (`await` + `resume`);
 * - a pause at a return location (`}` or a bare `return;`): `return`;
 * - a pause at a `throw` statement: `raise` (the exception itself is filled in from the
 *   traceback at the end; see inspector.ts for why the debugger does not pause on
 *   exceptions); on Node 8-12 V8 also stops where the rejection leaves each awaiting async
 *   function: `raise` there too;
 * - a pause at the line of node's timers module that calls a timer's callback, or the
 *   first pause in a callback of ours called by that module: `timer`;
 * - any other pause on a new line of ours, or on the same line again from its start (a
 *   loop): `line` (further pauses on a line are its sub-expressions, not steps).
 *
 * The first pause is held until the next one: with `--inspect-brk` on an ES module it is
 * V8 instantiating the module, not running it.
 */
import type { AsyncChain, Frame, Step, StepKind } from '../schema'
import type { V8BreakLocation, V8CallFrame, V8PausedEvent, V8RuntimeCallFrame, V8StackTrace } from './v8types'
import { isUserFile, parseAtLine, type PrintedFrame } from './traceback'

export interface ScriptInfo {
  scriptId: string
  url: string
  isUser: boolean
  /** Source lines, where known (the program's own scripts). */
  lines: string[] | null
  /** Possible break locations, sorted, where fetched. */
  locations: V8BreakLocation[] | null
  /** Locations that got a breakpoint as a return location (known to return undefined). */
  safeReturns: Set<string>
}

export interface TimerInfo {
  callback: string
  delayMs: number | null
  repeat: boolean
}

export interface PauseInput {
  atMs: number
  event: V8PausedEvent
  /** Set when the pause is at the timers module's call of a timer's callback, or at the callback's own start. */
  timer: TimerInfo | null
  /** The timer's callback is the program's own function and this pause is its first line. */
  timerCallback?: boolean
  /** The first pause of the run (`--inspect-brk`): the program's entry. */
  first: boolean
  /**
   * What `Error.stack` would print if an Error were created in the paused frame (its text,
   * and the program's `Error.stackTraceLimit` then), taken by inspector.ts; null where it
   * could not be taken.
   */
  errorStack?: { stack: string | null, limit: number | null } | null
}

export type StepDraft = Omit<Step, 'index'>

interface FrameState {
  key: string
  name: string
  scriptId: string
  url: string
  line: number
  column: number
  functionLine: number | null
  functionColumn: number | null
  isUser: boolean
  isAsyncFunction: boolean
  /** A return step was recorded for this invocation. */
  ended: boolean
  /** An exception was thrown here (or passed through here) and not caught yet. */
  raised: boolean
  /** The line and column of the last pause in this invocation (1-based). */
  lastLine: number | null
  lastColumn: number | null
  frame: Frame
}

interface PauseState {
  frames: FrameState[]
  atMs: number
  asyncFrames: Frame[]
  awaiting: string | null
  hasAsync: boolean
  /** What Error.stack would print here, outermost first; null where not taken. */
  errorStack: Frame[] | null
}

/**
 * The debugger's async call stack (`Debugger.setAsyncCallStackDepth`): what DevTools shows.
 * V8 records every async hop's creation stack for it while a debugger asks; it is not what
 * `Error.stack` prints (that is `errorStack`, V8's zero-cost async stack trace).
 */
export const CHAIN_LABEL = 'debugger async stack (DevTools)'

export interface StepContext {
  script: (scriptId: string) => ScriptInfo | undefined
  /** The project-relative file for a script URL (the demo), other URLs unchanged. */
  relativize: (url: string) => string
  /** The trimmed source line of a script by URL, where known. */
  sourceLine?: (url: string, line: number | null) => string | null
}

export class StepBuilder {
  private prev: PauseState | null = null
  private lastKind: StepKind | null = null
  /** The first pause, held until the next pause shows whether it was the program running. */
  private entry: { state: PauseState, depth: number } | null = null
  private entryDone = false
  /** Invocations suspended at an `await`, by frame identity: a new frame of these is a `resume`. */
  private readonly suspended = new Map<string, number>()

  constructor(
    private readonly context: StepContext,
    private readonly emit: (step: StepDraft) => void,
    /** V8 before 6.3 (Node 8) suspends an async function through its return location: a pause there after an `await` line is the await. */
    private readonly options: { awaitPausesAtReturn?: boolean } = {},
  ) {}

  /**
   * Record one pause; emits zero or more steps. In order: what the pause shows, what the
   * frames still on the stack carry over (and the steps of those that left), the held
   * first pause, then the steps of the pause itself.
   */
  onPause(input: PauseInput): void {
    const current = this.pauseState(input)
    const prev = this.prev
    const common = prev ? this.carryOver(prev, current.frames) : 0
    this.releaseEntry(current.frames, common)
    this.recordPause(input, current, prev, common)
    this.prev = current
  }

  /** The pause as frames (outermost first), its async stack and its Error.stack snapshot. */
  private pauseState(input: PauseInput): PauseState {
    const { event, atMs } = input
    const frames = event.callFrames.slice().reverse().map(frame => this.frameState(frame))
    const { asyncFrames, awaiting } = this.asyncFrames(event.asyncStackTrace, frames[0]?.name ?? null)
    return { frames, atMs, asyncFrames, awaiting, hasAsync: Boolean(event.asyncStackTrace), errorStack: this.errorStackFrames(input.errorStack) }
  }

  /**
   * The frames still on the stack since the previous pause inherit what we know of them;
   * those that left get their `await` or `return` steps. Returns how many are common.
   */
  private carryOver(prev: PauseState, frames: FrameState[]): number {
    let common = 0
    while (common < prev.frames.length && common < frames.length) {
      const before = prev.frames[common]!
      if (before.key !== frames[common]!.key || (before.ended && !this.entry))
        break
      const now = frames[common]!
      now.raised = before.raised
      now.lastLine = before.lastLine
      now.lastColumn = before.lastColumn
      common++
    }
    this.framesGone(prev, common)
    return common
  }

  /**
   * The `--inspect-brk` pause is the program's entry when its frame is still there at the
   * next pause (a CommonJS script); for an ES module it is V8 instantiating the module,
   * and the evaluation that follows is a new call.
   */
  private releaseEntry(frames: FrameState[], common: number): void {
    if (!this.entry)
      return
    const { state, depth } = this.entry
    this.entry = null
    if (common > depth) {
      this.push('call', state, depth, null)
      frames[depth]!.lastLine = state.frames[depth]!.line
      frames[depth]!.lastColumn = state.frames[depth]!.column
    }
  }

  /** The steps of the pause itself, at its top frame. */
  private recordPause(input: PauseInput, current: PauseState, prev: PauseState | null, common: number): void {
    const { frames } = current
    const top = frames.at(-1)
    if (input.first && top?.isUser && !input.timer && !this.entryDone) {
      this.entryDone = true
      for (const frame of frames)
        frame.ended = true // nothing is synthesized for the frames of this pause if it was not the program running
      this.entry = { state: current, depth: frames.length - 1 }
      return
    }
    if (input.timer && !input.timerCallback) {
      this.push('timer', current, frames.length - 1, timerDetail(input.timer))
      return
    }
    if (!top || !top.isUser)
      return

    const depth = frames.length - 1
    const script = this.context.script(top.scriptId)
    const locationKey = `${top.line - 1}:${top.column - 1}`
    const isReturn = script?.safeReturns.has(locationKey) ?? false
    const isThrow = this.isThrowAt(top)
    const kinds = this.arrivalKinds(current, prev, top, depth, depth >= common, script, isReturn, isThrow)
    if (kinds === null)
      return

    if (isThrow) {
      kinds.push('raise')
    }
    else if (isReturn) {
      if (top.raised)
        top.ended = true
      else
        kinds.push('return')
    }

    if (input.timer && input.timerCallback && kinds[0] === 'call')
      kinds[0] = 'timer'
    for (const kind of kinds) {
      const detail = kind === 'raise' ? throwDetail(top, script) : kind === 'timer' && input.timer ? timerDetail(input.timer) : null
      this.push(kind, current, depth, detail)
      if (kind === 'raise')
        top.raised = true
      if (kind === 'return')
        top.ended = true
      if (kind === 'line' || kind === 'resume' || kind === 'call')
        top.raised = false
    }
    top.lastLine = top.line
    top.lastColumn = top.column
  }

  /**
   * How the top frame got here: a `call` or `resume` (a new frame), an `await` and `resume`
   * (the same frame, past an `await` line), a new `line`. Null where the pause was a step
   * of its own, pushed here (an async function's return location on older V8).
   */
  private arrivalKinds(current: PauseState, prev: PauseState | null, top: FrameState, depth: number, isNew: boolean, script: ScriptInfo | undefined, isReturn: boolean, isThrow: boolean): StepKind[] | null {
    const kinds: StepKind[] = []
    if (isNew) {
      const suspended = this.suspended.get(top.key) ?? 0
      if (this.isEntry(top, script) || (suspended === 0 && !top.isAsyncFunction)) {
        kinds.push('call')
      }
      else if (isReturn && (this.lastKind === 'raise')) {
        // Older V8 (Node 8-12) stops at the return location of each async function the
        // rejection passes through: the exception is re-thrown at its `await`.
        top.raised = true
        this.push('raise', current, depth, 'the rejection propagates out of this async function')
        top.ended = true
        top.lastLine = top.line
        top.lastColumn = top.column
        return null
      }
      else {
        kinds.push('resume')
        if (suspended > 0)
          this.suspended.set(top.key, suspended - 1)
      }
    }
    else if (this.options.awaitPausesAtReturn && isReturn && this.resumedInPlace(top)) {
      this.push('await', current, depth, awaitDetail(top, script, top.lastLine))
      this.suspended.set(top.key, (this.suspended.get(top.key) ?? 0) + 1)
      top.ended = true
      top.lastLine = top.line
      top.lastColumn = top.column
      return null
    }
    else if (this.resumedInPlace(top)) {
      this.push('await', { ...prev!, frames: prev!.frames.slice(0, depth + 1) }, depth, awaitDetail(top, this.context.script(top.scriptId), prev!.frames[depth]!.lastLine))
      kinds.push('resume')
    }
    else if (!isReturn && !isThrow && this.isNewLine(top)) {
      kinds.push('line')
    }
    return kinds
  }

  /** The run is over: a first pause still held was the program's only one. */
  finish(): void {
    if (this.entry) {
      const { state, depth } = this.entry
      this.entry = null
      this.push('call', state, depth, null)
    }
  }

  /** Frames of ours that were on the stack at `prev` and are not any more. */
  private framesGone(prev: PauseState, common: number): void {
    let exception = false
    for (let depth = prev.frames.length - 1; depth >= common; depth--) {
      const gone = prev.frames[depth]!
      if (gone.ended) {
        exception = false
        continue
      }
      if (gone.raised || exception) {
        exception = true
        continue
      }
      if (!gone.isUser)
        continue
      const state: PauseState = { ...prev, frames: prev.frames.slice(0, depth + 1) }
      const last = this.sourceLine(gone.scriptId, gone.lastLine) ?? ''
      const returning = /^return\b/.test(this.textAt(gone.scriptId, gone.lastLine, gone.lastColumn)) && !/\bawait\b/.test(last)
      if (!returning && (gone.isAsyncFunction || this.lineHasAwait(gone, gone.lastLine))) {
        this.push('await', state, depth, awaitDetail(gone, this.context.script(gone.scriptId), gone.lastLine))
        this.suspended.set(gone.key, (this.suspended.get(gone.key) ?? 0) + 1)
      }
      else {
        this.push('return', state, depth, null)
        gone.ended = true
      }
    }
  }

  /**
   * A pause on another line, or on the same line again from its start (a loop): further
   * pauses on the same line are its sub-expressions (`await sleep(100)`: the statement,
   * then the call), not a new line.
   */
  private isNewLine(frame: FrameState): boolean {
    return frame.lastLine !== frame.line || (frame.lastColumn !== null && frame.column <= frame.lastColumn)
  }

  /** The frame stayed on the stack, but its last pause was a complete `await` line: it was suspended and resumed since. */
  private resumedInPlace(top: FrameState): boolean {
    if (top.lastLine === null || top.lastLine === top.line)
      return false
    if (!top.isAsyncFunction && !this.isTopLevel(top))
      return false
    const text = this.sourceLine(top.scriptId, top.lastLine)
    return text !== null && /\bawait\b/.test(text) && balanced(text)
  }

  private push(kind: StepKind, state: PauseState, depth: number, detail: string | null): void {
    const physical = state.frames.slice(0, depth + 1).map(frame => frame.frame)
    const top = state.frames[depth]
    const chain: AsyncChain | null = state.hasAsync
      ? { label: CHAIN_LABEL, current: true, frames: [...state.asyncFrames, ...physical], awaiting: state.awaiting }
      : null
    const errorStack = this.errorStackAt(state, depth)
    this.emit({
      kind,
      atMs: round(state.atMs),
      file: top ? top.frame.file : '',
      line: top ? top.line : null,
      function: top ? top.name : '',
      physicalStack: physical,
      asyncChains: chain ? [chain] : null,
      detail,
      ...(errorStack ? { errorStack } : {}),
    })
    this.lastKind = kind
  }

  /**
   * The snapshot's `at` lines as frames, outermost first. The first line is the snapshot's
   * own expression (V8 evaluates it as a frame on top of the paused one): dropped, and the
   * rest cut to the program's Error.stackTraceLimit (the snapshot asked for one more).
   */
  private errorStackFrames(snapshot: PauseInput['errorStack']): Frame[] | null {
    if (!snapshot)
      return null
    if (snapshot.stack === null)
      return snapshot.limit !== null && snapshot.limit <= 0 ? [] : null
    const printed = snapshot.stack.split('\n').map(line => parseAtLine(line)).filter(frame => frame !== null)
    if (printed.length > 0 && isSnapshotFrame(printed[0]!))
      printed.shift()
    const kept = snapshot.limit === null ? printed : printed.slice(0, snapshot.limit)
    return kept.reverse().map(frame => ({
      function: frame.function,
      file: this.context.relativize(frame.file),
      line: frame.line,
      column: frame.column,
      source: this.context.sourceLine?.(frame.file, frame.line) ?? null,
      isUser: isUserFile(frame.file),
      isAsync: frame.isAsync,
    }))
  }

  /**
   * The error stack of a step at `depth` of a pause: a step synthesized at a shallower depth
   * (an `await` or `return` seen only at the next pause) leaves out the innermost frames
   * that were on the thread above it then, as Error.stack at that moment would.
   */
  private errorStackAt(state: PauseState, depth: number): Frame[] | null {
    if (!state.errorStack)
      return null
    let cut = state.frames.length - (depth + 1)
    if (cut <= 0)
      return state.errorStack
    const frames = state.errorStack.slice()
    for (let i = frames.length - 1; i >= 0 && cut > 0 && !frames[i]!.isAsync; i--, cut--)
      frames.pop()
    return frames
  }

  private frameState(frame: V8CallFrame): FrameState {
    const script = this.context.script(frame.location.scriptId)
    const url = frame.url || script?.url || ''
    const line = frame.location.lineNumber + 1
    const column = (frame.location.columnNumber ?? 0) + 1
    const fl = frame.functionLocation
    const name = frame.functionName || '(anonymous)'
    const isUser = script ? script.isUser : isUserFile(url)
    const state: FrameState = {
      key: `${frame.location.scriptId}@${fl ? `${fl.lineNumber}:${fl.columnNumber ?? 0}` : '?'}#${frame.functionName}`,
      name,
      scriptId: frame.location.scriptId,
      url,
      line,
      column,
      functionLine: fl ? fl.lineNumber + 1 : null,
      functionColumn: fl ? (fl.columnNumber ?? 0) + 1 : null,
      isUser,
      isAsyncFunction: false,
      ended: false,
      raised: false,
      lastLine: null,
      lastColumn: null,
      frame: {
        function: name,
        file: this.context.relativize(url),
        line,
        column,
        source: this.sourceLine(frame.location.scriptId, line),
        isUser,
        isAsync: false,
      },
    }
    state.isAsyncFunction = this.isAsyncFunction(state)
    return state
  }

  /** V8's async stack trace as frames, outermost first, plus what the innermost segment is. */
  private asyncFrames(trace: V8StackTrace | undefined, outermostPhysical: string | null): { asyncFrames: Frame[], awaiting: string | null } {
    if (!trace)
      return { asyncFrames: [], awaiting: null }
    const innermostFirst: Frame[] = []
    let previous = outermostPhysical
    for (let segment: V8StackTrace | undefined = trace; segment; segment = segment.parent) {
      segment.callFrames.forEach((callFrame, i) => {
        const frame = this.runtimeFrame(callFrame)
        // V8 before 7.3 starts an `async function` segment with the async function itself
        // (at its declaration), which is the frame just inside it: keep one of the two.
        if (i === 0 && segment!.description === 'async function' && frame.function === previous)
          return
        innermostFirst.push(frame)
      })
      previous = innermostFirst.at(-1)?.function ?? previous
    }
    return { asyncFrames: innermostFirst.reverse(), awaiting: trace.description ?? null }
  }

  private runtimeFrame(callFrame: V8RuntimeCallFrame): Frame {
    const script = this.context.script(callFrame.scriptId)
    const url = callFrame.url || script?.url || ''
    const line = callFrame.lineNumber + 1
    return {
      function: callFrame.functionName || '(anonymous)',
      file: this.context.relativize(url),
      line,
      column: callFrame.columnNumber + 1,
      source: this.sourceLine(callFrame.scriptId, line),
      isUser: script ? script.isUser : isUserFile(url),
      isAsync: true,
    }
  }

  private sourceLine(scriptId: string, line: number | null): string | null {
    if (line === null)
      return null
    const lines = this.context.script(scriptId)?.lines
    if (!lines || line < 1 || line > lines.length)
      return null
    return lines[line - 1]!.trim()
  }

  /** Is the frame at its function's first break location (just entered)? */
  private isEntry(frame: FrameState, script: ScriptInfo | undefined): boolean {
    if (!script?.locations || frame.functionLine === null || frame.functionColumn === null)
      return true
    const fl = frame.functionLine - 1
    const fc = frame.functionColumn - 1
    const first = script.locations.find(l => l.lineNumber > fl || (l.lineNumber === fl && (l.columnNumber ?? 0) >= fc))
    if (!first)
      return true
    return first.lineNumber === frame.line - 1 && (first.columnNumber ?? 0) === frame.column - 1
  }

  private isTopLevel(frame: FrameState): boolean {
    return frame.functionLine === 1 && frame.functionColumn === 1 && frame.name === '(anonymous)'
  }

  /** `async function f(`, `async (x) =>`, `async x =>`, `async m(`: the text before the function's location says `async`. */
  private isAsyncFunction(frame: FrameState): boolean {
    if (!frame.isUser || frame.functionLine === null || frame.functionColumn === null || this.isTopLevel(frame))
      return false
    const text = this.context.script(frame.scriptId)?.lines?.[frame.functionLine - 1]
    if (text === undefined)
      return false
    const before = text.slice(0, frame.functionColumn - 1)
    return /\basync\b[\s\w$*]*$/.test(before)
  }

  private lineHasAwait(frame: FrameState, line: number | null): boolean {
    // A module's top level awaits too (top-level await); an async function is caught above.
    if (!this.isTopLevel(frame))
      return false
    const text = this.sourceLine(frame.scriptId, line)
    return text !== null && /\bawait\b/.test(text)
  }

  private isThrowAt(frame: FrameState): boolean {
    return /^throw\b/.test(this.textAt(frame.scriptId, frame.line, frame.column))
  }

  /** The source from a position to the end of its line ('' where unknown). */
  private textAt(scriptId: string, line: number | null, column: number | null): string {
    if (line === null || column === null)
      return ''
    const text = this.context.script(scriptId)?.lines?.[line - 1]
    return text === undefined ? '' : text.slice(column - 1)
  }
}

function timerDetail(timer: TimerInfo): string {
  const callback = timer.callback ? `${timer.callback}()` : 'the callback'
  const kind = timer.repeat ? 'setInterval' : 'setTimeout'
  return timer.delayMs === null ? `${kind}: ${callback} is called` : `${kind} (${timer.delayMs} ms): ${callback} is called`
}

function throwDetail(frame: FrameState, script: ScriptInfo | undefined): string | null {
  const text = script?.lines?.[frame.line - 1]
  if (text === undefined)
    return null
  return text.slice(frame.column - 1).trim().replace(/;$/, '')
}

function awaitDetail(frame: FrameState, script: ScriptInfo | undefined, line: number | null): string | null {
  if (line === null)
    return 'await'
  const text = script?.lines?.[line - 1]
  const at = text?.search(/\bawait\b/) ?? -1
  if (!text || at === -1)
    return 'await'
  return text.slice(at).trim().replace(/;$/, '')
}

/** Brackets balanced on one line: the statement does not go on to the next line. */
function balanced(text: string): boolean {
  let depth = 0
  for (const char of text.replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""')) {
    if ('([{'.includes(char))
      depth++
    else if (')]}'.includes(char))
      depth--
  }
  return depth === 0
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/** The snapshot expression's own frame, on every Node from 8 to 26: `at eval (eval at blowUp (file:…:6:3), <anonymous>:1:18)`. */
function isSnapshotFrame(frame: PrintedFrame): boolean {
  return frame.function === 'eval' && /^eval at /.test(frame.location)
}
