/**
 * Presentation helpers over recorded frames and steps: naming, flavours and the words a
 * slide shows. They only read recordings; nothing here computes a trace.
 */
import type { Frame, Recording, Step, Traceback } from '../engine/schema'

/** The four kinds of program the talk compares, each with its own colour and badge. */
export type Flavor = 'sync' | 'asyncio' | 'js' | 'rust'

export const FLAVOR_LABEL: Record<Flavor, string> = {
  sync: 'sync Python',
  asyncio: 'async Python',
  js: 'async JavaScript',
  rust: 'async Rust',
}

export function flavorOf(recording: Recording): Flavor {
  const { language, source } = recording.demo
  if (language === 'javascript')
    return 'js'
  if (language === 'rust')
    return 'rust'
  return /\basync\s+def\b/.test(source) ? 'asyncio' : 'sync'
}

/** `foo`, `blowUp`, `rust_async::blow_up::{{closure}}` → a key that lines them up: `foo`, `blowup`. */
export function canonicalName(name: string): string {
  const withoutClosures = name.replace(/(::\{\{closure\}\})+$/g, '').replace(/::\{\{closure\}\}/g, '')
  const last = withoutClosures.split('::').at(-1) ?? withoutClosures
  return last.replace(/^async\s+/, '').replace(/_/g, '').toLowerCase()
}

/** A function name short enough for a slide: `rust_async::bar::{{closure}}` → `bar::{{closure}}`. */
export function shortName(name: string): string {
  return name.includes('::') ? name.split('::').slice(-2).join('::') : name
}

/** How a frame reads on a slide: `async bar`, `blow_up`, `bar::{{closure}}`. */
export function frameLabel(frame: Frame): string {
  return `${frame.isAsync ? 'async ' : ''}${shortName(frame.function)}`
}

export function frameLocation(frame: Frame): string {
  const file = frame.file.replace(/^.*\/(lib\/python[\d.]+\/)/, '$1')
  return frame.line === null ? file : `${file}:${frame.line}`
}

/**
 * Where each frame is printed in the traceback text: [first line, last line] (0-based),
 * in the order the runtime printed them (Python: outermost first; V8, Rust: innermost first).
 * A frame's entry starts at the line naming its function (with its line number on that line
 * or the next) and runs over the more indented lines below it (source, carets, `at …`).
 */
export function framesInText(traceback: Traceback): { frame: Frame, start: number, end: number }[] {
  const lines = traceback.text.split('\n')
  // Exception groups draw `|` borders before each line: indentation is counted past them.
  const indent = (line: string) => line.search(/[^\s|+-]/)
  const found: { frame: Frame, start: number, end: number }[] = []
  const used = new Set<number>()
  for (const frame of traceback.frames) {
    const lineNo = frame.line === null ? null : new RegExp(`\\b${frame.line}\\b`)
    // V8 prints an anonymous function by its location alone (`at demos/x.mjs:7:11`).
    const anonymous = /^(<anonymous>|\(anonymous\)|)$/.test(frame.function)
    const names = (line: string) => anonymous
      ? /\bat\s/.test(line) && line.includes(`${frame.file}:${frame.line}`)
      : line.includes(frame.function)
    // Python and V8 print name and line number on one line; Rust prints `at file:line` on the next.
    const sameLine = (line: string, i: number) => !used.has(i) && names(line) && (!lineNo || lineNo.test(line))
    const nextLine = (line: string, i: number) => !used.has(i) && names(line) && !!lineNo && lineNo.test(lines[i + 1] ?? '')
    let start = lines.findIndex(sameLine)
    if (start < 0)
      start = lines.findIndex(nextLine)
    if (start < 0)
      continue
    used.add(start)
    let end = start
    while (end + 1 < lines.length && lines[end + 1]!.trim() && indent(lines[end + 1]!) > indent(lines[start]!))
      end++
    found.push({ frame, start, end })
  }
  return found.sort((a, b) => a.start - b.start)
}

/** Steps worth stopping at in a talk: suspensions, resumptions, idles, blocks and raises. */
export const KEY_KINDS = new Set<Step['kind']>(['await', 'resume', 'idle', 'block', 'raise', 'timer'])

/** Steps of one moment: consecutive key steps of one kind within a few milliseconds. */
const SAME_MOMENT_MS = 20

/**
 * The steps a slide walks: every step, chosen indices, or the key moments. Key moments
 * fold a chain that suspends (or resumes) at one instant into its last step, when the
 * whole chain has left (or re-entered) the stack, and end at the first raise: what
 * follows is the exception travelling outwards.
 */
