/**
 * What Node printed for an uncaught error, found in stderr and parsed.
 *
 * Formats handled (all verbatim, nothing reworded):
 * - the fatal-exception block of Node 10+: `file:///…:7` / source line / caret / blank /
 *   `Error: …` / `    at …` lines / extra properties / (Node 18+) `Node.js v20.…`;
 * - Node 8/10 ES modules, which print a rejected loader promise without the source header;
 * - the UnhandledPromiseRejectionWarning block of Node 8–14, where the process goes on and
 *   exits 0.
 */
import type { Frame } from '../schema'

export interface PrintedTraceback {
  text: string
  exception: { type: string, message: string }
  /** Outermost first, as printed (not relativized). */
  frames: PrintedFrame[]
}

export interface PrintedFrame {
  function: string
  location: string
  file: string
  line: number | null
  column: number | null
  isAsync: boolean
}

const AT_LINE = /^\s+at /
const CARET_LINE = /^\s*\^+\s*$/
const HEADER_LINE = /^\S.*:\d+$/
const WARNING = /^\(node:\d+\) UnhandledPromiseRejectionWarning: /
const WARNING_FOLLOW_UP = /^\(node:\d+\) (UnhandledPromiseRejectionWarning: Unhandled promise rejection|\[DEP0018\] DeprecationWarning: )/
const ERROR_HEAD = /^(?:\{ |\[)?([A-Za-z_$][\w$.]*(?:Error|Exception|Rejection|Warning)?)(?:: |\]|$)/

/**
 * The traceback in a run's stderr, or null. `exitCode` and `signal` decide whether the
 * program died of an uncaught error (a killed or timed-out run has no traceback).
 */
export function extractTraceback(stderr: string, exitCode: number | null, signal: string | null = null): PrintedTraceback | null {
  const lines = stderr.split('\n')
  // Node 8-14: an unhandled rejection is only a warning, the process goes on.
  const warningAt = lines.findIndex(line => WARNING.test(line))
  if (warningAt !== -1) {
    let end = warningAt + 1
    while (end < lines.length && AT_LINE.test(lines[end]!))
      end++
    while (end < lines.length && WARNING_FOLLOW_UP.test(lines[end]!))
      end++
    const block = lines.slice(warningAt, end)
    const first = block[0]!.replace(/^\(node:\d+\) UnhandledPromiseRejectionWarning: /, '')
    return build(block.join('\n'), [first, ...block.slice(1)])
  }
  if (signal !== null || exitCode === null || exitCode === 0)
    return null

  // Drop the trailing empty line(s) so the block ends at the last printed line.
  let end = lines.length
  while (end > 0 && lines[end - 1] === '')
    end--
  if (end === 0)
    return null

  // The fatal-exception header: `location:line`, the source line, the caret.
  for (let i = end - 3; i >= 0; i--) {
    if (HEADER_LINE.test(lines[i]!) && CARET_LINE.test(lines[i + 2]!)) {
      const block = lines.slice(i, end)
      let body = i + 3
      while (body < end && lines[body] === '')
        body++
      return build(block.join('\n'), lines.slice(body, end))
    }
  }
  // No header (Node 8/10 ES modules): the last error head followed by `at` lines.
  for (let i = end - 1; i >= 0; i--) {
    if (ERROR_HEAD.test(lines[i]!) && i + 1 < end && AT_LINE.test(lines[i + 1]!)) {
      const block = lines.slice(i, end)
      return build(block.join('\n'), block)
    }
  }
  // A thrown non-error with nothing else printed: the last line is all there is.
  const last = lines[end - 1]!
  return build(last, [last])
}

function build(text: string, body: string[]): PrintedTraceback {
  const firstAt = body.findIndex(line => AT_LINE.test(line))
  const headLines = firstAt === -1 ? body.slice(0, 1) : body.slice(0, firstAt)
  const head = headLines.join('\n')
  const frames: PrintedFrame[] = []
  if (firstAt !== -1) {
    for (let i = firstAt; i < body.length && AT_LINE.test(body[i]!); i++) {
      // Node 8/10 print extra properties on the last `at` line: `at <anonymous> code: 'E' }`.
      const frame = parseAtLine(body[i]!)
      if (frame)
        frames.push(frame)
    }
  }
  return { text, exception: parseHead(head), frames: frames.reverse() }
}

export function parseHead(head: string): { type: string, message: string } {
  let text = head.replace(/^\{ /, '')
  const bracketed = /^\[([A-Za-z_$][\w$]*): ([\s\S]*)\](?: \{)?$/.exec(text)
  if (bracketed)
    return { type: bracketed[1]!, message: bracketed[2]! }
  text = text.replace(/ \{$/, '')
  const named = /^([A-Za-z_$][\w$.]*): ([\s\S]*)$/.exec(text)
  if (named)
    return { type: named[1]!, message: named[2]! }
  if (/^[A-Za-z_$][\w$]*(Error|Exception)$/.test(text))
    return { type: text, message: '' }
  // A thrown value that is not an Error (`throw 'text'`, `Promise.reject(42)`).
  return { type: '(thrown value)', message: text.split('\n')[0]! }
}

export function parseAtLine(line: string): PrintedFrame | null {
  const match = /^\s+at (.*)$/.exec(line)
  if (!match)
    return null
  // Node 8/10 print an error's extra properties after its last frame: `at f (x.js:1:2) code: 'E' }`.
  // Node 10+ open the properties on the last frame's line: `at main (x.mjs:13:13) {`.
  let rest = match[1]!.replace(/\) [\w$]+: .*\}$/, ')').replace(/^(<anonymous>|native) [\w$]+: .*\}$/, '$1').replace(/ \{$/, '')
  let isAsync = false
  if (rest.startsWith('async ')) {
    isAsync = true
    rest = rest.slice('async '.length)
  }
  let name = '(anonymous)'
  let location = rest
  const withName = /^(.*?) \((.*)\)$/.exec(rest)
  if (withName) {
    name = withName[1]!
    location = withName[2]!
  }
  const position = /^(.*):(\d+):(\d+)$/.exec(location)
  if (position)
    return { function: name, location, file: position[1]!, line: Number(position[2]), column: Number(position[3]), isAsync }
  if (!withName && !/[/:\\]/.test(location)) {
    // `at <anonymous>` (Node 8) or a native frame printed without a location.
    return { function: location, location, file: location, line: null, column: null, isAsync }
  }
  return { function: name, location, file: location, line: null, column: null, isAsync }
}

/** Is this file the program's own code (not Node's internals, not a dependency)? */
export function isUserFile(file: string): boolean {
  if (file.startsWith('file://'))
    return !file.includes('/node_modules/')
  if (file.startsWith('/') || /^[A-Za-z]:\\/.test(file))
    return !file.includes('/node_modules/') && !file.includes('\\node_modules\\')
  return false
}

/** Printed frames as schema frames; `resolve` gives the project-relative file and the source line. */
export function toFrames(printed: PrintedFrame[], resolve: (file: string, line: number | null) => { file: string, source: string | null }): Frame[] {
  return printed.map((frame) => {
    const { file, source } = resolve(frame.file, frame.line)
    return {
      function: frame.function,
      file,
      line: frame.line,
      column: frame.column,
      source,
      isUser: isUserFile(frame.file),
      isAsync: frame.isAsync,
    }
  })
}
