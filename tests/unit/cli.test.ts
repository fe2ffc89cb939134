/**
 * The command-line scripts, run as a user runs them (a real process, real files): bad input
 * gets one clear line on stderr and a non-zero exit code, never a stack trace.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/project'
import { scratchDir } from '../support/scratch'

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** As `npm run <script>` runs it: the engine's `async-stacks record …`, the talk's `scripts/export.ts …`. */
function run(script: 'record' | 'export' | 'async-stacks', args: string[], timeoutMs = 120_000): Promise<Run> {
  const engine = 'packages/engine/bin/async-stacks.mjs'
  const command = script === 'record' ? [engine, 'record'] : script === 'async-stacks' ? [engine] : ['--import', 'tsx', `scripts/${script}.ts`]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => stdout += chunk)
    child.stderr.on('data', chunk => stderr += chunk)
    child.on('error', reject)
    child.on('close', status => resolve({ status, stdout, stderr }))
  })
}

/** Bad input: exit code 2, nothing on stdout, exactly one line on stderr, no stack trace. */
function expectOneLine(result: Run, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(pattern)
  expect(result.stderr).not.toMatch(/^\s+at /m)
  expect(result.stdout).toBe('')
  expect(result.status, result.stderr).toBe(2)
}

/** A demos folder and an empty recordings folder to record into. */
function scratchProject(files: Record<string, string>): { demos: string, recordings: string, args: string[] } {
  const root = scratchDir('cli-')
  const demos = join(root, 'demos')
  const recordings = join(root, 'recordings')
  mkdirSync(demos)
  mkdirSync(recordings)
  for (const [name, source] of Object.entries(files))
    writeFileSync(join(demos, name), source)
  return { demos, recordings, args: ['--demos', demos, '--recordings', recordings] }
}

function secretFile(): { path: string, secret: string } {
  const path = join(scratchDir('cli-outside-'), 'credentials')
  const secret = `SECRET-${Math.random().toString(36).slice(2)}`
  writeFileSync(path, `[default]\naws_secret_access_key = ${secret}\n`)
  return { path, secret }
}

