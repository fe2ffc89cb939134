/**
 * Demos are files in `demos/`; the runtime comes from the extension (each runtime declares
 * its own: engine/runtimes.ts). A new demo is a new
 * file and nothing else. This is the one way demos are listed: by `npm run record`, the live
 * server, the highlighted code and the export.
 *
 * The rules, entry by entry in demos/:
 * - a name starting with `.` is ignored, whatever it is (`.gitkeep`, an editor's lock file);
 * - a symbolic link is refused, whatever it points to: a link could expose a file outside
 *   the project (`demos/creds.py -> ~/.aws/credentials`);
 * - a regular file named README (any extension), or an editor's backup (`sync.py~`), is ignored;
 * - anything else must be a regular file with an extension a runtime handles (.py, .mjs,
 *   .js, .rs) and a plain name (DEMO_NAME), unique whatever the extension; otherwise it
 *   is refused (a folder, a file with another extension, two demos with one name).
 *
 * What "refused" means is the caller's choice: by default listing fails with one error that
 * names every refused entry (`npm run record`, `npm run export`); the live server and the
 * highlighted code skip them and warn, so the other demos keep being served.
 *
 * Files are opened with O_NOFOLLOW and checked to be regular files once open, so a link
 * swapped in between the listing and the read is refused too.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, type Dirent } from 'node:fs'
import { basename, dirname, extname, join, relative, sep } from 'node:path'
import { engineConfig } from './config'
import { languageOfExtension, supportedExtensions } from './runtimes'
import { DEMO_NAME, type Language } from './schema'

export { DEMO_NAME }

/** The demos folder of the project in the current directory (engine/config.ts). */
const defaultDemosDir = () => engineConfig().demosDir

export interface Demo {
  /** File name without extension, unique across demos: `async_loop`. */
  name: string
  /** Project-relative path with forward slashes: `demos/async_loop.py`. */
  file: string
  absPath: string
  /** The project it belongs to (the demos folder's parent): it runs there, and recorded paths lose it. */
  root: string
  language: Language
  source: string
}

/** An entry of demos/ that is not a demo. */
export interface DemoProblem {
  /** `demos/creds.py` */
  file: string
  /** The name a request for it would use (`creds`), when it has one. */
  name: string
  /** One line that starts with the file: `demos/creds.py is a symbolic link: …`. */
  message: string
}

/** Listing found entries that are not demos; the message names every one, on one line. */
export class DemoListError extends Error {
  constructor(readonly problems: DemoProblem[]) {
    super(problems.map(problem => problem.message).join('; '))
    this.name = 'DemoListError'
  }
}

export interface ListOptions {
  /**
   * Called for each entry that is not a demo, which is then left out. Without it, listing
   * fails (DemoListError) when there is any.
   */
  onProblem?: (problem: DemoProblem) => void
}

const LINK_MESSAGE = 'is a symbolic link: demos must be regular files in demos/ (a link could expose a file outside the project)'
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0

/** The demos folder itself is missing, not a folder, or a symbolic link. */
export class DemosFolderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DemosFolderError'
  }
}

/** A demo file refused when it was opened (a link or a folder swapped in after the listing). */
export class DemoFileError extends Error {
  constructor(readonly file: string, detail: string, readonly gone = false) {
    super(`${file} ${detail}`)
    this.name = 'DemoFileError'
  }
}

/**
 * The text of a regular file, never through a symbolic link: opened with O_NOFOLLOW (and
 * O_NONBLOCK, so a FIFO swapped in cannot hang the read), then checked to be a regular file.
 * `shown` is the name errors use.
 */
export function readRegularFile(path: string, shown: string): string {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
  }
  catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP' || code === 'EMLINK')
      throw new DemoFileError(shown, LINK_MESSAGE)
    if (code === 'ENOENT')
      throw new DemoFileError(shown, 'is not there any more', true)
    throw new DemoFileError(shown, `cannot be read: ${(error as Error).message}`)
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile())
      throw new DemoFileError(shown, stat.isDirectory() ? 'is a folder: a demo is one regular file directly in demos/' : 'is not a regular file')
    return readFileSync(fd, 'utf8')
  }
  finally {
    closeSync(fd)
  }
}

