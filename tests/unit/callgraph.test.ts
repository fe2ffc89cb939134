/**
 * CPython 3.14 proves our logical chains right: on every step of every Python demo that has
 * the runtime's own call graph (asyncio.capture_call_graph, recorded by the tracer at every
 * await, idle and resume step), our chain is the runtime's (tests/support/callgraph.ts says
 * exactly how), but where a demo shows the runtime's known gap (KNOWN_GAPS: async_gen, gen_coro), which
 * must then differ in that way only. Checked on the committed recordings, on fresh runs where this machine has a
 * 3.14, and shown to fail when a chain is altered.
 */
import { describe, expect, it } from 'vitest'
import { listDemos } from 'async-stacks-engine/demos'
import { discoverPythons, recordRun } from 'async-stacks-engine/python'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'
import { compareChainsWithCallGraph, KNOWN_GAPS } from '../support/callgraph'

const PY_DEMOS = listDemos().filter(d => d.language === 'python')
const committed = readManifest().filter(e => e.runtime === 'CPython' && e.version.startsWith('3.14.'))
const py314 = (await discoverPythons()).find(r => r.version.startsWith('3.14.'))
const GRAPH_KINDS = ['await', 'idle', 'resume']

function checkRecording(recording: Recording) {
  const { compared, problems } = compareChainsWithCallGraph(recording)
  const gap = KNOWN_GAPS[recording.demo.name]
  if (gap) {
    // The known gap, and nothing else (tests/support/callgraph.ts KNOWN_GAPS).
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.filter(p => !gap.test(p))).toEqual([])
  }
  else {
    expect(problems.join('\n')).toBe('')
  }
  const loopSteps = recording.steps.filter(s => s.asyncChains !== null)
  for (const step of recording.steps) {
    // A call graph at every await, idle and resume step while a loop runs; nowhere else.
    const wanted = step.asyncChains !== null && GRAPH_KINDS.includes(step.kind)
    expect(step.callGraph !== undefined, `${recording.demo.file} step ${step.index} (${step.kind})`).toBe(wanted)
  }
  if (loopSteps.length)
    expect(compared).toBeGreaterThan(0)
  return compared
}

describe('our chains against CPython 3.14\'s own call graph', () => {
  it('every Python demo has a committed 3.14 recording', () => {
    expect(committed.map(e => e.demo).sort()).toEqual(PY_DEMOS.map(d => d.name).sort())
  })

  it.each(committed.map(entry => ({ entry, label: `${entry.demo} (${entry.version})` })))('committed: $label', ({ entry }) => {
    checkRecording(readManifestRecording(entry))
  })

  it('older CPythons have no call graph (there was no API for it)', () => {
    for (const entry of readManifest().filter(e => e.runtime === 'CPython' && !e.version.startsWith('3.14.') && e.demo === 'async_loop'))
      expect(readManifestRecording(entry).steps.some(s => s.callGraph !== undefined)).toBe(false)
  })

  it.skipIf(!py314).each(PY_DEMOS.map(d => ({ d, label: d.name })))('fresh run under 3.14: $label', async ({ d }) => {
    const { recording } = await recordRun({ demo: d, runtime: py314!, timeoutMs: 20_000 })
    checkRecording(recording)
  })

  describe('an altered chain fails the check', () => {
    const base = (): Recording => structuredClone(readManifestRecording(committed.find(e => e.demo === 'async_loop')!))
    const idleWithBlowUp = (r: Recording) => r.steps.find(s => s.kind === 'idle' && s.asyncChains?.[0]?.frames.some(f => f.function === 'blow_up'))!
    const awaitWithTail = (r: Recording) => r.steps.find(s => s.kind === 'await' && s.asyncChains![0]!.frames.length > s.callGraph![0]!.frames.length)!
    const mutations: [string, (r: Recording) => void][] = [
      ['a frame dropped (bar) while the loop is idle', (r) => {
        const chain = idleWithBlowUp(r).asyncChains![0]!
        chain.frames = chain.frames.filter(f => f.function !== 'bar')
      }],
      ['two frames swapped', (r) => {
        const chain = idleWithBlowUp(r).asyncChains![0]!
        chain.frames = [chain.frames[1]!, chain.frames[0]!, ...chain.frames.slice(2)]
      }],
      ['a line changed', (r) => {
        idleWithBlowUp(r).asyncChains![0]!.frames[0]!.line! += 1
      }],
      ['the runtime-internal frame (sleep) left out', (r) => {
        const chain = idleWithBlowUp(r).asyncChains![0]!
        chain.frames = chain.frames.filter(f => f.isUser)
      }],
      ['a task renamed', (r) => {
        idleWithBlowUp(r).asyncChains![0]!.label = 'Task-9'
      }],
      ['a wrong frame past the suspending one at an await', (r) => {
        const chain = awaitWithTail(r).asyncChains![0]!
        chain.frames = [...chain.frames.slice(0, -1), { ...chain.frames.at(-1)!, function: 'bogus' }]
      }],
      ['a frame too many at a resume', (r) => {
        const chain = r.steps.find(s => s.kind === 'resume')!.asyncChains![0]!
        chain.frames = [...chain.frames, chain.frames.at(-1)!]
      }],
    ]
    it('the unaltered recording passes', () => {
      expect(compareChainsWithCallGraph(base()).problems).toEqual([])
    })
    it.each(mutations.map(([label, mutate]) => ({ label, mutate })))('$label', ({ mutate }) => {
      const r = base()
      mutate(r)
      expect(compareChainsWithCallGraph(r).problems.length).toBeGreaterThan(0)
    })
  })
})
