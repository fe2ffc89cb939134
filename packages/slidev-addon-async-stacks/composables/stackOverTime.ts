/**
 * The stack over time (Nick Fitzgerald's picture), read from a recording's steps: each
 * frame of the thread's stack as a bar from when it went on the stack to when it left,
 * and the logical async chain (our own frames of it) over the same time axis.
 */
import type { Frame, Recording, Step } from 'async-stacks-engine/schema'

export interface Bar {
  function: string
  isUser: boolean
  /** Row: 0 is the bottom of the stack. */
  depth: number
  startMs: number
  endMs: number
}

export interface StackOverTime {
  physical: Bar[]
  logical: Bar[]
  /** The time axis runs from 0 to the last step. */
  endMs: number
}

/** The chain a step shows: the running task's, else the first. */
function chainOf(step: Step): Frame[] | null {
  const chain = step.asyncChains?.find(c => c.current) ?? step.asyncChains?.[0]
  return chain ? chain.frames : null
}

/**
 * Stacks keyed by (depth, function): a frame is the same bar as long as it stays at its
 * depth under the same callers. A step's stack holds from that step to the next; after a
 * `return` or an `await` step of the innermost frame, that frame has left the stack (the
 * recording shows the stack as the function returns or suspends); a stack left with none
 * of our frames after that has returned to the event loop, and is empty until the next step.
 */
export function stackOverTime(recording: Recording): StackOverTime {
  const steps = recording.steps
  const endMs = Math.max(0, ...steps.map(s => s.atMs))
  const physical: Bar[] = []
  const logical: Bar[] = []
  let open: Bar[] = []
  let openLogical: Bar[] = []

  const settle = (list: Bar[], out: Bar[], next: { function: string, isUser: boolean }[], at: number) => {
    let keep = 0
    while (keep < list.length && keep < next.length && list[keep]!.function === next[keep]!.function)
      keep++
    for (const bar of list.slice(keep)) {
      bar.endMs = at
      out.push(bar)
    }
    const kept = list.slice(0, keep)
    for (let depth = keep; depth < next.length; depth++)
      kept.push({ function: next[depth]!.function, isUser: next[depth]!.isUser, depth, startMs: at, endMs: at })
    return kept
  }

  // The logical chain is drawn from the lowest row any of its functions held on the thread.
  let base = Infinity
  for (const step of steps) {
    const chain = (chainOf(step) ?? []).filter(f => f.isUser)
    for (const [i, frame] of step.physicalStack.entries()) {
      if (frame.isUser && chain.some(c => c.function === frame.function))
        base = Math.min(base, i - chain.findIndex(c => c.function === frame.function))
    }
  }
  if (!Number.isFinite(base))
    base = 0
  base = Math.max(0, base)

  for (const step of steps) {
    open = settle(open, physical, step.physicalStack, step.atMs)
    const top = step.physicalStack.at(-1)
    if ((step.kind === 'return' || step.kind === 'await') && top && top.function === step.function) {
      open = settle(open, physical, step.physicalStack.slice(0, -1), step.atMs)
      if (!open.some(bar => bar.isUser))
        open = settle(open, physical, [], step.atMs)
    }
    const chain = chainOf(step)
    openLogical = settle(openLogical, logical, (chain ?? []).filter(f => f.isUser), step.atMs)
  }
  open = settle(open, physical, [], endMs)
  settle(openLogical, logical, [], endMs)
  for (const bar of logical)
    bar.depth += base
  const order = (a: Bar, b: Bar) => a.startMs - b.startMs || a.depth - b.depth
  return { physical: physical.sort(order), logical: logical.sort(order), endMs }
}
