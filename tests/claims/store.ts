/**
 * The recordings a claim rests on, as one value a check reads and a mutation test can
 * alter in memory: a claim check is a function of a Store, so the test can hand it a store
 * where a frame is gone, frames are reordered, a recording is missing … and see it fail.
 */
import { versionMatches } from 'async-stacks-engine/recording-lookup'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { compareVersions } from 'async-stacks-engine/versions'
import type { Frame, Recording, Step } from 'async-stacks-engine/schema'

export interface Entry {
  demo: string
  version: string
  default: boolean
  recording: Recording
}
export type Store = readonly Entry[]

/** A recording: the demo's default (no version), or one version (`3.11.7`, `10`, `nightly`). */
export interface Ref {
  demo: string
  version?: string
}

/** Every recording the manifest lists, read and validated. */
export function loadStore(): Store {
  return readManifest().map(entry => ({ demo: entry.demo, version: entry.version, default: entry.default, recording: readManifestRecording(entry) }))
}


export function matches(entry: Entry, ref: Ref): boolean {
  return entry.demo === ref.demo && (ref.version === undefined ? entry.default : versionMatches(entry.version, ref.version))
}

export const refName = (ref: Ref) => `${ref.demo} ${ref.version ?? '(default)'}`

/** The one recording of a ref; throws when there is none (a missing recording fails the claim). */
export function get(store: Store, ref: Ref): Recording {
  const found = store.filter(entry => matches(entry, ref))
  if (found.length === 0)
    throw new Error(`no recording of ${refName(ref)}: run npm run record${ref.version ? ' -- --matrix' : ''}`)
  if (found.length > 1)
    throw new Error(`${refName(ref)} matches ${found.length} recordings: name the version exactly`)
  return found[0]!.recording
}

const numbers = (version: string) => version.split(/[.-]/).map(Number).filter(n => !Number.isNaN(n))
/** Whether `version` is in the range `from`…`to` (major.minor compared; both ends included). */
function inRange(version: string, from?: string, to?: string): boolean {
  const cut = (v: string, like: string) => numbers(v).slice(0, numbers(like).length).join('.')
  return (from === undefined || compareVersions(cut(version, from), from) >= 0) && (to === undefined || compareVersions(cut(version, to), to) <= 0)
}

/**
 * Every recording of a demo in a range of versions: each of `expect` must have at least one
 * (a missing one throws), and any other recording the manifest has in the range is checked
 * too (a version added later joins the claim).
 */
export function range(store: Store, demo: string, expect: readonly string[], from?: string, to?: string): Entry[] {
  const missing = expect.filter(v => !store.some(entry => entry.demo === demo && versionMatches(entry.version, v)))
  if (missing.length)
    throw new Error(`no recording of ${demo} ${missing.join(', ')}: run npm run record -- --matrix`)
  const found = store.filter(entry => entry.demo === demo && (expect.some(v => versionMatches(entry.version, v)) || (from !== undefined && inRange(entry.version, from, to))))
  return [...found].sort((a, b) => compareVersions(a.version, b.version))
}

// --- what a check reads -----------------------------------------------------------

export const frameName = (f: Frame) => `${f.isAsync ? 'async ' : ''}${f.function}`
/** Every frame of the printed trace, outermost first; runtime frames marked `~`. */
export const traceFrames = (r: Recording) => (r.traceback?.frames ?? []).map(f => `${f.isUser ? '' : '~'}${frameName(f)}`)
/** The program's own frames of the printed trace, outermost first. */
export const userTrace = (r: Recording) => (r.traceback?.frames ?? []).filter(f => f.isUser).map(frameName)
export const userStack = (frames: Frame[]) => frames.filter(f => f.isUser).map(f => f.function)
export const stackNames = (frames: Frame[]) => frames.map(f => `${f.isUser ? '' : '~'}${f.function}`)
export const stepsOf = (r: Recording, kind: Step['kind']) => r.steps.filter(s => s.kind === kind)
export const stderr = (r: Recording) => r.run.output.filter(c => c.stream === 'stderr').map(c => c.text).join('')
export const stdout = (r: Recording) => r.run.output.filter(c => c.stream === 'stdout').map(c => c.text).join('')
/** The chain of a task at a step, by label (`Task-1`), its program frames outermost first. */
export function chainOf(step: Step, label?: string): string[] {
  const chain = step.asyncChains?.find(c => (label === undefined ? c.current : c.label === label))
  if (!chain)
    throw new Error(`step ${step.index}: no chain ${label ?? '(current)'}`)
  return chain.frames.filter(f => f.isUser).map(frameName)
}

/** Throws `message` with what was found when `actual` is not exactly `expected` (order matters). */
export function same<T>(actual: T, expected: T, message: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
}
export function ok(condition: unknown, message: string): asserts condition {
  if (!condition)
    throw new Error(message)
}

// --- how a mutation test alters a store -------------------------------------------------

/** The store without the recordings of a ref (a version's every patch release, or the default). */
export function without(store: Store, ref: Ref): Store {
  return store.filter(entry => !matches(entry, ref))
}

/** The store with the recordings of a ref altered (deep copies: the real store is never touched). */
export function edit(store: Store, ref: Ref, change: (r: Recording) => void): Store {
  return store.map((entry) => {
    if (!matches(entry, ref))
      return entry
    const recording = structuredClone(entry.recording)
    change(recording)
    return { ...entry, recording }
  })
}

/** Frame lists of a recording a mutation can alter: the trace's, and every step's stacks and chains. */
export function allFrameLists(r: Recording): Frame[][] {
  return [r.traceback?.frames ?? [], ...r.steps.flatMap(s => [s.physicalStack, ...(s.asyncChains ?? []).map(c => c.frames)])]
}
export const dropFrames = (name: RegExp) => (r: Recording) => {
  for (const list of allFrameLists(r)) {
    const kept = list.filter(f => !name.test(f.function))
    list.splice(0, list.length, ...kept)
  }
}
export const reverseFrames = (r: Recording) => {
  for (const list of allFrameLists(r)) list.reverse()
}
export const renameFrames = (from: RegExp, to: string) => (r: Recording) => {
  for (const list of allFrameLists(r))
    for (const f of list) f.function = f.function.replace(from, to)
}
export const addFrame = (name: string, isUser = true) => (r: Recording) => {
  for (const list of allFrameLists(r)) list.push({ function: name, file: 'demos/extra', line: 1, column: null, source: null, isUser, isAsync: false })
}
/** Text the runtime printed, altered everywhere it appears (output, traceback text, step details). */
export const replaceText = (from: string | RegExp, to: string) => (r: Recording) => {
  const change = (text: string) => (typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to))
  for (const chunk of r.run.output) chunk.text = change(chunk.text)
  if (r.traceback)
    r.traceback.text = change(r.traceback.text)
  for (const step of r.steps) {
    if (step.detail)
      step.detail = change(step.detail)
    for (const list of [step.physicalStack, ...(step.asyncChains ?? []).map(c => c.frames)])
      for (const f of list) f.source = f.source === null ? null : change(f.source)
  }
  for (const f of r.traceback?.frames ?? []) f.source = f.source === null ? null : change(f.source)
}
export const dropSteps = (kind: Step['kind'], fn?: RegExp) => (r: Recording) => {
  r.steps = r.steps.filter(s => !(s.kind === kind && (!fn || fn.test(s.function))))
}
export const emptySteps = (r: Recording) => {
  r.steps = []
}