describe('npm run record: bad input', () => {
  it('an unknown option: says which options exist', async () => {
    expectOneLine(await run('record', ['--bogus']), /^record: unknown option --bogus \(options: .*--check.*--matrix.*--demos <dir>.*--recordings <dir>/)
  })

  it('an option without its value, a bad value', async () => {
    expectOneLine(await run('record', ['--demos']), /^record: --demos needs a value/)
    expectOneLine(await run('record', ['--concurrency', 'many']), /^record: --concurrency takes a whole number/)
  })

  it('a demo that does not exist, a demos folder that does not exist', async () => {
    expectOneLine(await run('record', ['no_such_demo']), /^record: no demo named no_such_demo in demos\/ \(have: .*async_loop/)
    const missing = join(scratchDir('cli-'), 'no-demos-here')
    expectOneLine(await run('record', ['--demos', missing]), new RegExp(`^record: there is no demos folder at ${missing}$`))
  })

  it('two demos with one name', async () => {
    const { args } = scratchProject({ 'a.py': 'print(1)\n', 'a.mjs': 'console.log(1)\n' })
    expectOneLine(await run('record', args), /^record: two demos are named "a": demos\/a\.mjs and demos\/a\.py/)
  })

  it('a file with an extension no runtime handles', async () => {
    const { args, recordings } = scratchProject({ 'a.py': 'print(1)\n', 'notes.txt': 'hello\n' })
    expectOneLine(await run('record', args), /^record: demos\/notes\.txt: .*\.mjs, \.js, \.py, \.rs/)
    expect(readdirSync(recordings)).toEqual([])
  })

  it('a symbolic link, to a file or to a folder: refused, nothing recorded, nothing of the target shown', async () => {
    const { path, secret } = secretFile()
    const { args, demos, recordings } = scratchProject({ 'a.py': 'print(1)\n' })
    symlinkSync(path, join(demos, 'creds.py'))
    const toFile = await run('record', args)
    expectOneLine(toFile, /^record: demos\/creds\.py is a symbolic link: demos must be regular files in demos\/ \(a link could expose a file outside the project\)$/)
    expect(toFile.stderr).not.toContain(secret)

    const other = scratchProject({ 'a.py': 'print(1)\n' })
    symlinkSync(scratchDir('cli-folder-'), join(other.demos, 'folder.py'))
    expectOneLine(await run('record', other.args), /^record: demos\/folder\.py is a symbolic link/)
    expect(readdirSync(recordings)).toEqual([])
    expect(readdirSync(other.recordings)).toEqual([])
  })

  it('a broken manifest in the recordings folder', async () => {
    const { args, recordings } = scratchProject({ 'a.py': 'print(1)\n' })
    writeFileSync(join(recordings, 'manifest.json'), '[{"demo": "a", "file": "../../etc/pas')
    expectOneLine(await run('record', args), /^record: .*recordings\/manifest\.json: not readable JSON/)
  })
})

describe('npm run record: demos that fail before they run', () => {
  it('are recorded, and reported as such instead of ✓', async () => {
    const { args, recordings } = scratchProject({
      'bad_py.py': 'print("before")\n\ndef f(:\n    pass\n',
      'bad_js.mjs': 'console.log("before")\n\nlet x = = 1\n',
      'bad_rs.rs': 'fn main() {\n    let x: u32 = "not a number";\n}\n',
      'good.py': 'print("fine")\n',
    })
    const result = await run('record', args, 300_000)
    expect(result.status, result.stderr).toBe(0)
    const lines = result.stderr.split('\n')
    const line = (demo: string) => lines.find(l => l.includes(` ${demo}`)) ?? `(no line for ${demo})`
    expect(line('bad_py')).toMatch(/^⚠ bad_py · CPython [\d.]+ → .*: could not compile it \((SyntaxError|IndentationError) at demos\/bad_py\.py:3\) — recorded$/)
    expect(line('bad_js')).toMatch(/^⚠ bad_js · Node\.js [\d.]+ → .*: could not compile it \(SyntaxError at demos\/bad_js\.mjs:3\) — recorded$/)
    if (!/no rust runtime found/.test(result.stderr))
      expect(line('bad_rs')).toMatch(/^⚠ bad_rs · rustc [\w.-]+ → .*: could not compile it \(error\[E0308\] at demos\/bad_rs\.rs:2\) — recorded$/)
    expect(line('good')).toMatch(/^✓ good · CPython/)
    expect(result.stderr).toMatch(/^record: \d+ runs, all recorded \([23] did not compile\)$/m)
    expect(existsSync(join(recordings, 'manifest.json'))).toBe(true)
    // Recorded from a scratch folder, yet nothing in the recordings says where it was.
    for (const demo of readdirSync(recordings).filter(name => name !== 'manifest.json')) {
      for (const file of readdirSync(join(recordings, demo))) {
        const text = readFileSync(join(recordings, demo, file), 'utf8')
        expect(text, file).not.toContain(recordings.replace(/\/recordings$/, ''))
        expect(text, file).not.toContain(REPO_ROOT)
      }
    }
  })
})

describe('async-stacks: the engine as a command on any folder', () => {
  it('records another project\'s demos into its own recordings/, and --check holds it to them', async () => {
    const root = scratchDir('cli-project-')
    mkdirSync(join(root, 'demos'))
    writeFileSync(join(root, 'demos', 'hello.py'), 'def greet():\n    raise KeyError("nobody home")\n\ngreet()\n')
    const recorded = await run('record', ['--root', root])
    expect(recorded.status, recorded.stderr).toBe(0)
    expect(recorded.stderr).toMatch(/✓ hello · CPython [\d.]+ → .*recordings\/hello\/cpython-[\d.]+\.json: KeyError: 'nobody home'/)
    const manifest = JSON.parse(readFileSync(join(root, 'recordings', 'manifest.json'), 'utf8')) as { demo: string, file: string }[]
    expect(manifest.map(entry => entry.demo)).toEqual(['hello'])
    const file = join(root, manifest[0]!.file)
    const text = readFileSync(file, 'utf8')
    expect(JSON.parse(text).demo.file).toBe('demos/hello.py')
    expect(text).not.toContain(root) // the project's folder is lost, as the talk's is
    expect(existsSync(join(REPO_ROOT, 'recordings', 'hello'))).toBe(false)

    const checked = await run('record', ['--check', '--root', root])
    expect(checked.status, checked.stderr).toBe(0)
    expect(checked.stdout + checked.stderr).toMatch(/all 1 recordings agree/)
    // Evidence altered: the check fails, naming the demo.
    writeFileSync(file, text.replace('nobody home', 'somebody home'))
    const altered = await run('record', ['--check', '--root', root])
    expect(altered.status).toBe(1)
    expect(altered.stdout + altered.stderr).toMatch(/hello/)
  })

  it('an unknown command or none: the commands listed, exit 2', async () => {
    const unknown = await run('async-stacks', ['recrod'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/^async-stacks: unknown command "recrod"\nusage: async-stacks <command>/)
    expect(unknown.stderr).toMatch(/ {2}record {4}/)
    expect((await run('async-stacks', [])).status).toBe(2)
    const help = await run('async-stacks', ['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/record[\s\S]*runtimes[\s\S]*schema/)
  })
})

describe('npm run export: bad input', () => {
  it('an unknown option: says which options exist', async () => {
    expectOneLine(await run('export', ['--bogus']), /^export: unknown option --bogus \(options: .*--out <dir>.*--only <kinds>/)
  })

  it('an argument it does not take, an option without its value', async () => {
    expectOneLine(await run('export', ['slides.pdf']), /^export: unexpected argument slides\.pdf/)
    expectOneLine(await run('export', ['--out']), /^export: --out needs a value/)
    expectOneLine(await run('export', ['--only', 'everything']), /^export: --only takes slides, steps, handout/)
  })

  it('a handout layout or paper it does not have', async () => {
    expectOneLine(await run('export', ['--per-page', '4']), /^export: --per-page takes 1, 2, 3 or 6, not 4$/)
    expectOneLine(await run('export', ['--per-page', 'two']), /^export: --per-page takes 1, 2, 3 or 6, not two$/)
    expectOneLine(await run('export', ['--per-page']), /^export: --per-page needs a value: --per-page <1\|2\|3\|6>$/)
    expectOneLine(await run('export', ['--paper', 'legal']), /^export: --paper takes a4 or letter, not legal$/)
    expectOneLine(await run('export', ['--letter', '--paper', 'a4']), /^export: --letter and --paper a4 disagree/)
  })

  const decks: string[] = []
  afterAll(() => {
    for (const root of decks)
      rmSync(root, { recursive: true, force: true })
  })

  /** A copy of the deck (slides and recordings) with the given demos folder, inside the project so Slidev resolves its packages. */
  function scratchDeck(name: string): { root: string, out: string } {
    const root = join(REPO_ROOT, 'node_modules/.cache/cli-test', `${name}-${process.pid}`)
    rmSync(root, { recursive: true, force: true })
    decks.push(root)
    mkdirSync(join(root, 'demos'), { recursive: true })
    writeFileSync(join(root, 'slides.md'), ['---', 'theme: default', `title: ${name}`, 'fonts:', '  provider: none', 'favicon: false', '---', '', '# One slide', ''].join('\n'))
    cpSync(join(REPO_ROOT, 'recordings'), join(root, 'recordings'), { recursive: true })
    cpSync(join(REPO_ROOT, 'demos/sync.py'), join(root, 'demos/sync.py'))
    return { root, out: scratchDir('cli-export-out-') }
  }

  it('a symbolic link in demos/: refused before anything is rendered, no byte of its target anywhere', async () => {
    const { path, secret } = secretFile()
    for (const [kind, target] of [['file', path], ['folder', scratchDir('cli-export-folder-')]] as const) {
      const { root, out } = scratchDeck(`link-to-${kind}`)
      symlinkSync(target, join(root, 'demos/creds.py'))
      const result = await run('export', ['--entry', join(root, 'slides.md'), '--out', out], 600_000)
      expect(result.status, result.stderr).not.toBe(0)
      expect(result.status, result.stderr).not.toBeNull()
      expect(result.stderr.trimEnd().split('\n'), result.stderr).toEqual([
        'export failed: demos/creds.py is a symbolic link: demos must be regular files in demos/ (a link could expose a file outside the project)',
      ])
      expect(result.stdout + result.stderr).not.toContain(secret)
      expect(readdirSync(out), `${kind}: nothing written`).toEqual([])
    }
  })

  it('a manifest entry outside recordings/: refused naming the field', async () => {
    const { root, out } = scratchDeck('manifest')
    const manifest = JSON.parse(readFileSync(join(root, 'recordings/manifest.json'), 'utf8')) as { file: string }[]
    manifest[0]!.file = '../../etc/passwd'
    writeFileSync(join(root, 'recordings/manifest.json'), JSON.stringify(manifest))
    const result = await run('export', ['--entry', join(root, 'slides.md'), '--out', out], 600_000)
    expect(result.stderr.trimEnd().split('\n'), result.stderr).toEqual([
      expect.stringMatching(/^export failed: .*recordings\/manifest\.json: invalid manifest at `\[0\]\.file`: .*inside recordings\//),
    ])
    expect(result.stderr).not.toContain('root:x:0:0')
    expect(result.status).toBe(1)
    expect(readdirSync(out)).toEqual([])
  })
})
