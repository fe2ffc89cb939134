/**
 * Just enough reading of a JavaScript source to decide where a breakpoint is harmless.
 *
 * Every pause makes the inspector describe the frames' `this` and, at a return location,
 * the returned value. Describing an Error reads its `stack`, which makes V8 format the
 * stack trace then and there — and a formatted error no longer knows where it was thrown,
 * so if it later ends up as an unhandled rejection Node prints the internal
 * `node:internal/process/promises` line as the header instead of the program's line.
 * So the tracer never pauses where the value at hand can be an Error it did not see
 * printed yet: inside constructors (`this` is the new object) or at the return of
 * `return <expression>` / `=> <expression>`.
 */
import { parse } from 'acorn'
import { lineOffsets } from '../line-offsets'
import type { V8BreakLocation } from './v8types'

type Node = { type: string, start: number, end: number, [key: string]: unknown }

/** The program's syntax tree: as a module, else as a script (`.js` under CommonJS); null if it does not parse. */
function parseProgram(source: string): Node | null {
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(source, {
        ecmaVersion: 'latest',
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: sourceType === 'script',
        allowAwaitOutsideFunction: true,
      }) as unknown as Node
    }
    catch {}
  }
  return null
}

/** Every node below `node`, depth first. */
function* nodesIn(node: Node): Generator<Node> {
  yield node
  for (const value of Object.values(node)) {
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child === 'object' && typeof (child as Node).type === 'string')
        yield* nodesIn(child as Node)
    }
  }
}

/**
 * Offsets [open brace, close brace] of every class `constructor(…) { … }` body (none where
 * the source does not parse: V8 will not run it either).
 */
export function constructorBodies(source: string): Array<[number, number]> {
  const program = parseProgram(source)
  if (!program)
    return []
  const bodies: Array<[number, number]> = []
  for (const node of nodesIn(program)) {
    if (node.type === 'MethodDefinition' && node.kind === 'constructor') {
      const body = (node.value as Node).body as Node
      bodies.push([body.start, body.end - 1])
    }
  }
  return bodies
}

export interface BreakpointPlan {
  /** Locations to set a breakpoint on. */
  locations: V8BreakLocation[]
  /** `line:column` (0-based) of the return locations among them. */
  safeReturns: Set<string>
}

/** Which of a script's possible break locations get a breakpoint. */
export function planBreakpoints(source: string, locations: V8BreakLocation[]): BreakpointPlan {
  const lines = source.split('\n')
  const offsets = lineOffsets(lines)
  const bodies = constructorBodies(source)
  const inConstructor = (at: number) => bodies.some(([open, close]) => at > open && at <= close)
  const planned: V8BreakLocation[] = []
  const safeReturns = new Set<string>()
  let lastLine = -1
  locations.forEach((location, index) => {
    const column = location.columnNumber ?? 0
    const text = lines[location.lineNumber] ?? ''
    const at = (offsets[location.lineNumber] ?? source.length + 1) + column
    if (inConstructor(at))
      return
    // Later locations on a line already planned are sub-expressions of its statement
    // (`await sleep(100)`: the call after the statement) — not a new line, just one more
    // pause — unless a function body starts there (`(resolve) => setTimeout(…)`).
    if (location.type !== 'return' && location.lineNumber === lastLine && !/(=>|\{)\s*$/.test(text.slice(0, column)))
      return
    if (location.type === 'return') {
      // The script's own end (older V8 puts it right after the last statement): it returns nothing of the program's.
      const scriptEnd = index === locations.length - 1 && text.slice(column).trim() === ''
      if (!scriptEnd && !isSafeReturn(text, column))
        return
      safeReturns.add(`${location.lineNumber}:${column}`)
    }
    planned.push(location)
    lastLine = location.lineNumber
  })
  return { locations: planned, safeReturns }
}

/** A return location that can only return `undefined`: a function's closing `}`, a bare `return`, the end of a script. */
export function isSafeReturn(line: string, column: number): boolean {
  const after = line.slice(column)
  const before = line.slice(0, column).trimEnd()
  if (/^\s*class\b/.test(after))
    return false // a class's implicit constructor: it returns the new object
  if (/^\s*\}/.test(after))
    return !/\breturn\s+[^;\s}]/.test(lastStatement(before)) && !/=>\s*[^{\s]/.test(lastStatement(before))
  if (/\breturn\s*;?$/.test(before))
    return true
  return before === '' && after.trim() === ''
}

/** The text after the last `;` or `{` (the statement a return location closes). */
function lastStatement(before: string): string {
  const cut = Math.max(before.lastIndexOf(';'), before.lastIndexOf('{'))
  return before.slice(cut + 1)
}

/**
 * Lines of a script where a line breakpoint can go before the script is even parsed
 * (`setBreakpointByUrl`), so that its first statements are caught even when the runtime
 * does not stop at the start (Node 8 with ES modules): lines that start a statement,
 * not a closing brace, not a comment, not inside a constructor.
 */
export function statementLines(source: string): number[] {
  const lines = source.split('\n')
  const bodies = constructorBodies(source)
  const result: number[] = []
  let offset = 0
  lines.forEach((line, index) => {
    const trimmed = line.trim()
    const at = offset + line.search(/\S|$/)
    offset += line.length + 1
    // Not a closing bracket or a comment; not a class (its line is the location of the
    // implicit constructor's return, which hands back the new object).
    if (!trimmed || /^(\}|\)|\]|\/\/|\/\*|\*)/.test(trimmed) || /^(export\s+)?(default\s+)?class\b/.test(trimmed))
      return
    if (bodies.some(([open, close]) => at > open && at <= close))
      return
    result.push(index)
  })
  return result
}
