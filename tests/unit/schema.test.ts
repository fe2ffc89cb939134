import { describe, expect, it } from 'vitest'
import { parseRecording } from 'async-stacks-engine/schema'

describe('recording schema', () => {
  it('names the file and the field when a recording is invalid', () => {
    expect(() => parseRecording({ schemaVersion: 1 }, 'recordings/x.json')).toThrow(/recordings\/x\.json: invalid recording at `demo`/)
    expect(() => parseRecording({}, 'recordings/y.json')).toThrow(/recordings\/y\.json: invalid recording at `schemaVersion`/)
  })
})
