/**
 * Presentation helpers over recorded frames and steps: naming, flavours and the words a
 * slide shows. They only read recordings; nothing here computes a trace.
 */
import type { Frame, Recording, Step, Traceback } from 'async-stacks-engine/schema'
import { deckRuntime, runtimeLabels } from './runtimes'

/**
 * The kinds of program the talk compares, each with its own colour and badge: a runtime's
 * programs are one flavour, named by its language (from its runtime.json) — except Python's,
 * which the talk splits in two, with and without asyncio (`sync`, `asyncio`): that split is
 * the talk's own idea, kept here.
 */
export type Flavor = string

/** The talk's own flavours of Python, with their own words and colour (styles/index.css). */
const PYTHON_FLAVORS: Record<string, { label: string, color: string }> = {
  sync: { label: 'sync Python', color: 'var(--deck-sync)' },
  asyncio: { label: 'async Python', color: 'var(--deck-asyncio)' },
}

export function flavorOf(recording: Recording): Flavor {
  const { language, source } = recording.demo
  if (language !== 'python')
    return language
  return /\basync\s+def\b/.test(source) ? 'asyncio' : 'sync'
}

/** What a badge calls a flavour: `sync Python`, `async JavaScript`, a plug-in's declared label or name. */
export function flavorLabel(flavor: Flavor): string {
  const runtime = deckRuntime(flavor)
  return PYTHON_FLAVORS[flavor]?.label ?? runtime.label ?? runtime.name
}

/** A flavour's colour: the talk's for Python's two, else the one its runtime.json declares. */
export function flavorColor(flavor: Flavor): string {
  return PYTHON_FLAVORS[flavor]?.color ?? deckRuntime(flavor).color
}

/** The CSS variables a flavoured element takes its colour from (`--flavor`, `--flavor-color`). */
export function flavorStyle(flavor: Flavor): Record<string, string> {
  const color = flavorColor(flavor)
  return { '--flavor': color, '--flavor-color': color }
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
  const labels = runtimeLabels(recording.demo.language)
  const physical = userNames(step.physicalStack)
  const chain = step.asyncChains?.find(c => c.current) ?? step.asyncChains?.[0]
  const logical = chain ? userNames(chain.frames) : []
  const arrow = (names: string[]) => names.join(' → ')
  switch (step.kind) {
    case 'idle':
      if (labels.idle && !step.asyncChains)
        return labels.idle
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
      if (step.detail?.includes('raised again'))
        return `${plainName(step.function)} raises the task's stored exception again (future.result()): the traceback joins this stack to the task's`
      if (recording.steps.some(s => s.kind === 'raise' && s.index < step.index && s.function !== step.function))
        return `the exception reaches ${plainName(step.function)}: its frame is on the stack, so it joins the traceback`
      if (labels.rebuiltBy && step.errorStack) {
        // What Error.stack gets: only the async functions awaiting this one, not the debugger's chain.
        const rebuilt = userNames(step.errorStack.filter(f => f.isAsync))
        return rebuilt.length
          ? `${plainName(step.function)} throws: only ${arrow(physical)} is on the stack; ${labels.rebuiltBy} rebuilds ${rebuilt.slice().reverse().map(n => `async ${n}`).join(' / ')} from the promise chain`
          : `${plainName(step.function)} throws: Error.stack gets ${arrow(physical) || 'one callback'} alone; only the debugger remembers ${arrow(logical)}`
      }
      if (labels.rebuiltBy && logical.some(n => !physical.includes(n)))
        return `${plainName(step.function)} throws: only ${arrow(physical)} is on the stack; ${labels.rebuiltBy} rebuilds ${logical.filter(n => !physical.includes(n)).reverse().map(n => `async ${n}`).join(' / ')} from the promise chain`
      return `${plainName(step.function)} ${labels.raises}: ${arrow(physical)} ${physical.length > 1 ? 'are' : 'is'} on the stack`
    case 'call':
      return `call ${plainName(step.function)}`
    case 'return':
      return `${plainName(step.function)} returns`
    default:
      return `${plainName(step.function)}, line ${step.line ?? '?'}`
  }
}
