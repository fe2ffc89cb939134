/**
 * What `npm run record -- --check` compares between a committed recording and a fresh
 * run: the frames, the exception, the output and the outside view (pstree). Timings, PIDs and
 * addresses are ignored.
 */
import { streamText } from './spawn'
import type { Frame, Recording } from './schema'

/** Mask what legitimately differs from run to run. */
export function normalizeOutput(text: string): string {
  return text
    .replace(/\(node:\d+\)/g, '(node:PID)')
    .replace(/^(thread '[^']*') \(\d+\)/gm, '$1 (TID)')
    .replace(/\bpid[ =:]\d+/gi, 'pid PID')
    .replace(/0x[0-9a-f]{6,}/gi, '0xADDR')
    .replace(/ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/g, 'ws://127.0.0.1:PORT/ID')
    .replace(/\b\d+(\.\d+)?\s?(ms|s|µs)\b/g, 'TIME')
}

function frameKey(frame: Frame): string {
  return `${frame.isAsync ? 'async ' : ''}${frame.function} (${frame.file}:${frame.line ?? '?'}${frame.column ? `:${frame.column}` : ''})`
}

/** The differences that matter, in words; empty when the runs agree. */
export function diffRecordings(committed: Recording, fresh: Recording): string[] {
  const differences: string[] = []
  const a = committed.traceback
  const b = fresh.traceback
  if (!a !== !b) {
    differences.push(`traceback: ${a ? 'committed has one' : 'committed has none'}, fresh run ${b ? 'has one' : 'has none'}`)
  }
  else if (a && b) {
    if (a.exception.type !== b.exception.type || a.exception.message !== b.exception.message)
      differences.push(`exception: committed ${a.exception.type}: ${a.exception.message}, fresh ${b.exception.type}: ${b.exception.message}`)
    const af = a.frames.map(frameKey)
    const bf = b.frames.map(frameKey)
    if (af.join('\n') !== bf.join('\n'))
      differences.push(`frames: committed [${af.join(' → ')}], fresh [${bf.join(' → ')}]`)
  }
  if (committed.run.exitCode !== fresh.run.exitCode || committed.run.signal !== fresh.run.signal)
    differences.push(`exit: committed ${exitText(committed)}, fresh ${exitText(fresh)}`)
  if (committed.run.timedOut !== fresh.run.timedOut || committed.run.truncated !== fresh.run.truncated)
    differences.push(`run: committed ${runFlags(committed)}, fresh ${runFlags(fresh)}${fresh.stepsNote ? ` (fresh run's notes: ${fresh.stepsNote})` : ''}`)
  // The program seen from outside (pstree): unless the fresh run could not look (ptrace refused here …).
  const was = committed.outsideView
  const now = fresh.outsideView
  if (!was !== !now)
    differences.push(`outside view: ${was ? 'committed has one' : 'committed has none'}, fresh run ${now ? 'has one' : 'has none'}`)
  else if (was && now && !now.note && normalizeOutput(was.stdout) !== normalizeOutput(now.stdout))
    differences.push(`outside view (${now.command.slice(0, -1).join(' ')}): ${firstDifference(normalizeOutput(was.stdout), normalizeOutput(now.stdout))}`)
  for (const stream of ['stdout', 'stderr'] as const) {
    const before = normalizeOutput(streamText(committed.run.output, stream))
    const after = normalizeOutput(streamText(fresh.run.output, stream))
    if (before !== after)
      differences.push(`${stream}: ${firstDifference(before, after)}`)
  }
  return differences
}

function exitText(recording: Recording): string {
  return recording.run.signal ? `killed by ${recording.run.signal}` : `code ${recording.run.exitCode}`
}

function runFlags(recording: Recording): string {
  const { timedOut, truncated, wallTimeMs } = recording.run
  return [timedOut && 'timed out', truncated && 'truncated'].filter(Boolean).join(', ') || `ended by itself after ${Math.round(wallTimeMs)} ms`
}

function firstDifference(before: string, after: string): string {
  const a = before.split('\n')
  const b = after.split('\n')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: committed ${JSON.stringify(a[i] ?? '(none)')}, fresh ${JSON.stringify(b[i] ?? '(none)')}`
  }
  return 'differs'
}