export function selectSteps(steps: Step[], which: 'all' | 'key' | number[]): Step[] {
  if (which === 'all')
    return steps
  if (Array.isArray(which))
    return which.map(i => steps[i]).filter((s): s is Step => !!s)
  const firstRaise = steps.findIndex(s => s.kind === 'raise')
  const key = steps.filter((step, i) => i === 0 || (KEY_KINDS.has(step.kind) && (firstRaise < 0 || i <= firstRaise)))
  return key.filter((step, i) => {
    const next = key[i + 1]
    const sameMoment = next && next.kind === step.kind && Math.abs(next.atMs - step.atMs) < SAME_MOMENT_MS
    return !(sameMoment && (step.kind === 'await' || step.kind === 'resume'))
  })
}

/** The functions that suspended together with this await, innermost first (this one last). */
function suspendedTogether(step: Step, recording: Recording): string[] {
  const names = [plainName(step.function)]
  for (let i = step.index - 1; i >= 0; i--) {
    const earlier = recording.steps[i]!
    if (step.atMs - earlier.atMs >= SAME_MOMENT_MS || !['await', 'return', 'line'].includes(earlier.kind))
      break
    if (earlier.kind === 'await')
      names.unshift(plainName(earlier.function))
  }
  return [...new Set(names)]
}

/** `rust_async::bar::{{closure}}` → `bar`; `blow_up` stays `blow_up`. */
export function plainName(name: string): string {
  return name.replace(/(::\{\{closure\}\})+$/, '').split('::').at(-1) ?? name
}

/** Our functions on a stack, outermost first, without the program's entry point. */
const userNames = (frames: Frame[]) => frames
  .filter(f => f.isUser && !/^(<module>|\(anonymous\)|<anonymous>)$/.test(f.function) && !/(^|::)(main|block_on|run)$/.test(f.function))
  .map(f => plainName(f.function))

/** A caption in words an audience gets, from what the step's stacks show. */
export function describeStep(step: Step, recording: Recording): string {
  const flavor = flavorOf(recording)
  const physical = userNames(step.physicalStack)
  const chain = step.asyncChains?.find(c => c.current) ?? step.asyncChains?.[0]
  const logical = chain ? userNames(chain.frames) : []
  const arrow = (names: string[]) => names.join(' → ')
  switch (step.kind) {
    case 'idle':
      if (flavor === 'rust')
        return `block_on parks the thread: only main → block_on are on the stack; the suspended async fns live inside the future`
      return logical.length
        ? `event loop idle: nothing of ours on the stack — the task still remembers ${arrow(logical)}`
        : 'event loop idle: nothing of ours on the stack'
    case 'block':
      return `${plainName(step.function)} blocks the whole thread: ${arrow(physical)} ${physical.length > 1 ? 'stay' : 'stays'} on the stack while it sleeps`
    case 'await': {
      const together = suspendedTogether(step, recording)
      return together.length > 1
        ? `${together.join(', then ')} suspend: each leaves the thread's stack`
        : `${together[0]} awaits: it suspends and leaves the thread's stack`
    }
    case 'resume':
      return physical.length > 1
        ? `resumed: the await chain re-enters ${arrow(physical)}`
        : `${plainName(step.function)} resumes`
    case 'timer':
      return 'a timer fires: the event loop calls back into our code'
    case 'raise':
      if (recording.steps.some(s => s.kind === 'raise' && s.index < step.index && s.function !== step.function))
        return `the exception reaches ${plainName(step.function)}: its frame is on the stack, so it joins the traceback`
      if (flavor === 'js' && step.errorStack) {
        // What Error.stack gets: only the async functions awaiting this one, not the debugger's chain.
        const rebuilt = userNames(step.errorStack.filter(f => f.isAsync))
        return rebuilt.length
          ? `${plainName(step.function)} throws: only ${arrow(physical)} is on the stack; V8 rebuilds ${rebuilt.slice().reverse().map(n => `async ${n}`).join(' / ')} from the promise chain`
          : `${plainName(step.function)} throws: Error.stack gets ${arrow(physical) || 'one callback'} alone; only the debugger remembers ${arrow(logical)}`
      }
      if (flavor === 'js' && logical.some(n => !physical.includes(n)))
        return `${plainName(step.function)} throws: only ${arrow(physical)} is on the stack; V8 rebuilds ${logical.filter(n => !physical.includes(n)).reverse().map(n => `async ${n}`).join(' / ')} from the promise chain`
      return `${plainName(step.function)} ${flavor === 'rust' ? 'panics' : 'raises'}: ${arrow(physical)} ${physical.length > 1 ? 'are' : 'is'} on the stack`
    case 'call':
      return `call ${plainName(step.function)}`
    case 'return':
      return `${plainName(step.function)} returns`
    default:
      return `${plainName(step.function)}, line ${step.line ?? '?'}`
  }
}
