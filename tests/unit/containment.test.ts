/**
 * A run's processes die with the run: children that leave its process group or session,
 * ignore SIGTERM, hop from pid to pid or hold its pipes are all killed when the run ends
 * (normally, at the timeout, cancelled, at the output cap), the run ends on time even while
 * one of them holds its stdout, and its slot in the live-run server is free again at once.
 * Real processes throughout; every child sleeps at most 20 s, so a failure cannot hang.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killRun, newRunId, startTimeOf } from 'async-stacks-engine/contain'
import type { Recording } from 'async-stacks-engine/schema'
import { spawnLimited, streamText, type LimitedSpawnResult } from 'async-stacks-engine/spawn'
import { createLiveHandler, type LiveHandler } from 'slidev-addon-async-stacks/server/handler'
import type { LiveEvent } from 'slidev-addon-async-stacks/server/protocol'
import { scratchDemosDir } from '../support/scratch'
import { processesMentioning, streamRun, waitFor } from './server-support'

/** In the command line of every process these tests start, so that a survivor can be found. */
const TAG = `contained-${process.pid}-${Date.now()}`
const TIMEOUT_MS = 1_500
/** Traced runs start slower, four at once on two shared cores: time for each to start its child. */
const SERVER_TIMEOUT_MS = 5_000

/** A sleeper that ignores SIGTERM, with the tag (and what started it) in its command line. */
const sleeper = (what: string) => `[sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(20)", "${TAG}-${what}"]`

const DEMOS: Record<string, string> = {
  'new_session.py': [
    'import subprocess, sys, time',
    `subprocess.Popen(${sleeper('new-session')}, start_new_session=True)`,
    'print("child started", flush=True)',
    'time.sleep(20)',
  ].join('\n'),
  'double_fork.py': [
    'import os, sys, time',
    'if os.fork() == 0:',
    '    os.setsid()',
    '    if os.fork() == 0:',
    `        os.execv(sys.executable, ${sleeper('double-fork')})`,
    '    os._exit(0)',
    'os.wait()',
    'print("child started", flush=True)',
    'time.sleep(20)',
  ].join('\n'),
  'ignores_term.py': [
    'import signal, subprocess, sys, time',
    'signal.signal(signal.SIGTERM, signal.SIG_IGN)',
    `subprocess.Popen(${sleeper('ignores-term')}, start_new_session=True)`,
    'print("child started", flush=True)',
    'time.sleep(20)',
  ].join('\n'),
  'node_detached.mjs': [
    'import { spawn } from \'node:child_process\'',
    `spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setTimeout(() => {}, 20000)', '${TAG}-node-detached'], { detached: true, stdio: 'inherit' }).unref()`,
    'console.log(\'child started\')',
    'setTimeout(() => {}, 20000)',
  ].join('\n'),
  'exits_early.py': [
    'import subprocess, sys',
    `subprocess.Popen(${sleeper('exits-early')}, start_new_session=True)`,
    'print("bye")',
  ].join('\n'),
  'hello.py': 'print("hello")\n',
}
const ESCAPERS = ['new_session', 'double_fork', 'ignores_term', 'node_detached']

const endOf = (events: LiveEvent[]): Recording | undefined => {
  const last = events.at(-1)
  return last?.type === 'end' ? last.recording : undefined
}

