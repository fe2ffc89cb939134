/**
 * Executables found the way a shell finds them: the folders of PATH, in order. The one
 * lookup for every runtime's discovery and for the browser.
 */
import { delimiter, isAbsolute, join } from 'node:path'
import { isExecutable } from './spawn'

/** Every executable `name` on PATH, first match first (a relative PATH entry is skipped: it depends on the working folder). */
export function executablesOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? '').split(delimiter).filter(dir => dir && isAbsolute(dir))
    .map(dir => join(dir, name)).filter(isExecutable)
}

/** The executable a shell would run for `name`, or null. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return executablesOnPath(name, env)[0] ?? null
}
