/**
 * Runtimes are plug-ins: a folder with a runtime.json and an adapter is registered from
 * outside engine/ (tests/fixtures/runtime-bash: bash traced by a tracer in the tracer
 * protocol), its demos are listed and recorded through the one pipeline, nothing else edited.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listDemos } from 'async-stacks-engine/demos'
import { REPO_ROOT } from '../support/project'
import { recordDemo } from 'async-stacks-engine/index'
import { onPath } from 'async-stacks-engine/path-lookup'
import { BUILTIN_RUNTIMES } from 'async-stacks-engine/runtime-manifests'
import { languageOfExtension, parseRuntimeManifest, registerRuntime, registeredRuntimes, runtimeOf } from 'async-stacks-engine/runtimes'
import { RecordingSchema, type RunEvent } from 'async-stacks-engine/schema'
import { streamText } from 'async-stacks-engine/spawn'
import { scratchDir } from '../support/scratch'

describe('the runtime registry', () => {
  it('has the built-in runtimes, each from its folder\'s runtime.json', () => {
    expect(BUILTIN_RUNTIMES.map(runtime => runtime.folder)).toEqual(['node', 'python', 'rust'])
    expect(languageOfExtension('.py')).toBe('python')
    expect(languageOfExtension('.mjs')).toBe('javascript')
    expect(languageOfExtension('.rs')).toBe('rust')
    expect(runtimeOf('rust')?.installHint).toMatch(/rustup/)
  })

  it('refuses a runtime.json that is not one, naming the field', () => {
    expect(() => parseRuntimeManifest({ language: 'x', name: 'X', extensions: ['py'], shiki: 'x', color: 'red', installHint: 'h' }, 'x/runtime.json'))
      .toThrow(/x\/runtime.json: invalid runtime.json at `extensions.0`/)
  })
})

describe.skipIf(!onPath('bash'))('a runtime registered from a folder outside engine/', () => {
  it('lists its demos by extension and records one through the pipeline', async () => {
    const registered = registerRuntime(join(REPO_ROOT, 'tests/fixtures/runtime-bash'))
    expect(registered.language).toBe('bash')
    expect(registeredRuntimes().map(runtime => runtime.language)).toContain('bash')

    const dir = scratchDir('runtime-bash-')
    writeFileSync(join(dir, 'greet.sh'), 'greet() {\n  echo "hello from $1"\n}\ngreet bash\nexit 3\n')
    const demo = listDemos(dir).find(d => d.name === 'greet')!
    expect(demo.language).toBe('bash')

    const events: RunEvent[] = []
    const recording = await recordDemo(demo, { onEvent: event => events.push(event) })
    expect(() => RecordingSchema.parse(recording)).not.toThrow()
    expect(recording.demo.language).toBe('bash')
    expect(recording.command).toEqual(['bash', demo.file])
    expect(streamText(recording.run.output, 'stdout')).toBe('hello from bash\n')
    expect(recording.run.exitCode).toBe(3)
    expect(recording.traceback).toBeNull()
    expect(recording.stepsNote).toBeNull()
    expect(recording.steps.map(step => `${step.function}:${step.line}`)).toEqual(['main:4', 'greet:1', 'greet:2', 'main:5'])
    expect(recording.steps.every(step => step.file === demo.file && step.physicalStack[0]!.isUser)).toBe(true)
    // Output and steps come on two pipes: how they interleave is the scheduler's.
    expect(events.map(event => event.type)).toEqual(['start', ...events.slice(1, -1).map(event => event.type), 'end'])
    expect(events.filter(event => event.type === 'step')).toHaveLength(4)
    expect(events.filter(event => event.type === 'output')).toHaveLength(1)
  })
})
