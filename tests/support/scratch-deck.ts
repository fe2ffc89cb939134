/**
 * A copy of the deck in a git-ignored folder inside the checkout, with the checkout's
 * node_modules hard-linked in (a second or two; Vite serves packages only from inside the
 * deck's workspace), served by a real Slidev dev server. Tests that attack the
 * server use it: whatever an attack did, it did to the copy, and the copy's files can be
 * compared before and after.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { ROOT } from './deck'

export const SCRATCH_DECKS = join(ROOT, '.test-decks')

/** A deck built on the addon that the attack tests run against: the talk, and the example deck. */
export interface DeckUnderTest {
  name: string
  /** Its folder in the checkout ('' for the talk at the root). */
  dir: string
  /** One of its demos: the one an attacker asks to run. */
  demo: string
  demoFile: string
  /** Its package.json's name: what a read of package.json would give away. */
  packageName: string
}

export const DECKS_UNDER_TEST: DeckUnderTest[] = [
  { name: 'the talk', dir: '', demo: 'sync', demoFile: 'demos/sync.py', packageName: 'async-stack-traces-talk' },
  { name: 'the example deck', dir: 'examples/minimal', demo: 'worker', demoFile: 'demos/worker.py', packageName: 'async-stacks-example' },
]

export interface ScratchDeck {
  /** The deck's folder in the copy (the copy's root for the talk). */
  root: string
  port: number
  url: string
  server: ChildProcess
  /** Every file of the copy (the whole checkout) with its content, to compare before and after. */
  snapshot: () => Map<string, string>
  /** Demo programs running from the copy: processes whose working directory is in it and whose command names demos/. */
  programs: () => number[]
  output: () => string
  stop: () => Promise<void>
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** The whole checkout, copied: a deck in a subfolder still finds the workspace's packages. */
function copyCheckout(name: string): string {
  const root = join(SCRATCH_DECKS, `${name}-${process.pid}`)
  rmSync(root, { recursive: true, force: true })
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    cpSync(join(ROOT, file), join(root, file))
  }
  execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(root, 'node_modules')])
  return root
}

function listFiles(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.name === '.slidev' || entry.name === 'node_modules')
      continue
    if (entry.isDirectory())
      listFiles(path, base, out)
    else
      out.set(path.slice(base.length + 1), entry.isSymbolicLink() ? `-> ${readlinkSync(path)}` : readFileSync(path, 'latin1'))
  }
  return out
}

export interface ScratchDeckOptions {
  args?: string[]
  env?: Record<string, string>
  /** Run the server through this command (e.g. `ip netns exec <ns>`). */
  prefix?: string[]
  /** How to tell the server answers (default: a fetch of its localhost URL). */
  answers?: (port: number) => Promise<boolean>
  /** The deck's folder in the checkout (DeckUnderTest.dir); the talk by default. */
  deck?: string
}

export async function startScratchDeck(name: string, options: ScratchDeckOptions = {}): Promise<ScratchDeck> {
  const { args = [], env = {}, prefix = [] } = options
  const copy = copyCheckout(name)
  const root = join(copy, options.deck ?? '')
  const port = await freePort()
  const answers = options.answers ?? (async (port: number) => (await fetch(`http://localhost:${port}/`)).ok)
  let output = ''
  const command = [...prefix, process.execPath, join(copy, 'node_modules/@slidev/cli/bin/slidev.mjs'), '--port', String(port), '--open=false', ...args]
  const server = spawn(command[0]!, command.slice(1), {
    cwd: root,
    env: { ...process.env, ...env, CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  server.stdout!.on('data', (data: Buffer) => output += data)
  server.stderr!.on('data', (data: Buffer) => output += data)
  const url = `http://localhost:${port}/`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (server.exitCode !== null)
      throw new Error(`the scratch deck's server exited: ${output}`)
    try {
      if (await answers(port))
        break
    }
    catch {}
    if (Date.now() > deadline)
      throw new Error(`the scratch deck did not answer on ${url} in 60 s: ${output}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  return {
    root,
    port,
    url,
    server,
    snapshot: () => listFiles(copy), // the whole copy: an attack on the example deck must not reach the talk either
    programs: () => readdirSync('/proc').filter(pid => /^\d+$/.test(pid) && Number(pid) !== server.pid).filter((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`)
        return (cwd === copy || cwd.startsWith(`${copy}/`)) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demos/')
      }
      catch {
        return false
      }
    }).map(Number),
    output: () => output,
    async stop() {
      try {
        process.kill(-server.pid!, 'SIGKILL')
      }
      catch {}
      await new Promise(resolve => setTimeout(resolve, 100))
      rmSync(copy, { recursive: true, force: true })
    },
  }
}

/** What changed between two snapshots: added, removed or different files. */
export function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed = new Set<string>()
  for (const [file, content] of after) {
    if (before.get(file) !== content)
      changed.add(file)
  }
  for (const file of before.keys()) {
    if (!after.has(file))
      changed.add(file)
  }
  return [...changed].sort()
}
