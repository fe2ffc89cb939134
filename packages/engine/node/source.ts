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
export function constructorBodies(source: string, program = parseProgram(source)): Array<[number, number]> {
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
  const program = parseProgram(source)
  const bodies = constructorBodies(source, program)
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
      if (!scriptEnd && !isSafeReturn(source, program, at))
        return
      safeReturns.add(`${location.lineNumber}:${column}`)
    }
    planned.push(location)
    lastLine = location.lineNumber
  })
  return { locations: planned, safeReturns }
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'])
const CLASSES = new Set(['ClassDeclaration', 'ClassExpression'])

/**
 * A return location (offset `at` in the source) that can only return `undefined`: a bare
 * `return`, a function's closing brace, the script's end. Read from the syntax tree: the
 * innermost `return` statement, function or class around `at` says what is returned there
 * (`return <expression>`, an arrow's expression body and a class's implicit constructor hand
 * back a value). A source that does not parse has no safe return.
 */
export function isSafeReturn(source: string, program: Node | null, at: number): boolean {
  if (!program)
    return false
  // V8 may report `return x }` (no semicolon) at the brace that ends it: that location is the return's.
  const endOf = (node: Node) => (node.type === 'ReturnStatement' && /^[ \t]*$/.test(source.slice(node.end, at)) ? Math.max(node.end, at) : node.end)
  let innermost: Node | null = null
  for (const node of nodesIn(program)) {
    const kind = node.type === 'ReturnStatement' || FUNCTIONS.has(node.type) || CLASSES.has(node.type)
    if (kind && node.start <= at && at <= endOf(node) && (!innermost || endOf(node) - node.start <= endOf(innermost) - innermost.start))
      innermost = node
  }
  if (!innermost)
    return true // the script's own end
  if (innermost.type === 'ReturnStatement')
    return innermost.argument === null
  if (CLASSES.has(innermost.type))
    return false // a class's implicit constructor: it returns the new object
  return !(innermost.type === 'ArrowFunctionExpression' && innermost.expression === true)
}

/** The program's syntax tree (module, else script; null if it does not parse), for `isSafeReturn`. */
export const syntaxTree = parseProgram

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
