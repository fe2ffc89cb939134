/**
 * What a run request may contain: a JSON object with `demo`, naming a demo listed from disk,
 * and optionally `pstree`, the name of a function of it (where to look at the running program
 * from outside: server/protocol.ts). Never a path, never code, never a PID. Plain functions
 * (the body's shape: zod), unit-tested without HTTP.
 */
import { z } from 'zod'
import { DEMO_NAME, scanDemos, type Demo, type DemoProblem } from 'async-stacks-engine/demos'
import type { Refusal } from './access'

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024

export function checkContentType(contentType: string | undefined): Refusal | null {
  const [type, ...params] = (contentType ?? '').split(';').map(part => part.trim().toLowerCase())
  const charsetOk = params.every(param => !param.startsWith('charset=') || param === 'charset=utf-8')
  if (type === 'application/json' && charsetOk)
    return null
  return {
    status: 415,
    code: 'bad-content-type',
    message: `a run request is JSON: send Content-Type: application/json (got ${JSON.stringify((contentType ?? '(none)').slice(0, 100))})`,
  }
}

export function checkContentLength(contentLength: string | undefined, maxBytes = DEFAULT_MAX_BODY_BYTES): Refusal | null {
  if (contentLength === undefined)
    return null
  if (!/^\d{1,15}$/.test(contentLength))
    return { status: 400, code: 'bad-body', message: 'the Content-Length header is not a number' }
  return Number(contentLength) > maxBytes ? tooLarge(maxBytes) : null
}

export function tooLarge(maxBytes = DEFAULT_MAX_BODY_BYTES): Refusal {
  return { status: 413, code: 'body-too-large', message: `a run request is at most ${maxBytes} bytes: send {"demo": "<name>"}` }
}

/** A function name (Python identifier, ASCII): where a run is looked at with pstree. */
const FUNCTION_NAME = /^[A-Za-z_]\w{0,63}$/

/** A run request's body: `demo`, and optionally `pstree` (their values are checked apart: each refusal has its own words). */
const RunBodySchema = z.object({ demo: z.string(), pstree: z.unknown().optional() }).strict()

/** The demo name (and pstree's function) from a run request's body, or why the body is refused. */
export function parseRunBody(raw: string): { name: string, pstree?: string } | Refusal {
  let data: unknown
  try {
    data = JSON.parse(raw)
  }
  catch {
    return { status: 400, code: 'bad-json', message: 'the request body is not JSON: send {"demo": "<name>"}' }
  }
  const body = RunBodySchema.safeParse(data)
  if (!body.success) {
    // A stray field is named first, whatever else is wrong.
    const issue = body.error.issues.find(found => found.code === 'unrecognized_keys') ?? body.error.issues[0]!
    if (issue.code === 'unrecognized_keys')
      return { status: 400, code: 'bad-body', message: `unexpected field ${JSON.stringify(issue.keys[0]!.slice(0, 40))}: the body is only {"demo": "<name>"} (and "pstree": "<function>")` }
    if (issue.path.length === 0)
      return { status: 400, code: 'bad-body', message: 'the request body must be a JSON object: {"demo": "<name>"}' }
    return { status: 400, code: 'bad-body', message: 'the field "demo" must be a string: the name of a file in demos/ without its extension' }
  }
  const { demo: name, pstree } = body.data
  if (!DEMO_NAME.test(name))
    return { status: 400, code: 'bad-name', message: `${JSON.stringify(name.slice(0, 80))} is not a demo name: a name is a file stem like "async_loop", never a path` }
  if (!('pstree' in body.data))
    return { name }
  if (typeof pstree !== 'string' || !FUNCTION_NAME.test(pstree))
    return { status: 400, code: 'bad-body', message: 'the field "pstree" must name a function of the demo (like "blow_up"): the program is looked at from outside while that function awaits' }
  return { name, pstree }
}

/**
 * The demo with this name in the demos directory, or a 404: naming the entry and why it is
 * not a demo when it is refused (a symbolic link …, reported to `onProblem` too), else
 * saying there is none. Entries that are not demos never block the others.
 */
export function resolveDemo(name: string, demosDir: string, onProblem?: (problem: DemoProblem) => void): { demo: Demo } | Refusal {
  const { demos, problems } = scanDemos(demosDir)
  for (const problem of problems)
    onProblem?.(problem)
  const demo = DEMO_NAME.test(name) ? demos.find(d => d.name === name) : undefined
  if (demo)
    return { demo }
  const refused = problems.find(problem => problem.name === name)
  if (refused)
    return { status: 404, code: 'unknown-demo', message: `there is no demo named ${JSON.stringify(name)}: ${refused.message}` }
  return { status: 404, code: 'unknown-demo', message: `there is no demo named ${JSON.stringify(name)} in demos/` }
}

export function isRefusal(value: object): value is Refusal {
  return 'status' in value && 'code' in value
}
