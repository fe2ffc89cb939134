/**
 * Scratch folders for tests (demos written on the fly, fake repo roots): each one is
 * removed when its test file ends (see the `afterAll` in tests/support/cleanup.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made: string[] = []

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A scratch project's demos folder, `<scratch>/demos`: its demos are `demos/<file>`, as in a deck. */
export function scratchDemosDir(): string {
  const dir = join(scratchDir('project-'), 'demos')
  mkdirSync(dir)
  return dir
}

export function removeScratchDirs(): void {
  for (const dir of made.splice(0))
    rmSync(dir, { recursive: true, force: true })
}
