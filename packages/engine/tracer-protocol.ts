/**
 * The tracer protocol: what a tracer running beside or inside the program (CPython's
 * `engine/python/tracer.py`, gdb's `engine/rust/gdb_tracer.py`) writes on fd 3, one JSON
 * object per line, and how the engine reads it: every line validated against these
 * schemas, a line that is not valid kept as a warning (never thrown), the steps turned
 * into the recording's. docs/recording-format.md describes it for a tracer's author.
 *
 * Version 1. Keys are short (a step is written thousands of times); frames are
 * `[file, line, column, function]`, every list of them outermost first.
 */
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { z } from 'zod'
import type { TraceContext } from './adapter'
import type { Demo } from './demos'
import { StepKindSchema, type AsyncChain, type Frame, type OutputChunk, type Step } from './schema'
import { readLines, round, spawnLimited, type LimitedSpawn, type LimitedSpawnResult } from './spawn'

/** Raised whenever an event's meaning changes; a tracer says which it speaks in `hello`. */
export const TRACER_PROTOCOL_VERSION = 1

/** `[file, line or null, column (1-based) or null, function]`: the file as the runtime names it (absolute). */
export const TracerFrameSchema = z.tuple([z.string(), z.number().int().nullable(), z.number().int().nullable(), z.string()])
export type TracerFrame = z.infer<typeof TracerFrameSchema>

/** The first event: the tracer runs and holds the program; the runtime, where the tracer runs inside it. */
export const HelloEventSchema = z.object({
  e: z.literal('hello'),
  v: z.literal(TRACER_PROTOCOL_VERSION),
  /** The demo's absolute path. */
  demo: z.string(),
  /** How steps are taken (`settrace`, `monitoring`, `gdb`). */
  backend: z.string(),
  impl: z.string().optional(),
  version: z.string().optional(),
  executable: z.string().optional(),
  /** The most steps it will send before `capped`. */
  maxSteps: z.number().int().optional(),
})

export const StepEventSchema = z.object({
  e: z.literal('step'),
  /** The step's number, from 0 (informative: the engine counts the steps it receives). */
  i: z.number().int().optional(),
  k: StepKindSchema,
  /** Program time, ms (tracer time taken out). */
  t: z.number(),
  /** The physical stack, outermost first. */
  s: z.array(TracerFrameSchema),
  /** The logical async chains (asyncio's tasks), or null. */
  a: z.array(z.object({
    l: z.string(),
    c: z.boolean(),
    s: z.array(TracerFrameSchema),
    w: z.string().nullable(),
  })).nullable(),
  d: z.string().nullable(),
  /** Where the step is, when that is not the innermost frame of `s` (a frame that just returned). */
  at: TracerFrameSchema.optional(),
  /** The runtime's own async call graph (CPython 3.14+ `asyncio.capture_call_graph`): label, is-a-task, frames, awaited by. */
  g: z.array(z.object({ l: z.string(), t: z.boolean(), s: z.array(TracerFrameSchema), b: z.array(z.string()) })).optional(),
  /** The tracer holds the program after this step until the engine writes one byte on fd 3 (the step can be looked at from outside). */
  h: z.literal(1).optional(),
})

export const CappedEventSchema = z.object({ e: z.literal('capped'), n: z.number().int(), why: z.string() })

/** The uncaught exception, where the tracer can see it (CPython): frames outermost first, with their source lines. */
export const ExcEventSchema = z.object({
  e: z.literal('exc'),
  type: z.string(),
  msg: z.string().nullable(),
  frames: z.array(z.tuple([z.string(), z.number().int().nullable(), z.number().int().nullable(), z.string(), z.string().nullable()])),
  printed: z.string().nullable(),
  compile: z.boolean(),
  hook: z.enum(['default', 'custom', 'unknown']),
})

/** The program is exiting: its exit as far as the tracer knows; whether its code ran at all. */
export const EndEventSchema = z.object({
  e: z.literal('end'),
  exit: z.number().int().nullable(),
  signal: z.string().nullable().optional(),
  started: z.boolean(),
  /** Steps sent, whether the step limit was reached, the tracer's own time (ms): informative. */
  steps: z.number().int().optional(),
  capped: z.boolean().optional(),
  overheadMs: z.number().optional(),
  /** Steps left out close to the recursion limit. */
  skipped: z.number().int().optional(),
})

export const WarnEventSchema = z.object({ e: z.literal('warn'), msg: z.string() })

export const TracerEventSchema = z.discriminatedUnion('e', [
  HelloEventSchema, StepEventSchema, CappedEventSchema, ExcEventSchema, EndEventSchema, WarnEventSchema,
])
export type TracerEvent = z.infer<typeof TracerEventSchema>
export type HelloEvent = z.infer<typeof HelloEventSchema>
export type ExcEvent = z.infer<typeof ExcEventSchema>

/** What a tracer said about the run besides its steps. */
export interface TracerReport {
  hello: HelloEvent | null
  capped: z.infer<typeof CappedEventSchema> | null
  exc: ExcEvent | null
  end: z.infer<typeof EndEventSchema> | null
  warnings: string[]
}

/** Source lines of the files frames point at, each file read once. */
export class SourceLines {
  private files = new Map<string, string[] | null>()
  constructor(private demo: Demo) {}

  line(file: string, line: number | null): string | null {
    if (!line || line < 1)
      return null
    let lines = this.files.get(file)
    if (lines === undefined) {
      try {
        lines = (file === this.demo.absPath ? this.demo.source : readFileSync(file, 'utf8')).split(/\r?\n/)
      }
      catch {
        lines = null
      }
      this.files.set(file, lines)
    }
    return lines?.[line - 1]?.trim() || null
  }
}

