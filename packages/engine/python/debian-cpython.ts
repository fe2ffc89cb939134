/**
 * CPython 3.14 for a Debian machine that has none, from the binary packages of Debian's
 * unstable suite, fetched through the archive the machine's own apt already uses.
 *
 * - The archive: the first enabled `deb` entry of the machine's apt sources
 *   (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list and *.sources) for a Debian suite
 *   (bookworm, trixie, stable …): its URI and its `Signed-By`. Nothing of it is written into
 *   the project; the private sources file lives in the git-ignored `.runtimes/`.
 * - apt, with private state: its own sources file (suite `unstable`, no other source), lists,
 *   package cache and download folder under `.runtimes/.debian-unstable/`, and none of the
 *   machine's `APT::Update` hooks. The machine's apt setup (lists, caches, status) is only read.
 *   Verification is apt's own: `apt-get update` checks the signature of the Release file with
 *   the keyring (insecure repositories refused even if the machine's config allows them), and
 *   `apt-get download` checks every .deb against the hashes of the signed lists.
 * - The packages: python3.14-minimal, libpython3.14-minimal, libpython3.14-stdlib, and every
 *   library they depend on (followed through the libraries' own dependencies), at unstable's
 *   versions: the binary needs a newer C library than Debian 12's.
 * - Unpacked with `dpkg -x` into `.runtimes/python-3.14/`, and started through that C
 *   library's own loader by the script `bin/python3.14` (see `wrapperScript`).
 */
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const SERIES = '3.14'
export const DEBIAN_PACKAGES = [`python${SERIES}-minimal`, `libpython${SERIES}-minimal`, `libpython${SERIES}-stdlib`]

/** Debian's suite names and code names: an entry for one of these is Debian's archive. */
const DEBIAN_SUITES = /^(oldoldstable|oldstable|stable|testing|unstable|sid|buster|bullseye|bookworm|trixie|forky|duke)$/

/** The loader and library folder of the multiarch tuple, by Node's `process.arch`. */
const ARCHES: Record<string, { deb: string, triplet: string, loader: string }> = {
  x64: { deb: 'amd64', triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' },
  arm64: { deb: 'arm64', triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
}

export interface AptSource { uri: string, signedBy: string | null, from: string }

/** One-line `deb [options] uri suite components…` entries. */
function parseListFile(text: string, from: string): { uri: string, suites: string[], signedBy: string | null, from: string }[] {
  const entries = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    const match = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line)
    if (!match)
      continue
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(match[1] ?? '')?.[1] ?? null
    entries.push({ uri: match[2]!, suites: [match[3]!], signedBy, from })
  }
  return entries
}

/** deb822 stanzas: `Types`, `URIs`, `Suites`, `Signed-By` (a path or an inline key), `Enabled`. */
function parseSourcesFile(text: string, from: string): { uri: string, suites: string[], signedBy: string | null, from: string }[] {
  const entries = []
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    let last: string | null = null
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#'))
        continue
      const field = /^([\w-]+):\s*(.*)$/.exec(line)
      if (field) {
        last = field[1]!.toLowerCase()
        fields.set(last, field[2]!)
      }
      else if (last && /^\s/.test(line)) {
        fields.set(last, `${fields.get(last)}\n${line}`)
      }
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb') || /^no$/i.test(fields.get('enabled') ?? ''))
      continue
    const uri = (fields.get('uris') ?? '').split(/\s+/).find(Boolean)
    if (!uri)
      continue
    entries.push({ uri, suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean), signedBy: fields.get('signed-by')?.trim() || null, from })
  }
  return entries
}

/** The Debian archive the machine's apt uses, or null (not Debian, or no apt sources). */
export function debianArchive(etcApt = '/etc/apt'): AptSource | null {
  const files: string[] = []
  if (existsSync(join(etcApt, 'sources.list')))
    files.push(join(etcApt, 'sources.list'))
  try {
    for (const name of readdirSync(join(etcApt, 'sources.list.d')).sort()) {
      if (/\.(list|sources)$/.test(name))
        files.push(join(etcApt, 'sources.list.d', name))
    }
  }
  catch {}
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    }
    catch {
      continue
    }
    const entries = file.endsWith('.sources') ? parseSourcesFile(text, file) : parseListFile(text, file)
    const entry = entries.find(e => e.suites.some(suite => DEBIAN_SUITES.test(suite)))
    if (entry)
      return { uri: entry.uri, signedBy: entry.signedBy, from: file }
  }
  return null
}