/** Why an entry of demos/ is not a demo, or null when it is one (or is ignored: see `ignored`). */
function refusal(entry: Dirent): string | null {
  if (entry.isSymbolicLink())
    return LINK_MESSAGE
  if (entry.isDirectory())
    return 'is a folder: a demo is one regular file directly in demos/'
  if (!entry.isFile())
    return 'is not a regular file'
  const extension = extname(entry.name)
  if (!languageOfExtension(extension)) {
    return extension
      ? `: no runtime handles ${extension} files (supported: ${supportedExtensions()})`
      : `: a demo's extension names its runtime (supported: ${supportedExtensions()})`
  }
  if (!DEMO_NAME.test(basename(entry.name, extension)))
    return ': not a demo name: letters, digits, _ and - (at most 64, starting with a letter or digit)'
  return null
}

/** Dotfiles (whatever they are), editors' backups (`sync.py~`) and README files are not demos and are never read. */
function ignored(entry: Dirent): boolean {
  return entry.name.startsWith('.')
    || (!entry.isSymbolicLink() && entry.name.endsWith('~'))
    || (!entry.isSymbolicLink() && basename(entry.name, extname(entry.name)).toLowerCase() === 'readme')
}

/** Every demo in the folder, and every entry that is not one; throws only when the folder cannot be read. */
export function scanDemos(dir = defaultDemosDir()): { demos: Demo[], problems: DemoProblem[] } {
  let stat
  try {
    stat = lstatSync(dir)
  }
  catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DemosFolderError(code === 'ENOENT' ? `there is no demos folder at ${dir}` : `the demos folder ${dir} cannot be read: ${(error as Error).message}`)
  }
  if (stat.isSymbolicLink())
    throw new DemosFolderError(`${dir} is a symbolic link: the demos folder must be a real folder (a link could expose files outside the project)`)
  if (!stat.isDirectory())
    throw new DemosFolderError(`${dir} is not a folder: demos are files in a demos folder`)

  const root = dirname(dir)
  const demos: Demo[] = []
  const problems: DemoProblem[] = []
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    if (ignored(entry))
      continue
    const file = relative(root, join(dir, entry.name)).split(sep).join('/')
    const name = basename(entry.name, extname(entry.name))
    const why = refusal(entry)
    if (why) {
      problems.push({ file, name, message: `${file}${why.startsWith(':') ? '' : ' '}${why}` })
      continue
    }
    const absPath = join(dir, entry.name)
    let source: string
    try {
      source = readRegularFile(absPath, file)
    }
    catch (error) {
      if (!(error instanceof DemoFileError))
        throw error
      if (error.gone)
        continue // deleted since the listing: it is not there
      problems.push({ file, name, message: error.message })
      continue
    }
    demos.push({ name, file, absPath, root, language: languageOfExtension(extname(entry.name))!, source })
  }
  // Two files with one name: neither is the demo of that name.
  const unique: Demo[] = []
  for (const demo of demos) {
    const same = demos.filter(other => other.name === demo.name)
    if (same.length === 1)
      unique.push(demo)
    else if (same[0] === demo)
      problems.push({ file: demo.file, name: demo.name, message: `two demos are named "${demo.name}": ${same.map(d => d.file).join(' and ')}: demo names must be unique whatever the extension` })
  }
  unique.sort((a, b) => a.name.localeCompare(b.name))
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  return { demos: unique, problems }
}

/**
 * The demos in the folder, sorted by name. Entries that are not demos make it throw
 * (DemoListError, naming them all), unless `onProblem` is given: then they are left out
 * and reported to it one by one.
 */
export function listDemos(dir = defaultDemosDir(), options: ListOptions = {}): Demo[] {
  const { demos, problems } = scanDemos(dir)
  if (problems.length && !options.onProblem)
    throw new DemoListError(problems)
  for (const problem of problems)
    options.onProblem?.(problem)
  return demos
}

/**
 * The demo with this name, or undefined; only names listed from disk ever match. Entries
 * that are not demos are skipped: a link or a stray file never blocks the others.
 */
export function findDemo(name: string, dir = defaultDemosDir()): Demo | undefined {
  if (!DEMO_NAME.test(name))
    return undefined
  return scanDemos(dir).demos.find(demo => demo.name === name)
}

/**
 * Read the demo's file again, just before it runs: it must still be the regular file that
 * was listed, with the same source (a link swapped in is refused, never followed). The
 * runtime opens the path itself after this, so a swap in that last instant is not caught;
 * the listing and this check narrow it to that.
 */
export function checkDemoFile(demo: Demo): void {
  const now = readRegularFile(demo.absPath, demo.file)
  if (now !== demo.source)
    throw new DemoFileError(demo.file, 'changed since it was listed: run it again')
}
