/**
 * The Rust adapter against the real rustc (and gdb, where it is installed): no mocks.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { portablePaths } from 'async-stacks-engine/portable'
import { findDemo, listDemos, type Demo } from 'async-stacks-engine/demos'
import { REPO_ROOT, TALK } from '../support/project'
import { binaryPath, compileDemo, findGdb, parsePanic, rustAdapter } from 'async-stacks-engine/rust'
import { parseRecording, type Recording } from 'async-stacks-engine/schema'
import { spawnLimited, streamText } from 'async-stacks-engine/spawn'
import { scratchDemosDir } from '../support/scratch'

const runtime = (await rustAdapter.discover(TALK.runtimesDir))[0]
const gdb = runtime ? await findGdb() : null
if (!runtime)
  console.warn('rust.test.ts: no rustc on PATH or in ~/.cargo/bin: the Rust adapter tests are skipped')

/** `thread 'main' (12345) panicked`: the thread id differs from run to run. */
const withoutThreadId = (text: string) => text.replace(/^(thread '[^']*') \(\d+\)/gm, '$1 (<tid>)')

const closure = (fn: string) => new RegExp(`^\\w+::${fn}::\\{(\\{closure\\}|closure#0)\\}$`)

function lineOf(demo: Demo, needle: string): number {
  return demo.source.split('\n').findIndex(line => line.includes(needle)) + 1
}

const recordings = new Map<string, Promise<Recording>>()
function recordOnce(name: string): Promise<Recording> {
  if (!recordings.has(name))
    recordings.set(name, rustAdapter.record({ demo: findDemo(name)!, runtime: runtime! }).then(r => parseRecording(r, name)))
  return recordings.get(name)!
}

const scratch = scratchDemosDir()
const scratchDemos: Demo[] = []
function scratchDemo(name: string, source: string): Demo {
  writeFileSync(join(scratch, `${name}.rs`), source)
  const demo = listDemos(scratch).find(d => d.name === name)!
  scratchDemos.push(demo)
  return demo
}
afterAll(() => {
  if (runtime) {
    for (const demo of scratchDemos)
      rmSync(binaryPath(demo, runtime), { force: true })
  }
  rmSync(scratch, { recursive: true, force: true })
})

describe.skipIf(!runtime)('rust adapter', () => {
  it('discovers the real rustc, not the rustup proxy', async () => {
    const found = await rustAdapter.discover(TALK.runtimesDir)
    expect(found[0]).toEqual(runtime)
    for (const r of found) {
      expect(r.name).toBe('rustc')
      expect(r.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(r.executable).toMatch(/\/rustc$/)
    }
    expect(new Set(found.map(r => r.executable)).size).toBe(found.length)
    expect(await rustAdapter.discoverDefault(TALK.runtimesDir)).toEqual(found[0])
  })

  it('rust_async: the panic backtrace has the whole chain, outermost first', async () => {
    const demo = findDemo('rust_async')!
    const recording = await recordOnce('rust_async')
    expect(recording.run.exitCode).toBe(101)
    expect(recording.run.timedOut).toBe(false)
    const traceback = recording.traceback!
    expect(traceback.exception).toEqual({ type: 'panic', message: 'nested error in async code' })
    expect(traceback.text).toMatch(new RegExp(`^thread 'main' \\(\\d+\\) panicked at demos/rust_async\\.rs:${lineOf(demo, 'panic!')}:5:\\nnested error in async code\\nstack backtrace:\\n`))
    expect(traceback.text).not.toContain(REPO_ROOT)

    const names = traceback.frames.map(f => f.function)
    const at = (re: RegExp) => names.findIndex(n => re.test(n))
    const order = [at(/^\w+::main$/), at(/^\w+::block_on/), at(closure('foo')), at(closure('bar')), at(closure('blow_up'))]
    expect(order.every(i => i >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)

    const blowUp = traceback.frames[order[4]!]!
    expect(blowUp).toMatchObject({ file: 'demos/rust_async.rs', line: lineOf(demo, 'panic!'), column: 5, isUser: true, source: 'panic!("nested error in async code");' })
    expect(traceback.frames[order[2]!]!).toMatchObject({ line: lineOf(demo, 'bar().await'), isUser: true })
    // std's own frames (panic_fmt above, call_once below main) are kept, not ours.
    expect(traceback.frames.filter(f => !f.isUser).map(f => f.function)).toContain('core::panicking::panic_fmt')
    for (const frame of traceback.frames.filter(f => !f.isUser))
      expect(frame.file).not.toContain('demos/')
  })

  it('rust_spawn: the spawned task\'s backtrace has lost foo and bar', async () => {
    const recording = await recordOnce('rust_spawn')
    const traceback = recording.traceback!
    expect(traceback.exception).toEqual({ type: 'panic', message: 'nested error in async code' })
    const names = traceback.frames.map(f => f.function)
    expect(names.some(n => closure('blow_up').test(n))).toBe(true)
    expect(names.some(n => closure('foo').test(n) || closure('bar').test(n))).toBe(false)
    // Under blow_up: only the executor (run ← block_on ← main).
    const user = traceback.frames.filter(f => f.isUser).map(f => f.function.replace(/^\w+::/, '').replace(/::<.*$/, ''))
    expect(user).toEqual(['main', 'block_on', 'run', expect.stringMatching(/^blow_up::/)])
  })

  it('records exactly what a plain run of the same binary prints', async () => {
    for (const name of ['rust_async', 'rust_spawn']) {
      const demo = findDemo(name)!
      const recording = await recordOnce(name)
      await rustAdapter.prepare(demo, runtime!)
      const plain = rustAdapter.plainCommand(demo, runtime!)
      expect(plain.display).toEqual(['rustc', '--edition', '2021', '-g', `demos/${name}.rs`, '&&', `./${name}`])
      const run = await spawnLimited({ command: plain.command, args: plain.args, cwd: REPO_ROOT }).done
      expect(run.exitCode).toBe(recording.run.exitCode)
      for (const stream of ['stdout', 'stderr'] as const) {
        const expected = withoutThreadId(portablePaths(streamText(run.output, stream), demo))
        expect(withoutThreadId(streamText(recording.run.output, stream))).toBe(expected)
      }
      expect(withoutThreadId(streamText(recording.run.output, 'stderr'))).toContain(withoutThreadId(recording.traceback!.text))
    }
  })

  it.skipIf(!gdb)('steps come from gdb: physical stacks, program time, the panic', async () => {
    const recording = await recordOnce('rust_async')
    const { steps } = recording
    expect(recording.stepsNote).toBeNull()
    expect(steps.length).toBeGreaterThan(10)
    expect(steps.map(s => s.index)).toEqual(steps.map((_, i) => i))
    for (let i = 1; i < steps.length; i++)
      expect(steps[i]!.atMs).toBeGreaterThanOrEqual(steps[i - 1]!.atMs)
    for (const step of steps) {
      expect(step.asyncChains).toBeNull()
      expect(step.physicalStack[0]!.function).toMatch(/^\w+::main$/)
    }

    expect(steps[0]).toMatchObject({ kind: 'call', function: 'rust_async::main' })
    const kinds = new Set(steps.map(s => s.kind))
    for (const kind of ['call', 'line', 'await', 'resume', 'idle', 'raise'])
      expect(kinds).toContain(kind)

    // foo is resumed once its 100 ms sleep is over, blow_up raises after 100 + 200 + 300 ms.
    const firstResume = steps.find(s => s.kind === 'resume' && closure('foo').test(s.function))!
    expect(firstResume.atMs).toBeGreaterThanOrEqual(95)
    expect(firstResume.atMs).toBeLessThan(400)
    const raise = steps.at(-1)!
    expect(raise.kind).toBe('raise')
    expect(raise.atMs).toBeGreaterThanOrEqual(590)
    expect(raise.detail).toBe('panic: nested error in async code')
    expect(raise).toMatchObject({ file: 'demos/rust_async.rs', line: lineOf(findDemo('rust_async')!, 'panic!') })
    const chain = raise.physicalStack.filter(f => f.isUser).map(f => f.function)
    expect(chain).toEqual(recording.traceback!.frames.filter(f => f.isUser).map(f => f.function))

    // At an await the poll has returned: the coroutine's frame is gone from the stack.
    const await_ = steps.find(s => s.kind === 'await' && closure('bar').test(s.function))!
    expect(await_.detail).toMatch(/returned Poll::Pending$/)
    expect(await_.physicalStack.some(f => closure('bar').test(f.function))).toBe(false)
    const idle = steps.find(s => s.kind === 'idle')!
    expect(idle.physicalStack.some(f => /\{(\{closure\}|closure#0)\}/.test(f.function))).toBe(false)
  })

  it.skipIf(!gdb)('rust_spawn steps: bar still awaits when blow_up runs, but not on its stack', async () => {
    const { steps } = await recordOnce('rust_spawn')
    const raise = steps.at(-1)!
    expect(raise.kind).toBe('raise')
    expect(raise.physicalStack.some(f => closure('foo').test(f.function) || closure('bar').test(f.function))).toBe(false)
    const barAwaits = steps.filter(s => s.kind === 'await' && closure('bar').test(s.function))
    expect(barAwaits.at(-1)!.line).toBe(lineOf(findDemo('rust_spawn')!, 'spawn(blow_up()).await'))
    expect(steps.some(s => s.kind === 'return' && closure('bar').test(s.function))).toBe(false)
  })

  it.skipIf(gdb)('without gdb: the backtrace only, and a note that says so', async () => {
    const recording = await recordOnce('rust_async')
    expect(recording.steps).toEqual([])
    expect(recording.stepsNote).toMatch(/no tracer for Rust: backtrace only/)
  })

  it('a demo that does not compile gives the compiler\'s output and nothing else', async () => {
    const demo = scratchDemo('broken', 'fn main() {\n    let x: u32 = "not a number";\n}\n')
    const recording = parseRecording(await rustAdapter.record({ demo, runtime: runtime! }), 'broken')
    expect(recording.run.exitCode).toBe(1)
    expect(recording.traceback).toBeNull()
    expect(recording.steps).toEqual([])
    expect(recording.stepsNote).toMatch(/^demos\/broken\.rs did not compile \(rustc exited with code 1\)/)
    const stderr = streamText(recording.run.output, 'stderr')
    expect(stderr).toContain('error[E0308]: mismatched types')
    expect(stderr).toContain('--> demos/broken.rs:2:18')
    expect(stderr).not.toContain(scratch)
  })

  it('a demo that never ends is killed at the timeout', async () => {
    const demo = scratchDemo('forever', [
      'fn main() {',
      '    println!("started");',
      '    loop {',
      '        std::thread::sleep(std::time::Duration::from_millis(10));',
      '    }',
      '}',
      '',
    ].join('\n'))
    const started = Date.now()
    const recording = parseRecording(await rustAdapter.record({ demo, runtime: runtime!, timeoutMs: 1500 }), 'forever')
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(recording.run.timedOut).toBe(true)
    expect(recording.run.exitCode).toBeNull()
    expect(streamText(recording.run.output, 'stdout')).toBe('started\n')
    expect(recording.traceback).toBeNull()
    expect(recording.stepsNote).toMatch(/timed out/)
  })

  it('compiles once per source and compiler', async () => {
    const demo = findDemo('rust_async')!
    await rustAdapter.prepare(demo, runtime!)
    const again = await compileDemo(demo, runtime!)
    expect(again).toMatchObject({ ok: true, cached: true, binary: binaryPath(demo, runtime!) })
    expect(binaryPath({ ...demo, source: `${demo.source}\n` }, runtime!)).not.toBe(binaryPath(demo, runtime!))
    expect(binaryPath(demo, { ...runtime!, version: '0.0.0' })).not.toBe(binaryPath(demo, runtime!))
  })
})

describe('parsePanic (no rustc needed)', () => {
  const demo = findDemo('rust_async')!

  it('reads the format of Rust before 1.73, inlined frames included', () => {
    const stderr = [
      `thread 'main' panicked at 'nested error in async code', ${demo.absPath}:11:5`,
      'stack backtrace:',
      '   0: rust_begin_unwind',
      '             at /rustc/abc/library/std/src/panicking.rs:575:5',
      '   1: rust_async::blow_up::{{closure}}',
      '             at ./demos/rust_async.rs:11:5',
      '      rust_async::bar::{{closure}}',
      '             at ./demos/rust_async.rs:16:15',
      'note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.',
      '',
    ].join('\n')
    const traceback = parsePanic(stderr, demo)!
    expect(traceback.exception).toEqual({ type: 'panic', message: 'nested error in async code' })
    expect(traceback.frames.map(f => [f.function, f.file, f.line, f.isUser])).toEqual([
      ['rust_async::bar::{{closure}}', 'demos/rust_async.rs', 16, true],
      ['rust_async::blow_up::{{closure}}', 'demos/rust_async.rs', 11, true],
      ['rust_begin_unwind', '/rustc/abc/library/std/src/panicking.rs', 575, false],
    ])
    expect(traceback.text).toBe(stderr.trimEnd().replace(demo.absPath, 'demos/rust_async.rs'))
  })

  it('keeps a multi-line message; without RUST_BACKTRACE there are no frames', () => {
    const stderr = `\nthread 'main' (7) panicked at demos/rust_async.rs:11:5:\nline one\nline two\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace\n`
    const traceback = parsePanic(stderr, demo)!
    expect(traceback.exception.message).toBe('line one\nline two')
    expect(traceback.frames).toEqual([])
    expect(traceback.text).toBe(stderr.trim())
  })

  it('only a panic of the main thread is the uncaught error', () => {
    expect(parsePanic(`thread 'worker' (8) panicked at demos/rust_async.rs:11:5:\nboom\n`, demo)).toBeNull()
  })
})
