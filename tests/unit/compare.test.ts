/** What `npm run record -- --check` counts as a difference between a committed recording and a fresh run. */
import { describe, expect, it } from 'vitest'
import { diffRecordings } from 'async-stacks-engine/compare'
import { findEntry } from 'async-stacks-engine/recording-lookup'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'

const committed = readManifestRecording(findEntry(readManifest(), 'async'))
const copy = (): Recording => structuredClone(committed)

describe('record --check', () => {
  it('ignores what differs from run to run: times, process ids', () => {
    const before = copy()
    const fresh = copy()
    fresh.recordedAt = '2030-01-01T00:00:00.000Z'
    fresh.run.wallTimeMs += 123
    fresh.run.output = fresh.run.output.map(chunk => ({ ...chunk, atMs: chunk.atMs + 5, text: `${chunk.text}(node:4242) took 12 ms\n` }))
    before.run.output = before.run.output.map(chunk => ({ ...chunk, text: `${chunk.text}(node:1) took 7 ms\n` }))
    expect(diffRecordings(before, fresh)).toEqual([])
  })

  it('names a changed frame, exception or exit', () => {
    const fresh = copy()
    fresh.traceback!.frames[0]!.line = 99
    fresh.traceback!.exception.message = 'other'
    fresh.run.exitCode = 2
    const differences = diffRecordings(committed, fresh).join('\n')
    expect(differences).toMatch(/^frames: /m)
    expect(differences).toMatch(/^exception: .*fresh Error: other/m)
    expect(differences).toMatch(/^exit: committed code 1, fresh code 2/m)
  })

  it('says when the fresh run was killed at the timeout, with its notes, so a failure explains itself', () => {
    const fresh = copy()
    fresh.run.timedOut = true
    fresh.run.exitCode = null
    fresh.run.signal = 'SIGKILL'
    fresh.stepsNote = 'Could not trace: inspector refused'
    const differences = diffRecordings(committed, fresh).join('\n')
    expect(differences).toMatch(/^exit: committed code 1, fresh killed by SIGKILL/m)
    expect(differences).toMatch(/^run: committed ended by itself after \d+ ms, fresh timed out \(fresh run's notes: Could not trace: inspector refused\)/m)
  })
})