/** The private sources file: the suite `unstable` of that archive, its keyring as the machine has it. */
export function unstableSources(source: AptSource): string {
  const lines = ['Types: deb', `URIs: ${source.uri}`, 'Suites: unstable', 'Components: main']
  if (source.signedBy)
    lines.push(`Signed-By: ${source.signedBy}`)
  return `${lines.join('\n')}\n`
}

/**
 * `bin/python3.14`: the unpacked binary through its own C library's loader (the binary needs
 * a newer glibc than the machine's), with that library folder first. `--argv0` makes
 * `sys.executable` this script, not the binary (which the machine's own loader cannot start),
 * so `subprocess.Popen([sys.executable, …])`, multiprocessing and `python -m asyncio pstree`
 * come back through it. No PYTHONHOME: `lib` beside `bin` leads to `usr/lib`, where CPython
 * finds its standard library from `sys.executable` as usual, so nothing is added to the
 * program's environment (a PYTHONHOME there would point any other Python it starts at 3.14's
 * standard library). Only POSIX sh built-ins: it runs under the engine's pinned environment.
 */
export function wrapperScript(arch: { triplet: string, loader: string }): string {
  return [
    '#!/bin/sh',
    `# CPython ${SERIES} from Debian unstable, put here by \`npm run runtimes\` (async-stacks-engine, python/debian-cpython.ts).`,
    '# Started through its own C library\'s loader; sys.executable is this script.',
    'case $0 in */*) bin=${0%/*} ;; *) bin=. ;; esac',
    'root=$bin/..',
    `exec "$root/usr/lib/${arch.triplet}/${arch.loader}" --library-path "$root/usr/lib/${arch.triplet}" --argv0 "$0" "$root/usr/bin/python${SERIES}" "$@"`,
    '',
  ].join('\n')
}

