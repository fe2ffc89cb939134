// @vitest-environment happy-dom
/**
 * The trace components, fed the committed recordings: at each click the right frame and
 * source line are marked, and the right stacks are shown.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import StackTimeline from 'slidev-addon-async-stacks/components/StackTimeline.vue'
import TraceCompare from 'slidev-addon-async-stacks/components/TraceCompare.vue'
import TracebackWalk from 'slidev-addon-async-stacks/components/TracebackWalk.vue'
import { framesInText, selectSteps } from 'slidev-addon-async-stacks/composables/frames'
import { getRecording, recordedDemos } from 'slidev-addon-async-stacks/composables/recordings'
import { currentClick } from '../support/slidev-client'

const demos = recordedDemos()
const withTraceback = demos.filter(demo => getRecording(demo).traceback)
const withSteps = demos.filter(demo => getRecording(demo).steps.length > 1)

let wrapper: VueWrapper | undefined
afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
  currentClick.value = 0
})

async function at(click: number) {
  currentClick.value = click
  await nextTick()
}

const text = (w: VueWrapper, selector: string) => w.findAll(selector).map(e => e.text())
/** The functions a stack pane shows, top first; folded runs of runtime frames count in full. */
const stackNames = (w: VueWrapper, selector: string) => w.findAll(`${selector} .frame`)
  .flatMap(f => f.attributes('data-function') ?? JSON.parse(f.attributes('data-functions')!) as string[])

describe('TracebackWalk', () => {
  it.each(withTraceback)('%s: each click marks the next printed frame and its source line', async (demo) => {
    const recording = getRecording(demo)
    const entries = framesInText(recording.traceback!)
    expect(entries.length).toBe(recording.traceback!.frames.length)
    wrapper = mount(TracebackWalk, { props: { demo, maxLines: 200 } })
    await flushPromises()
    expect(wrapper.find('.traceback-walk').attributes('data-steps')).toBe(String(entries.length))

    await at(0)
    expect(wrapper.findAll('.tb-line.current')).toHaveLength(0)
    expect(wrapper.findAll('.row.current')).toHaveLength(0)

    for (const [i, entry] of entries.entries()) {
      await at(i + 1)
      const marked = text(wrapper, '.tb-line.current')
      expect(marked.length, `click ${i + 1}`).toBe(entry.end - entry.start + 1)
      expect(marked[0]).toContain(/anonymous/.test(entry.frame.function) ? `${entry.frame.file}:${entry.frame.line}` : entry.frame.function)
      const row = wrapper.find('.row.current')
      if (entry.frame.file === recording.demo.file && entry.frame.line !== null)
        expect(row.attributes('data-line'), `click ${i + 1}: source line`).toBe(String(entry.frame.line))
      else
        expect(row.exists(), `click ${i + 1}: an internal frame marks no source line`).toBe(false)
    }
  })

  it('dims runtime-internal frames instead of hiding them', async () => {
    const demo = withTraceback.find(d => getRecording(d).traceback!.frames.some(f => !f.isUser))!
    wrapper = mount(TracebackWalk, { props: { demo, maxLines: 200 } })
    await at(0)
    const internal = getRecording(demo).traceback!.frames.filter(f => !f.isUser)
    const dimmed = text(wrapper, '.tb-line.internal').join('\n')
    for (const frame of internal)
      expect(dimmed).toContain(frame.function)
  })
})

describe('StackTimeline', () => {
  it.each(withSteps)('%s: each click shows the recorded step, its line and both stacks', async (demo) => {
    const recording = getRecording(demo)
    const shown = selectSteps(recording.steps, 'all')
    wrapper = mount(StackTimeline, { props: { demo, steps: 'all' } })
    for (const [i, step] of shown.entries()) {
      await at(i)
      const root = wrapper.find('.stack-timeline')
      expect(root.attributes('data-kind'), `click ${i}`).toBe(step.kind)
      expect(root.attributes('data-line')).toBe(String(step.line ?? ''))
      const physical = stackNames(wrapper, '.physical')
      expect(physical, `click ${i}: thread stack`).toEqual(step.physicalStack.map(f => f.function).reverse())
      const chain = step.asyncChains?.find(c => c.current) ?? step.asyncChains?.[0]
      const logical = stackNames(wrapper, '.logical')
      expect(logical, `click ${i}: async stack`).toEqual((chain?.frames ?? []).map(f => f.function).reverse())
      // V8 can stop just past the last line (the module's end): there is no line to mark there.
      const sourceLines = recording.demo.source.replace(/\n$/, '').split('\n').length
      if (step.file === recording.demo.file && step.line !== null && step.line <= sourceLines)
        expect(wrapper.find('.row.current').attributes('data-line'), `click ${i}: source line`).toBe(String(step.line))
    }
  })
})

describe('TraceCompare', () => {
  it('reveals one column per click and marks each function kept or lost', async () => {
    const compared = withTraceback.slice(0, 3)
    wrapper = mount(TraceCompare, { props: { demos: compared } })
    await at(0)
    expect(wrapper.findAll('thead th:not(.hidden)')).toHaveLength(2)
    await at(compared.length - 1)
    expect(wrapper.findAll('thead th:not(.hidden)')).toHaveLength(compared.length + 1)
    for (const [column, demo] of compared.entries()) {
      const kept = getRecording(demo).traceback!.frames.filter(f => f.isUser)
      const cells = wrapper.findAll('tbody tr[data-row]').map(row => row.findAll('td')[column]!)
      expect(cells.filter(c => c.classes('kept')), demo).toHaveLength(kept.length)
    }
  })
})
