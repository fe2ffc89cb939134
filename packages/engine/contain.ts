/**
 * Containment: when a run ends, every process it started dies with it, including those that
 * left its process group or session (`setsid`, a double fork, Python's
 * `start_new_session=True`, Node's `detached: true`) and those that ignore SIGTERM.
 *
 * How the sweep finds them (Linux, /proc), without relying on the process tree, which
 * forgets an orphan as soon as it is re-parented:
 *   - the environment: every run gets its own `DECK_RUN_ID=<random>`, which every fork and
 *     exec inherits unless the program builds a new environment on purpose; the sweep reads
 *     `/proc/<pid>/environ` of every process it may read (the same user's);
 *   - the session and process group: the program is spawned detached, so its pid names
 *     both, and a process that only left the group (or dropped the variable) is still found;
 *   - the run's pipes, while they are open: whatever holds the program's stdout, stderr or
 *     extra pipes (`/proc/<pid>/fd`) is the run's, whatever its environment; that is exactly
 *     the process that would keep the run from ever ending.
 * Each match gets SIGKILL (no catching, no ignoring). One pass can miss a process forked
 * while it reads /proc, so passes repeat until /proc lists no process not yet looked at.
 *
 * Pid reuse: the sweep runs after the program has exited and been reaped, and pids here
 * wrap at 32768, so the program's pid may by then name another process. The kernel hands a
 * pid out again only once no process uses it as pid, group or session; so as long as no
 * process has the leader's pid, a group or session of that number is still the run's, and
 * once one has, it is the run's only if it started when the program did (its start time
 * in /proc is kept at spawn). Otherwise the group and session are not touched: killing a
 * stranger's (another run's, the test runner's) is far worse than missing one.
 * The sweep runs when a run ends (a few milliseconds for a hundred processes), never
 * while it runs.
 *
 * Limits: a process that builds a fresh environment without the variable, leaves the
 * session and closes the run's pipes is out of reach (it can no longer hold up the run, at
 * least). Without /proc (macOS, Windows) only the process group is killed; the run still
 * ends on time, because spawnLimited stops waiting for pipes held open by a survivor.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** The environment variable that marks every process of one run. */
export const RUN_ID_VARIABLE = 'DECK_RUN_ID'

/** A sweep gives up after this long: a program forking faster than /proc can be read would keep it going. */
const MAX_SWEEP_MS = 2_000

const HAS_PROC = existsSync('/proc/self/environ')

export interface RunProcesses {
  /** The value of DECK_RUN_ID for this run. */
  runId: string
  /** The program's pid, which is also its process group and session (it was spawned detached). */
  leader: number
  /** The program's ends of its pipes (`socket:[123]`), as /proc shows them in every holder. */
  pipes: string[]
  /** When the program started (/proc/<pid>/stat field 22), to tell it from a later process given the same pid; null without /proc. */
  leaderStart: string | null
}

export function newRunId(): string {
  return randomBytes(12).toString('hex')
}

/** What the program's fds are, read from /proc right after it started; [] where there is no /proc. */
export function pipesOf(pid: number, fds: number[]): string[] {
  if (!HAS_PROC)
    return []
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)]
    }
    catch {
      return []
    }
  })
}

/** A process's start time in clock ticks since boot, or null (gone, or no /proc). */
export function startTimeOf(pid: number): string | null {
  if (!HAS_PROC)
    return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // Fields after `(comm)`: state is field 3, starttime field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  }
  catch {
    return null
  }
}

/** Whether the leader's pid still means this run: the program itself, or no process at all. */
function leaderPidIsTheRuns(run: RunProcesses): boolean {
  const now = startTimeOf(run.leader)
  return now === null || now === run.leaderStart
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  }
  catch {}
}

/**
 * Kill every process of the run: its process group at once, then sweep /proc until no
 * process of the run is left. `pipesOpen` says whether the run's pipes are still open (only
 * then are processes' fds looked at).
 */
export async function killRun(run: RunProcesses, pipesOpen: () => boolean): Promise<void> {
  if (process.platform === 'win32')
    kill(run.leader) // no process groups
  else if (leaderPidIsTheRuns(run))
    killGroup(run.leader)
  if (!HAS_PROC)
    return
  const marker = Buffer.from(`${RUN_ID_VARIABLE}=${run.runId}\0`)
  const giveUpAt = performance.now() + MAX_SWEEP_MS
  // A process once looked at never needs another look: one that is not the run's cannot
  // become the run's, and one that is was killed (and a killed process forks no more).
  // What a pass may miss is a process forked after it listed /proc (by one that then
  // exited, or that it killed): the next listing has it, so passes repeat until a listing
  // shows nothing new.
  const seen = new Set<number>([process.pid])
  for (;;) {
    const fresh = listPids().filter(pid => !seen.has(pid))
    if (fresh.length === 0 || performance.now() > giveUpAt)
      return
    const pipes = pipesOpen() ? new Set(run.pipes) : null
    const byGroup = leaderPidIsTheRuns(run)
    for (const pid of fresh) {
      seen.add(pid)
      if (isRunProcess(pid, run, marker, pipes, byGroup))
        kill(pid)
    }
    await new Promise(resolve => setImmediate(resolve))
  }
}

function listPids(): number[] {
  return readdirSync('/proc').map(Number).filter(Number.isInteger)
}

function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL')
  }
  catch {} // no such group left: nothing to do (never the pid alone, which may be another's by now)
}

function isRunProcess(pid: number, run: RunProcesses, marker: Buffer, pipes: Set<string> | null, byGroup: boolean): boolean {
  try {
    // `pid (comm) state ppid pgrp session …`; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const [state, , group, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (state === 'Z' || state === 'X') // dead already, only not reaped
      return false
    return (byGroup && (Number(group) === run.leader || Number(session) === run.leader))
      || readFileSync(`/proc/${pid}/environ`).includes(marker)
      || (pipes !== null && holdsAny(pid, pipes))
  }
  catch {
    return false // gone meanwhile, or another user's
  }
}

function holdsAny(pid: number, pipes: Set<string>): boolean {
  return readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return pipes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))
    }
    catch {
      return false
    }
  })
}
