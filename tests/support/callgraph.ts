/**
 * Our logical chains (`asyncChains`, the tracer's own walk) against the runtime's call graph
 * (`callGraph`, CPython 3.14's asyncio.capture_call_graph) recorded at the same steps.
 *
 * At every step that has a call graph, every task of ours is a task of the runtime's, in the
 * same order, and its chain is the runtime's coroutine stack, frame for frame (function, file,
 * line). One exception, by design: at an `await` step the running task's chain goes on past
 * the frame that suspends with the coroutines that suspended just before it in the same
 * instant (tracer.py `suspended_chain`), which the runtime, reading a running task off the
 * thread's stack, does not see yet. There the runtime's stack must be the start of our chain,
 * and the rest of our chain must be exactly what the runtime shows at that depth of the same
 * task at the next step where the task is no longer running (read through `cr_await`).
 */
import type { CallGraphNode, Frame, Recording } from 'async-stacks-engine/schema'

const key = (frame: Frame) => `${frame.function} (${frame.file}:${frame.line ?? '?'})`
const keys = (frames: Frame[]) => frames.map(key)
const show = (frames: string[]) => `[${frames.join(' → ')}]`

export interface CallGraphCheck { compared: number, problems: string[] }

/**
 * Where the runtime's call graph misses the chain, by design of the demo (slides.md, "What
 * the call graph misses"). Each problem of such a demo must be its gap, and there must be some.
 *
 * async_gen: an async generator iterated with `async for`. A suspended task's coroutine
 * stack stops at the frame doing `async for` (its cr_await is the generator's `asend`
 * awaitable, which has no frame to follow); at the await steps our tracer, reading the
 * thread's stack, names the generator and what it awaits.
 *
 * gen_coro: a generator-based coroutine (`@types.coroutine`, `yield from`). foo's cr_await is
 * then a plain generator, which has gi_yieldfrom but no cr_await (nor ag_await), so
 * asyncio/graph.py's walk of a suspended task stops at foo, line 18. Our tracer follows
 * gi_yieldfrom (tracer.py `chains`): at every idle, resume and await step where Task-2 is
 * suspended there, our chain goes on with bar and what it awaits, the runtime's is foo alone.
 * (While Task-2 runs, the runtime reads the thread's stack and shows bar too: they agree.)
 */
export const KNOWN_GAPS: Readonly<Record<string, RegExp>> = {
  async_gen: /^demos\/async_gen\.py \(CPython 3\.14\.\d+\) step \d+ \(await in \w+\): Task-2: our chain goes on with \[.*\] past the runtime's \[foo \(demos\/async_gen\.py:16\)(?: → bar \(demos\/async_gen\.py:11\))?\], but once suspended the runtime shows \[foo \(demos\/async_gen\.py:16\)\] there$/,
  gen_coro: /^demos\/gen_coro\.py \(CPython 3\.14\.\d+\) step \d+ \((?:idle|resume|await) in \w+\): Task-2: our chain \[foo \(demos\/gen_coro\.py:18\) → bar \(demos\/gen_coro\.py:1[23]\) → [^\]]+\], the runtime's \[foo \(demos\/gen_coro\.py:18\)\]$/,
}

export function compareChainsWithCallGraph(recording: Recording): CallGraphCheck {
  const problems: string[] = []
  const where = `${recording.demo.file} (${recording.runtime.name} ${recording.runtime.version})`
  let compared = 0
  const { steps } = recording
  steps.forEach((step, i) => {
    const graph = step.callGraph
    if (!graph)
      return
    const at = `${where} step ${step.index} (${step.kind} in ${step.function})`
    const chains = step.asyncChains ?? []
    const tasks = graph.filter(node => node.task)
    const labels = new Set(graph.map(node => node.label))
    if (chains.map(c => c.label).join(',') !== tasks.map(t => t.label).join(','))
      problems.push(`${at}: our tasks [${chains.map(c => c.label).join(', ')}], the runtime's [${tasks.map(t => t.label).join(', ')}]`)
    for (const node of graph) {
      for (const parent of node.awaitedBy) {
        if (!labels.has(parent))
          problems.push(`${at}: ${node.label} is awaited by ${parent}, which is not in the graph`)
      }
    }
    for (const chain of chains) {
      const node = tasks.find(t => t.label === chain.label)
      if (!node)
        continue
      compared++
      const ours = keys(chain.frames)
      const theirs = keys(node.frames)
      if (step.kind === 'await' && chain.current && ours.length > theirs.length) {
        const head = ours.slice(0, theirs.length)
        const tail = ours.slice(theirs.length)
        if (head.join('\n') !== theirs.join('\n')) {
          problems.push(`${at}: ${chain.label}: our chain ${show(ours)} does not start with the runtime's ${show(theirs)}`)
          continue
        }
        const later = nextSuspended(recording, i, chain.label)
        const shown = later ? keys(later.frames).slice(theirs.length, theirs.length + tail.length) : []
        if (tail.join('\n') !== shown.join('\n'))
          problems.push(`${at}: ${chain.label}: our chain goes on with ${show(tail)} past the runtime's ${show(theirs)}, but once suspended the runtime shows ${later ? show(keys(later.frames)) : 'nothing'} there`)
      }
      else if (ours.join('\n') !== theirs.join('\n')) {
        problems.push(`${at}: ${chain.label}: our chain ${show(ours)}, the runtime's ${show(theirs)}`)
      }
    }
  })
  return { compared, problems }
}

/** The task's node at the first later step with a call graph where it is not the running task. */
function nextSuspended(recording: Recording, from: number, label: string): CallGraphNode | null {
  for (const step of recording.steps.slice(from + 1)) {
    if (!step.callGraph)
      continue
    const chain = step.asyncChains?.find(c => c.label === label)
    if (!chain)
      return null
    if (!chain.current)
      return step.callGraph.find(node => node.task && node.label === label) ?? null
  }
  return null
}
