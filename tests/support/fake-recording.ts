/** A small recording for tests that only need its shape: a Python demo that failed, by default. */
import type { Recording } from 'async-stacks-engine/schema'

export function fakeRecording(run: Partial<Recording['run']> = {}, demo: Partial<Recording['demo']> = {}): Recording {
  return {
    schemaVersion: 1,
    demo: { name: 'demo', file: 'demos/demo.py', language: 'python', source: '', ...demo },
    runtime: { name: 'CPython', version: '3.11.7', executable: '/usr/bin/python3' },
    command: ['python3', 'demos/demo.py'],
    recordedAt: '2025-01-01T00:00:00Z',
    run: { exitCode: 1, signal: null, wallTimeMs: 600, timedOut: false, truncated: false, output: [{ stream: 'stderr', atMs: 600, text: 'Traceback\nException: x\n' }], ...run },
    traceback: null,
    steps: [],
    stepsNote: null,
  }
}
