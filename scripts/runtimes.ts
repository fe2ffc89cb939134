/**
 * `npm run runtimes`: install the Node.js versions of the version matrix from the npm
 * registry (`node-<platform>-<arch>@<major>`, the binary ships inside the package) into
 * the git-ignored `.runtimes/`. The engine finds them there. CPython versions are not
 * installed: the engine records every CPython it finds on the machine.
 *
 *   npm run runtimes            Node 8, 10, 12, 16, 20, 22, 24, 26
 *   npm run runtimes -- 10 22   only these majors
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './lib/paths'

export const NODE_MAJORS = [8, 10, 12, 16, 20, 22, 24, 26]
export const RUNTIMES_DIR = join(ROOT, '.runtimes')

const run = promisify(execFile)
const pkg = `node-${process.platform}-${process.arch}`

async function install(major: number): Promise<string> {
  const prefix = join(RUNTIMES_DIR, `node-${major}`)
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

async function main() {
  const wanted = process.argv.slice(2).map(Number).filter(Boolean)
  const majors = wanted.length ? wanted : NODE_MAJORS
  const results: string[] = []
  // Two at a time: each is a ~30 MB download and unpack.
  for (let i = 0; i < majors.length; i += 2)
    results.push(...await Promise.all(majors.slice(i, i + 2).map(install)))
  for (const line of results)
    console.log(line)
  if (results.some(line => line.startsWith('✗')))
    process.exitCode = 1
}

await main()
