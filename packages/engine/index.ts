/**
 * The trace engine's front door: which runtime runs which demo (engine/runtimes.ts), and one
 * call to record.
 */
import type { RecordOptions } from './adapter'
import { engineConfig } from './config'
import { checkDemoFile, type Demo } from './demos'
import { portablePaths, portableRecording } from './portable'
import { hasPstree } from './python'
import { adapterFor, runtimeOf } from './runtimes'
import type { Language, Recording, RunEvent, RuntimeInfo } from './schema'
import { DEFAULT_OUTPUT_CAP_BYTES, OutputCapReached } from './spawn'

export class RuntimeMissingError extends Error {
  constructor(public readonly language: Language, detail: string) {
    super(detail)
    this.name = 'RuntimeMissingError'
  }
}

const discovered = new Map<string, Promise<RuntimeInfo[]>>()

/**
 * Every installation of a language's runtime, default first, looking in `runtimesDir` (the
 * project's, engine/config.ts) besides PATH and the version managers; once per process.
 */
export function runtimesFor(language: Language, runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo[]> {
  const key = `${language}\0${runtimesDir}`
  let found = discovered.get(key)
  if (!found) {
    found = adapterFor(language).then(adapter => adapter.discover(runtimesDir))
    discovered.set(key, found)
  }
  return found
}

const defaults = new Map<string, Promise<RuntimeInfo | null>>()

/** A language's default runtime (`runtimesFor(language)[0]`), or null; looked up once per process. */
export function defaultRuntimeFor(language: Language, runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo | null> {
  const key = `${language}\0${runtimesDir}`
  let found = defaults.get(key)
  if (!found) {
    const all = discovered.get(key)
    found = all ? all.then(runtimes => runtimes[0] ?? null) : adapterFor(language).then(adapter => adapter.discoverDefault(runtimesDir))
    defaults.set(key, found)
  }
  return found
}

/** The runtime a demo runs under by default; throws RuntimeMissingError naming what to install. */
export async function defaultRuntime(demo: Demo): Promise<RuntimeInfo> {
  // The demo's project's runtimes folder (engine/config.ts), besides PATH and the version managers.
  const runtime = await defaultRuntimeFor(demo.language, engineConfig({ root: demo.root }).runtimesDir)
  if (!runtime)
    throw new RuntimeMissingError(demo.language, `no ${demo.language} runtime found for ${demo.file}: ${runtimeOf(demo.language)?.installHint ?? 'no runtime of this language is registered'}`)
  return runtime
}

/** The newest CPython >= 3.14 here: the one that can look at a run from outside (`python -m asyncio pstree`). */
export async function pstreeRuntime(runtimesDir = engineConfig().runtimesDir): Promise<RuntimeInfo | null> {
  return (await runtimesFor('python', runtimesDir)).filter(hasPstree).sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))[0] ?? null
}

/**
 * Run a demo traced under a runtime (the default one if not given) and return its recording.
 * The demo's file is read again first (still the regular file that was listed, never a link);
 * what comes out, events included, keeps no path of this machine (portable.ts `portablePaths`).
 */
export async function recordDemo(demo: Demo, options: Omit<RecordOptions, 'demo' | 'runtime'> & { runtime?: RuntimeInfo } = {}): Promise<Recording> {
  checkDemoFile(demo)
  const runtime = options.runtime ?? await defaultRuntime(demo)
  const { onEvent } = options
  const portableEvent = (event: RunEvent): RunEvent => {
    if (event.type === 'end')
      return { ...event, recording: portableRecording(event.recording, demo) }
    if (event.type === 'start')
      return { ...event, runtime: { ...event.runtime, executable: portablePaths(event.runtime.executable, demo) } }
    if (event.type === 'error')
      return { ...event, message: portablePaths(event.message, demo) }
    return event // output, steps and the outside view: made portable by the adapter as they stream
  }
  // The cap counts first (it may mark the end truncated), then paths are made portable.
  const portable = { ...options, onEvent: onEvent && ((event: RunEvent) => onEvent(portableEvent(event))) }
  const adapter = await adapterFor(demo.language)
  const recording = await adapter.record({ ...portable, ...capStream(portable), demo, runtime })
  return portableRecording(recording, demo)
}

/**
 * Everything a run streams counts against its output cap: the program's output (which
 * spawnLimited also cuts to the byte) and its steps, as serialized. Every adapter's events
 * pass here, so this is the one place that counts them. Past the cap nothing more is passed
 * on, and the run is stopped (OutputCapReached: killed, marked truncated), even when the
 * steps come after the program ended (Rust's, from its panic on): the recording is then
 * marked truncated too.
 */
function capStream(options: Pick<RecordOptions, 'onEvent' | 'signal' | 'outputCapBytes'>): Pick<RecordOptions, 'onEvent' | 'signal'> {
  const cap = options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES
  const stop = new AbortController()
  let streamed = 0
  const onEvent = (event: RunEvent) => {
    if (event.type === 'output' || event.type === 'step') {
      if (stop.signal.aborted)
        return
      streamed += event.type === 'output' ? Buffer.byteLength(event.chunk.text) : Buffer.byteLength(JSON.stringify(event))
      if (streamed > cap) {
        stop.abort(new OutputCapReached(cap))
        return
      }
    }
    else if (event.type === 'end' && stop.signal.aborted) {
      event.recording.run.truncated = true
    }
    options.onEvent?.(event)
  }
  return { onEvent, signal: options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal }
}