async function listen(handler: LiveHandler): Promise<{ server: Server, port: number }> {
  const server = createServer((req, res) => handler(req, res))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

let demosDir: string

beforeAll(() => {
  demosDir = scratchDemosDir()
  for (const [file, source] of Object.entries(DEMOS))
    writeFileSync(join(demosDir, file), `${source}\n`)
})

afterAll(() => {
  // Only for a failing run: what the engine left behind must not outlive the tests.
  for (const pid of processesMentioning(TAG)) {
    try {
      process.kill(pid, 'SIGKILL')
    }
    catch {}
  }
})

describe('live runs whose children try to outlive them', () => {
  let handler: LiveHandler
  let server: Server
  let port: number

  beforeAll(async () => {
    handler = createLiveHandler({ demosDir, timeoutMs: SERVER_TIMEOUT_MS })
    ;({ server, port } = await listen(handler))
  })
  afterAll(() => new Promise<void>(resolve => server?.close(() => resolve())))

  it('four at once (every slot): each ends at its timeout, nothing they started survives, and the next run starts at once', async () => {
    expect(handler.manager.maxConcurrent).toBe(ESCAPERS.length)
    const started = performance.now()
    const runs = await Promise.all(ESCAPERS.map(name => streamRun(port, name)))
    const elapsed = performance.now() - started
    for (const [i, run] of runs.entries()) {
      const recording = endOf(run.events)
      expect(recording, `${ESCAPERS[i]} ends with its recording`).toBeDefined()
      // The child was started before the timeout: the test is not passing for want of one.
      expect(streamText(recording!.run.output, 'stdout'), `${ESCAPERS[i]}: ${JSON.stringify(recording!.run)} ${recording!.stepsNote}`).toContain('child started')
      expect(recording!.run.timedOut, ESCAPERS[i]).toBe(true)
    }
    expect(elapsed).toBeLessThan(SERVER_TIMEOUT_MS + 3_000)
    expect(processesMentioning(TAG)).toEqual([])
    expect(processesMentioning(demosDir)).toEqual([])

    expect(handler.manager.running).toBe(0)
    const hello = await streamRun(port, 'hello')
    expect(hello.events[0]?.type).toBe('start')
    expect(endOf(hello.events)?.run.output.map(c => c.text).join('')).toBe('hello\n')
  })

  it('a program that exits normally, leaving a child in a session of its own on its stdout: the run ends soon after, and the child is killed', async () => {
    const run = await streamRun(port, 'exits_early')
    const recording = endOf(run.events)
    expect(recording?.run.exitCode).toBe(0)
    expect(recording?.run.timedOut).toBe(false)
    expect(streamText(recording!.run.output, 'stdout')).toBe('bye\n')
    // The end came soon after the program's last words, not when the child let go of stdout.
    const bye = run.events.findIndex(e => e.type === 'output' && e.chunk.text.includes('bye'))
    expect(run.arrivals.at(-1)! - run.arrivals[bye]!).toBeLessThan(1_000)
    expect(processesMentioning(`${TAG}-exits-early`)).toEqual([])
  })
})

describe('spawnLimited: whatever the program started dies with it', () => {
  /** `python3 escape.py <how> <then> <tag>`: start a child that escapes <how>, then <then>. */
  let escape: string
  beforeAll(() => {
    escape = join(demosDir, 'escape.py')
    writeFileSync(escape, [
      'import os, subprocess, sys, time',
      'how, then, tag = sys.argv[1:4]',
      'sleeper = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(20)", tag]',
      'if how == "scrubbed":',
      '    # No environment of its own, a session of its own: only its hold on our stdout gives it away.',
      '    subprocess.Popen(sleeper, start_new_session=True, env={})',
      'elif how == "double-fork":',
      '    if os.fork() == 0:',
      '        os.setsid()',
      '        if os.fork() == 0:',
      '            os.execv(sys.executable, sleeper)',
      '        os._exit(0)',
      '    os.wait()',
      'elif how == "hopper":',
      '    # A new pid and a new session every 10 ms, for 20 s at most.',
      '    if os.fork() == 0:',
      '        deadline = time.time() + 20',
      '        while time.time() < deadline:',
      '            os.setsid()',
      '            time.sleep(0.01)',
      '            if os.fork():',
      '                os._exit(0)',
      '        os._exit(0)',
      'print("escaped", flush=True)',
      'if then == "sleep":',
      '    time.sleep(20)',
      'elif then == "flood":',
      '    while True:',
      '        sys.stdout.write("x" * 1000 + "\\n")',
      '',
    ].join('\n'))
  })

  const run = (how: string, then: string, options: { signal?: AbortSignal, outputCapBytes?: number, extraPipes?: number } = {}) => {
    const tag = `${TAG}-${how}-${then}`
    const spawned = spawnLimited({ command: 'python3', args: [escape, how, then, tag], cwd: demosDir, timeoutMs: TIMEOUT_MS, ...options })
    return { tag, spawned, started: performance.now() }
  }

  const expectNoneLeft = async (tag: string) => {
    expect(processesMentioning(tag)).toEqual([])
    // Nothing comes back either (a forking process one step ahead of a single sweep).
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(processesMentioning(tag)).toEqual([])
  }

  it('at the timeout: a child with no environment of its own, in a session of its own, holding stdout', async () => {
    const { tag, spawned, started } = run('scrubbed', 'sleep')
    const result = await spawned.done
    expect(result.timedOut).toBe(true)
    expect(streamText(result.output, 'stdout')).toBe('escaped\n')
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2_000)
    await expectNoneLeft(tag)
  })

  it('at the timeout: a process that forks a new session of itself every 10 ms', async () => {
    const { tag, spawned, started } = run('hopper', 'sleep')
    const result = await spawned.done
    expect(result.timedOut).toBe(true)
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2_000)
    await expectNoneLeft(tag)
  })

  it('cancelled: a double-forked child holding stdout and the extra pipe (fd 3)', async () => {
    const controller = new AbortController()
    const { tag, spawned } = run('double-fork', 'sleep', { signal: controller.signal, extraPipes: 1 })
    spawned.child.stdout!.once('data', () => controller.abort())
    const cancelledAt = await new Promise<number>(resolve => controller.signal.addEventListener('abort', () => resolve(performance.now())))
    const result = await spawned.done
    expect(result.cancelled).toBe(true)
    expect(performance.now() - cancelledAt).toBeLessThan(1_000)
    await expectNoneLeft(tag)
  })

  it('at the output cap: the flood stops, and its double-forked child with it', async () => {
    const { tag, spawned, started } = run('double-fork', 'flood', { outputCapBytes: 64 * 1024 })
    const result = await spawned.done
    expect(result.truncated).toBe(true)
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS)
    await expectNoneLeft(tag)
  })

  it('a normal exit: the program ends, its child in another session keeps stdout and fd 3; the run ends within a second of the exit', async () => {
    const { tag, spawned } = run('double-fork', 'exit', { extraPipes: 1 })
    const exitedAt = new Promise<number>(resolve => spawned.child.once('exit', () => resolve(performance.now())))
    const result: LimitedSpawnResult = await spawned.done
    expect(performance.now() - await exitedAt).toBeLessThan(1_000)
    expect(result.exitCode).toBe(0)
    expect(result.timedOut).toBe(false)
    expect(streamText(result.output, 'stdout')).toBe('escaped\n')
    await expectNoneLeft(tag)
  })

  it('no process of the run is left once done resolves, even with nothing escaping', async () => {
    const { tag, spawned } = run('none', 'exit')
    const result = await spawned.done
    expect(result.exitCode).toBe(0)
    await waitFor(() => processesMentioning(tag).length === 0, 100, 'the program itself is still there')
  })
})

