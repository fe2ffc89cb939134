// @vitest-environment happy-dom
/**
 * The components take a runtime's colour, name and words from its runtime.json: a runtime
 * added as a plug-in (tests/fixtures/runtime-bash) shows in the colour it declares, and the
 * built-in ones in theirs, with nothing in the components naming a language.
 */
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import RunBadge from 'slidev-addon-async-stacks/components/RunBadge.vue'
import { describeStep, flavorLabel, flavorOf } from 'slidev-addon-async-stacks/composables/frames'
import { addDeckRuntime, runtimeLabels } from 'slidev-addon-async-stacks/composables/runtimes'
import type { Recording } from 'async-stacks-engine/schema'
import nodeRuntime from 'async-stacks-engine/node/runtime.json'
import bashRuntime from '../fixtures/runtime-bash/runtime.json'
import { fakeRecording } from '../support/fake-recording'

const recording = (language: string, source = ''): Recording => fakeRecording({}, { language, source })

const badge = (rec: Recording) => mount(RunBadge, { props: { recording: rec } }).get('.run-badge')

describe('runtimes on the component side', () => {
  it('a plug-in runtime (bash) renders in the colour and with the name its runtime.json declares', () => {
    addDeckRuntime(bashRuntime)
    const shown = badge(recording('bash'))
    expect(shown.attributes('style')).toContain(`--flavor: ${bashRuntime.color}`)
    expect(shown.get('.kind').text()).toBe('Bash')
    // No labels declared: the default words.
    expect(runtimeLabels('bash')).toMatchObject({ asyncStack: 'Async stack (logical)', raises: 'raises' })
  })

  it('the built-in runtimes take theirs from engine/<runtime>/runtime.json', () => {
    const shown = badge(recording('javascript'))
    expect(shown.attributes('style')).toContain(`--flavor: ${nodeRuntime.color}`)
    expect(shown.get('.kind').text()).toBe(nodeRuntime.label)
    expect(runtimeLabels('rust').raises).toBe('panics')
  })

  it('keeps the talk\'s own split of Python: with and without asyncio', () => {
    expect(flavorOf(recording('python', 'def main(): pass'))).toBe('sync')
    expect(flavorOf(recording('python', 'async def main(): pass'))).toBe('asyncio')
    expect(flavorLabel('asyncio')).toBe('async Python')
    expect(badge(recording('python', 'async def f(): pass')).attributes('style')).toContain('--flavor: var(--deck-asyncio)')
  })

  it('a language nobody declares still renders: its id, in the muted colour', () => {
    expect(badge(recording('cobol')).attributes('style')).toContain('--flavor: var(--deck-muted)')
    expect(describeStep({ index: 0, atMs: 0, kind: 'raise', function: 'f', file: 'x', line: 1, physicalStack: [], asyncChains: null } as never, recording('cobol'))).toContain('f raises')
  })
})
