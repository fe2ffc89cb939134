/**
 * CPython 3.14: how `npm run runtimes` finds Debian's archive in the machine's apt sources
 * (packages/engine/python/debian-cpython.ts), and, with a 3.14 on this machine (found like any other:
 * PATH, pyenv, uv, `.runtimes/python-3.14`), that it runs demos and the programs they start:
 * `sys.executable`, a subprocess of it, `python -m asyncio pstree` from outside.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { listDemos, type Demo } from 'async-stacks-engine/demos'
import { REPO_ROOT } from '../support/project'
import { discoverPythons, recordRun } from 'async-stacks-engine/python'
import { spawnLimited, streamText } from 'async-stacks-engine/spawn'
import { debianArchive, unstableSources, wrapperScript } from 'async-stacks-engine/python/debian-cpython'
import { scratchDir } from '../support/scratch'

const py314 = (await discoverPythons()).find(r => r.version.startsWith('3.14.'))

describe('the Debian archive, from the machine\'s apt sources', () => {
  const etc = (files: Record<string, string>) => {
    const dir = scratchDir('apt-etc-')
    mkdirSync(join(dir, 'sources.list.d'))
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(dir, name), text)
    return dir
  }

  it('a deb822 .sources file: its URI and Signed-By, not the security archive', () => {
    const dir = etc({
      'sources.list.d/debian.sources': [
        '# security first',
        'Types: deb', 'URIs: http://security.example/debian-security', 'Suites: bookworm-security', 'Components: main', '',
        'Types: deb deb-src', '# comment', 'URIs: http://mirror.example/debian', 'Suites: bookworm bookworm-updates', 'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
      ].join('\n'),
    })
    expect(debianArchive(dir)).toEqual({ uri: 'http://mirror.example/debian', signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', from: join(dir, 'sources.list.d/debian.sources') })
  })

  it('a one-line sources.list, with and without signed-by; disabled stanzas and other archives skipped', () => {
    expect(debianArchive(etc({ 'sources.list': '# deb http://old.example/debian buster main\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian/ trixie main contrib\n' })))
      .toMatchObject({ uri: 'https://m.example/debian/', signedBy: '/k.gpg' })
    expect(debianArchive(etc({ 'sources.list': 'deb http://m.example/debian stable main\n' }))).toMatchObject({ uri: 'http://m.example/debian', signedBy: null })
    expect(debianArchive(etc({
      'sources.list.d/a.sources': 'Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\n',
      'sources.list.d/b.list': 'deb https://deb.nodesource.com/node_20.x nodistro main\n',
      'sources.list.d/c.sources': 'Types: deb\nURIs: http://on.example/debian\nSuites: bookworm\nComponents: main\n',
    }))).toMatchObject({ uri: 'http://on.example/debian' })
    // Ubuntu (or anything else): no Debian suite, no archive.
    expect(debianArchive(etc({ 'sources.list': 'deb http://archive.ubuntu.com/ubuntu noble main\n' }))).toBeNull()
  })

  it('the private sources file asks for unstable from that archive, with its keyring', () => {
    expect(unstableSources({ uri: 'http://m.example/debian', signedBy: '/k.gpg', from: '' }))
      .toBe('Types: deb\nURIs: http://m.example/debian\nSuites: unstable\nComponents: main\nSigned-By: /k.gpg\n')
  })

  it('the wrapper: the loader of the unpacked C library, its library folder, argv0 = the wrapper, no PYTHONHOME', () => {
    const script = wrapperScript({ triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' })
    expect(script).toMatch(/^#!\/bin\/sh\n/)
    expect(script).toContain('exec "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" --argv0 "$0" "$root/usr/bin/python3.14" "$@"')
    expect(script).not.toMatch(/PYTHONHOME=|dirname|readlink/)
  })
})

describe.skipIf(!py314)('CPython 3.14 on this machine', () => {
  let dir: string
  const make = (name: string, source: string): Demo => {
    writeFileSync(join(dir, `${name}.py`), source)
    return listDemos(dir).find(d => d.name === name)!
  }
  beforeAll(() => {
    dir = realpathSync(scratchDir('python314-'))
  })

  it('sys.executable is what the engine starts, and starts it again', async () => {
    const run = await spawnLimited({ command: py314!.executable, args: ['-c', 'import sys, subprocess; print(sys.executable); subprocess.run([sys.executable, "-c", "import sys; print(sys.version_info[:2], sys.executable)"], check=True)'], cwd: REPO_ROOT }).done
    expect(streamText(run.output, 'stderr')).toBe('')
    expect(streamText(run.output, 'stdout')).toBe(`${py314!.executable}\n(3, 14) ${py314!.executable}\n`)
  })

  it('a traced demo that starts sys.executable: the child runs, its output is the program\'s', async () => {
    const d = make('spawns', [
      'import subprocess, sys',
      'out = subprocess.run([sys.executable, "-c", "import sys, asyncio; print(sys.version_info[:2])"], capture_output=True, text=True)',
      'print(out.returncode, out.stdout.strip(), repr(out.stderr))',
    ].join('\n'))
    const { recording } = await recordRun({ demo: d, runtime: py314!, timeoutMs: 20_000 })
    expect(streamText(recording.run.output, 'stdout')).toBe('0 (3, 14) \'\'\n')
    expect(recording.run.exitCode).toBe(0)
    expect(recording.steps.length).toBeGreaterThan(0)
  })

  it('pstreeAt: the program held at the first idle step with blow_up in a chain, pstree run against its PID; program time unchanged', async () => {
    const d = listDemos().find(x => x.name === 'async_loop')!
    const events: string[] = []
    const { recording, run } = await recordRun({ demo: d, runtime: py314!, pstreeAt: 'blow_up', timeoutMs: 20_000, onEvent: e => events.push(e.type) })
    const view = recording.outsideView!
    expect(view.note).toBeNull()
    expect(view.command.slice(0, 4)).toEqual(['python3.14', '-m', 'asyncio', 'pstree'])
    expect(view.command[4]).toMatch(/^\d+$/)
    const held = recording.steps[view.atStep]!
    expect(held.kind).toBe('idle')
    expect(held.asyncChains![0]!.frames.map(f => f.function)).toEqual(['foo', 'bar', 'blow_up', 'sleep'])
    expect(view.stdout).toBe([
      '└── (T) Task-1',
      '    └──  foo demos/async_loop.py:13',
      '        └──  bar demos/async_loop.py:9',
      '            └──  blow_up demos/async_loop.py:4',
      `                └──  sleep ${held.asyncChains![0]!.frames[3]!.file}:${held.asyncChains![0]!.frames[3]!.line}`,
      '',
    ].join('\n'))
    // Streamed right after the step it was held at, before the program went on.
    expect(events.indexOf('outside')).toBeGreaterThan(0)
    expect(events.slice(0, events.indexOf('outside')).filter(t => t === 'step').length).toBe(view.atStep + 1)
    // The hold (pstree starting and reading, a few hundred ms) is tracer time: blow_up's
    // 0.3 s sleep still takes 0.3 s of program time (loose bound: a loaded machine).
    const resumed = recording.steps.slice(view.atStep).find(s => s.kind === 'resume')!
    expect(resumed.atMs - held.atMs).toBeGreaterThanOrEqual(295)
    expect(resumed.atMs - held.atMs).toBeLessThan(450)
    expect(streamText(run.output, 'stderr')).toContain('Exception: nested error in async code')
  })

  it('no outside view where pstree does not exist (before 3.14) or nothing matches', async () => {
    const d = listDemos().find(x => x.name === 'async_loop')!
    const older = (await discoverPythons()).find(r => !r.version.startsWith('3.14.'))
    if (older)
      expect((await recordRun({ demo: d, runtime: older, pstreeAt: 'blow_up' })).recording.outsideView).toBeUndefined()
    expect((await recordRun({ demo: d, runtime: py314!, pstreeAt: 'no_such_function' })).recording.outsideView).toBeUndefined()
  })

  it('`python3.14 -m asyncio pstree <pid>` shows the running demo\'s task tree from outside', async () => {
    const d = make('waits', [
      'import asyncio',
      'async def blow_up():',
      '    print("ready", flush=True)',
      '    await asyncio.sleep(5)',
      'async def bar():',
      '    await blow_up()',
      'async def foo():',
      '    await bar()',
      'asyncio.run(foo())',
    ].join('\n'))
    const abort = new AbortController()
    let stdout = ''
    const program = spawnLimited({
      command: py314!.executable,
      args: [d.absPath],
      cwd: REPO_ROOT,
      timeoutMs: 15_000,
      signal: abort.signal,
      onOutput: (chunk) => {
        stdout += chunk.text
      },
    })
    try {
      for (let i = 0; i < 200 && !stdout.includes('ready'); i++)
        await new Promise(resolve => setTimeout(resolve, 50))
      // The wrapper execs the interpreter: the child's PID is the program's.
      const pstree = await spawnLimited({ command: py314!.executable, args: ['-m', 'asyncio', 'pstree', String(program.child.pid)], cwd: REPO_ROOT, timeoutMs: 10_000 }).done
      if (/Operation not permitted|Permission denied/i.test(streamText(pstree.output, 'stderr')))
        return // ptrace restrictions (yama ptrace_scope, no CAP_SYS_PTRACE): nothing to check here
      expect(streamText(pstree.output, 'stdout')).toMatch(/Task-1\n\s+└──\s+foo .*waits\.py:8\n\s+└──\s+bar .*waits\.py:6\n\s+└──\s+blow_up .*waits\.py:4\n\s+└──\s+sleep /)
    }
    finally {
      abort.abort()
      await program.done
    }
  })
})