/** What the installed interpreter says about itself, or null when it does not run. */
export async function checkInterpreter(executable: string): Promise<{ version: string, executable: string } | null> {
  try {
    const { stdout } = await run(executable, ['-c', 'import sys, asyncio, ssl, json; print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}))'], { timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
    return JSON.parse(stdout) as { version: string, executable: string }
  }
  catch {
    return null
  }
}

function aptUser(): { uid: number, gid: number } | null {
  if (process.getuid?.() !== 0)
    return null
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find(l => l.startsWith('_apt:'))
    const [, , uid, gid] = line?.split(':') ?? []
    return uid ? { uid: Number(uid), gid: Number(gid) } : null
  }
  catch {
    return null
  }
}

/** `Package: …` / `Version: …` / `Depends: …` of `apt-cache show` output, one record per package. */
function parseShow(text: string): Map<string, { version: string, depends: string[] }> {
  const records = new Map<string, { version: string, depends: string[] }>()
  for (const stanza of text.split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1] ?? ''
    const name = field('Package')
    if (!name || records.has(name))
      continue
    // Each `a | b` group: the first alternative; version constraints and arch qualifiers dropped.
    const depends = [field('Pre-Depends'), field('Depends')].join(',').split(',').map(group => group.split('|')[0]!.trim().split(/[\s:(]/)[0]!).filter(Boolean)
    records.set(name, { version: field('Version'), depends })
  }
  return records
}

const isLibrary = (name: string) => /^lib/.test(name) || name === 'zlib1g'

export interface InstallResult { version: string, packages: string[], archive: string }

/**
 * Fetches, verifies and unpacks CPython 3.14 into `dest` (replaced only once the new one runs).
 * `state` holds apt's private sources, lists, cache and downloads. Throws with a one-line reason.
 */
export async function installDebianCPython(dest: string, state: string, log: (line: string) => void = () => {}): Promise<InstallResult> {
  const arch = ARCHES[process.arch]
  if (process.platform !== 'linux' || !arch)
    throw new Error(`no Debian packages for ${process.platform}/${process.arch}`)
  for (const tool of ['apt-get', 'apt-cache', 'dpkg']) {
    try {
      await run(tool, ['--version'])
    }
    catch {
      throw new Error(`\`${tool}\` is not here (not a Debian-like system)`)
    }
  }
  const source = debianArchive()
  if (!source)
    throw new Error('no Debian archive in this machine\'s apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/)')
  log(`  Debian unstable from ${source.uri} (the archive of ${source.from})`)

  const dirs = { lists: join(state, 'lists'), archives: join(state, 'archives'), cache: join(state, 'cache'), debs: join(state, 'debs') }
  for (const dir of [join(dirs.lists, 'partial'), join(dirs.archives, 'partial'), dirs.cache])
    mkdirSync(dir, { recursive: true })
  rmSync(dirs.debs, { recursive: true, force: true })
  mkdirSync(dirs.debs)
  const sourcesFile = join(state, 'unstable.sources')
  writeFileSync(sourcesFile, unstableSources(source))
  const confFile = join(state, 'apt.conf')
  // The machine's own hooks are about its own lists: not run on ours.
  writeFileSync(confFile, ['#clear APT::Update::Pre-Invoke;', '#clear APT::Update::Post-Invoke;', '#clear APT::Update::Post-Invoke-Success;', ''].join('\n'))
  const options = [
    '-c', confFile,
    '-o', `Dir::Etc::SourceList=${sourcesFile}`,
    '-o', 'Dir::Etc::SourceParts=-',
    '-o', `Dir::State::Lists=${dirs.lists}`,
    '-o', `Dir::Cache=${dirs.cache}`,
    '-o', `Dir::Cache::Archives=${dirs.archives}`,
    '-o', `APT::Architecture=${arch.deb}`,
    '-o', 'APT::Architectures=',
    '-o', 'Acquire::AllowInsecureRepositories=false',
    '-o', 'Acquire::AllowDowngradeToInsecureRepositories=false',
    '-o', 'APT::Get::AllowUnauthenticated=false',
    '-o', 'Acquire::Languages=none',
    '-q',
  ]
  const apt = async (tool: string, args: string[], cwd = state) => {
    try {
      return await run(tool, [...options, ...args], { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 })
    }
    catch (error) {
      const { stderr, stdout } = error as { stderr?: string, stdout?: string }
      const why = `${stderr ?? ''}\n${stdout ?? ''}`.split('\n').find(l => /^(E|W):/.test(l)) ?? String(error)
      throw new Error(`${tool} ${args[0]} failed: ${why.trim()}`)
    }
  }

  const update = await apt('apt-get', ['update'])
  // apt warns (and may still exit 0) when a signature cannot be checked: not good enough here.
  const warning = `${update.stderr}`.split('\n').find(l => /^W:.*(GPG|signature|sign|Release|NO_PUBKEY|insecure)/i.test(l))
  if (warning)
    throw new Error(`apt-get update could not verify unstable: ${warning}`)

  // The packages and every library they need, followed through the libraries' own dependencies.
  const wanted = new Map<string, string>()
  let next = [...DEBIAN_PACKAGES]
  while (next.length) {
    const { stdout } = await apt('apt-cache', ['show', '--no-all-versions', ...next])
    const records = parseShow(stdout)
    const found: string[] = []
    for (const name of next) {
      const record = records.get(name)
      if (!record)
        throw new Error(`unstable has no package ${name}`)
      wanted.set(name, record.version)
      found.push(...record.depends.filter(isLibrary))
    }
    next = [...new Set(found)].filter(name => !wanted.has(name))
  }
  const packages = [...wanted].map(([name, version]) => `${name}=${version}`).sort()
  log(`  ${packages.length} packages: ${packages.join(' ')}`)

  // As root apt downloads as its own user `_apt`: the folder must be writable by it.
  const user = aptUser()
  if (user)
    chownSync(dirs.debs, user.uid, user.gid)
  await apt('apt-get', ['download', ...packages], dirs.debs)

  const fresh = `${dest}.new-${process.pid}`
  rmSync(fresh, { recursive: true, force: true })
  mkdirSync(fresh, { recursive: true })
  const debs = readdirSync(dirs.debs).filter(name => name.endsWith('.deb'))
  if (debs.length !== packages.length)
    throw new Error(`apt-get download gave ${debs.length} .deb files for ${packages.length} packages`)
  for (const deb of debs)
    await run('dpkg', ['-x', join(dirs.debs, deb), fresh])
  mkdirSync(join(fresh, 'bin'))
  symlinkSync('usr/lib', join(fresh, 'lib'))
  const wrapper = join(fresh, 'bin', `python${SERIES}`)
  writeFileSync(wrapper, wrapperScript(arch), { mode: 0o755 })
  writeFileSync(join(fresh, 'PACKAGES'), `# Debian unstable, fetched and verified by apt from ${source.uri} (npm run runtimes)\n${packages.join('\n')}\n`)

  const works = await checkInterpreter(wrapper)
  if (!works || !works.version.startsWith(`${SERIES}.`)) {
    rmSync(fresh, { recursive: true, force: true })
    throw new Error(`the unpacked interpreter does not run (${wrapper})`)
  }
  rmSync(dest, { recursive: true, force: true })
  renameSync(fresh, dest)
  rmSync(dirs.debs, { recursive: true, force: true })
  return { version: works.version, packages, archive: source.uri }
}