describe('killRun after the program is gone: its pid may name another process by then', () => {
  /** A stranger: a process in a group and session of its own, as a new run's program would be. */
  const stranger = (what: string) => {
    const child = spawn('python3', ['-c', 'import time; time.sleep(20)', `${TAG}-${what}`], { detached: true, stdio: 'ignore' })
    child.unref()
    return child.pid!
  }
  const alive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1')) // a zombie is dead, only not reaped
    }
    catch {
      return false
    }
  }

  it('a process that got the pid later (another start time) is left alone, with its group and session', async () => {
    const pid = stranger('reused')
    await waitFor(() => startTimeOf(pid) !== null, 2_000, 'the stranger did not start')
    const realStart = Number(startTimeOf(pid))
    await killRun({ runId: newRunId(), leader: pid, pipes: [], leaderStart: String(realStart - 1) }, () => false)
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(alive(pid)).toBe(true)
    process.kill(-pid, 'SIGKILL')
  })

  it('the same pid with the program\'s own start time is the run\'s, and is killed', async () => {
    const pid = stranger('same')
    await waitFor(() => startTimeOf(pid) !== null, 2_000, 'the stranger did not start')
    await killRun({ runId: newRunId(), leader: pid, pipes: [], leaderStart: startTimeOf(pid) }, () => false)
    await waitFor(() => !alive(pid), 2_000, 'the run\'s own program survived')
  })
})
