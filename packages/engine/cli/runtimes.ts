/**
 * `async-stacks runtimes` (`npm run runtimes` in a deck): install the Node.js versions of the
 * version matrix from the npm registry (`node-<platform>-<arch>@<major>`, the binary ships
 * inside the package) into the project's git-ignored `.runtimes/` (or $ASYNC_STACKS_RUNTIMES:
 * engine/config.ts), and make sure there is a CPython 3.14. The engine finds them there. Other CPython versions are not installed: the engine records every CPython it
 * finds on the machine (PATH, pyenv, uv, `.runtimes/python-*`).
 *
 * CPython 3.14: one the machine already has (PATH, pyenv, uv) is used as it is; otherwise, on
 * Debian, Debian unstable's packages are fetched through the machine's own apt archive and
 * unpacked into `.runtimes/python-3.14/` (python/debian-cpython.ts).
 *
 *   async-stacks runtimes                Node 8, 10, 12, 16, 20, 22, 24, 26 and CPython 3.14
 *   async-stacks runtimes 10 22          only these Node majors
 *   async-stacks runtimes python3.14     only CPython 3.14
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { discoverPythons } from '../python'
import { checkInterpreter, installDebianCPython, SERIES } from '../python/debian-cpython'
import { engineConfig } from '../config'

export const NODE_MAJORS = [8, 10, 12, 16, 20, 22, 24, 26]

const run = promisify(execFile)
const pkg = `node-${process.platform}-${process.arch}`

async function install(runtimesDir: string, major: number): Promise<string> {
  const prefix = join(runtimesDir, `node-${major}`)
  const binary = join(prefix, 'node_modules', pkg, 'bin', 'node')
  if (existsSync(binary))
    return `✓ Node ${major}: already in ${prefix}`
  mkdirSync(prefix, { recursive: true })
  try {
    await run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `${pkg}@${major}`], { cwd: prefix })
  }
  catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error)
    return `✗ Node ${major}: could not install ${pkg}@${major}: ${stderr.split('\n').find(line => /ERR/.test(line)) ?? stderr.trim().split('\n')[0]}`
  }
  const { stdout } = await run(binary, ['--version'])
  return `✓ Node ${major}: ${stdout.trim()} in ${prefix}`
}


/** CPython 3.14: the machine's own if it has one, else Debian unstable's into `.runtimes/python-3.14/`. */
async function installPython(runtimesDir: string): Promise<string> {
  const PYTHON_DIR = join(runtimesDir, `python-${SERIES}`)
  const ours = join(PYTHON_DIR, 'bin', `python${SERIES}`)
  const theirs = (await discoverPythons(process.env, runtimesDir)).filter(p => p.version.startsWith(`${SERIES}.`) && !p.executable.startsWith(`${PYTHON_DIR}/`))
  if (theirs.length)
    return `✓ CPython ${SERIES}: this machine has ${theirs.map(p => `${p.version} (${p.executable})`).join(', ')}: nothing to install`
  if (existsSync(ours)) {
    const works = await checkInterpreter(ours)
    if (works?.version.startsWith(`${SERIES}.`))
      return `✓ CPython ${SERIES}: ${works.version} already in ${PYTHON_DIR}`
  }
  const started = Date.now()
  try {
    const done = await installDebianCPython(PYTHON_DIR, join(runtimesDir, '.debian-unstable'), line => console.log(line))
    return `✓ CPython ${SERIES}: ${done.version} from Debian unstable (${done.packages.length} packages, verified by apt) in ${PYTHON_DIR} (${((Date.now() - started) / 1000).toFixed(1)} s)`
  }
  catch (error) {
    return `✗ CPython ${SERIES}: ${(error as Error).message}. Install a CPython ${SERIES} yourself (README: Runtimes) and run this again`
  }
}

export async function main(args: string[]): Promise<number> {
  const bad = args.filter(arg => !/^\d+$/.test(arg) && !/^(python|cpython|python3\.14|3\.14)$/.test(arg))
  if (bad.length) {
    console.error(`runtimes: unknown ${bad.join(' ')}: give Node majors (8 10 …) and/or python3.14, or nothing for all`)
    return 2
  }
  const wanted = args.filter(arg => /^\d+$/.test(arg)).map(Number)
  const python = !args.length || args.length > wanted.length
  const majors = args.length ? wanted : NODE_MAJORS
  const { runtimesDir } = engineConfig()
  const results: string[] = []
  if (python)
    results.push(await installPython(runtimesDir))
  // Two at a time: each is a ~30 MB download and unpack.
  for (let i = 0; i < majors.length; i += 2)
    results.push(...await Promise.all(majors.slice(i, i + 2).map(major => install(runtimesDir, major))))
  for (const line of results)
    console.log(line)
  return results.some(line => line.startsWith('✗')) ? 1 : 0
}