/** A protocol frame as the recording's (paths still this machine's: the pipeline makes them portable). */
export function frameOf([file, line, column, name]: TracerFrame, demo: Demo, sources: SourceLines): Frame {
  return { function: name, file, line, column, source: sources.line(file, line), isUser: file === demo.absPath, isAsync: false }
}

/**
 * Read a tracer's events as they come: each step handed on as the recording's step, the
 * rest kept in the report. Call `report()` once the pipe is closed.
 */
export function readTracer(pipe: Readable, demo: Demo, onStep: (step: Step) => void, onHello?: (hello: HelloEvent) => void, onHeld?: (step: Step) => void): () => TracerReport {
  const report: TracerReport = { hello: null, capped: null, exc: null, end: null, warnings: [] }
  const sources = new SourceLines(demo)
  const toFrame = (frame: TracerFrame) => frameOf(frame, demo, sources)
  let index = 0
  readLines(pipe, (line) => {
    let event: TracerEvent
    try {
      const parsed = TracerEventSchema.safeParse(JSON.parse(line))
      if (!parsed.success) {
        report.warnings.push(`unreadable tracer event (${parsed.error.issues[0]!.message}): ${line.slice(0, 200)}`)
        return
      }
      event = parsed.data
    }
    catch {
      report.warnings.push(`unreadable tracer event: ${line.slice(0, 200)}`)
      return
    }
    switch (event.e) {
      case 'hello': report.hello = event; onHello?.(event); break
      case 'capped': report.capped = event; break
      case 'exc': report.exc = event; break
      case 'end': report.end = event; break
      case 'warn': report.warnings.push(event.msg); break
      case 'step': {
        const physicalStack = event.s.map(toFrame)
        const here = event.at ? toFrame(event.at) : physicalStack.at(-1)
        const asyncChains: AsyncChain[] | null = event.a?.map(chain => ({
          label: chain.l,
          current: chain.c,
          frames: chain.s.map(toFrame),
          awaiting: chain.w,
        })) ?? null
        const step: Step = {
          index: index++,
          kind: event.k,
          atMs: round(event.t),
          file: here?.file ?? demo.absPath,
          line: here?.line ?? null,
          function: here?.function ?? '<unknown>',
          physicalStack,
          asyncChains,
          detail: event.d,
        }
        if (event.g)
          step.callGraph = event.g.map(node => ({ label: node.l, task: node.t, frames: node.s.map(toFrame), awaitedBy: node.b }))
        onStep(step)
        if (event.h)
          onHeld?.(step)
      }
    }
  })
  return () => report
}

/** Why a tracer's steps are partial or missing, in its report's words. */
export function tracerNotes(report: TracerReport, demo: Demo, exitCode: number | null, killed: boolean): string[] {
  const { hello, capped, exc, end, warnings } = report
  const notes: string[] = []
  if (capped)
    notes.push(`${capped.why}: the steps stop at ${capped.n}, the program ran on`)
  if (end?.skipped)
    notes.push(`${end.skipped} steps close to the recursion limit were left out`)
  if (end && !end.started && !exc?.compile)
    notes.push(`${demo.file} did not run (exit ${exitCode})`)
  if (hello && !end && !killed)
    notes.push('the program ended without the tracer seeing it end (os._exit() or a crash): the steps may stop early')
  if (warnings.length)
    notes.push(`the tracer reported: ${warnings.slice(0, 5).join('; ')}`)
  return notes
}

export interface TracedCommand {
  command: string
  args: string[]
  env?: Record<string, string>
  /** Pipes after fd 3 (gdb's own messages on fd 4). */
  morePipes?: number
  /** Output before `hello` is not the program's yet (or races ahead of it): hand it on only after (else it is `held`). */
  holdOutputUntilHello?: boolean
  /** The program is held after a step (`h`): `release` lets it go on; without this, it goes on at once. */
  onHeld?: (step: Step, release: () => void, pid: number | undefined) => void
}

/**
 * Run a command whose tracer speaks the protocol on fd 3, with the run's limits: its steps
 * go to the context as they come; `done` resolves once every pipe is closed, fd 3 too
 * (even one a grandchild held: see spawnLimited), with the tracer's report and the output
 * still held back when no `hello` came (the caller decides whether it was the program's).
 */
export function runTracer(traced: TracedCommand, context: TraceContext): { spawned: LimitedSpawn, done: Promise<{ run: LimitedSpawnResult, report: TracerReport, held: OutputChunk[] }> } {
  let early: OutputChunk[] | null = traced.holdOutputUntilHello ? [] : null
  const spawned = spawnLimited({
    command: traced.command,
    args: traced.args,
    env: traced.env,
    cwd: context.demo.root,
    timeoutMs: context.timeoutMs,
    outputCapBytes: context.outputCapBytes,
    extraPipes: 1 + (traced.morePipes ?? 0),
    onOutput: chunk => early ? early.push(chunk) : context.onOutput(chunk),
    signal: context.signal,
  })
  const release = () => {
    try {
      spawned.extra[0]!.write('g')
    }
    catch {} // the program is gone: nothing to let go
  }
  const report = readTracer(spawned.extra[0]!, context.demo, context.onStep, () => {
    early?.splice(0).forEach(context.onOutput)
    early = null
  }, step => traced.onHeld ? traced.onHeld(step, release, spawned.child.pid) : release())
  return { spawned, done: spawned.done.then(run => ({ run, report: report(), held: early ?? [] })) }
}
