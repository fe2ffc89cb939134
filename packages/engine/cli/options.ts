/**
 * Command-line options for the project's scripts (record, export): node:util parseArgs, with
 * its errors turned into one line that says what is wrong and which options there are.
 */
import { parseArgs } from 'node:util'

/** Bad input to a script: one line on stderr, exit code 2, no stack trace. */
export class UsageError extends Error {
  readonly exitCode: number = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  default?: string | boolean
  /** How the help and the errors name its value: `<dir>`. */
  value?: string
}

/** `--out <dir>, --letter, --help` */
export function optionList(options: Record<string, OptionSpec>): string {
  return Object.entries(options).map(([name, spec]) => `--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`).join(', ')
}

/** The quoted option or argument in one of parseArgs' messages: `Unknown option '--bogus'…` → `--bogus`. */
function quoted(message: string): string {
  const found = /'([^']*)'/.exec(message)?.[1] ?? ''
  return found.replace(/ <value>$/, '')
}

export function parseCommandLine<T extends Record<string, OptionSpec>>(args: string[], options: T, allowPositionals: boolean) {
  const spec = Object.fromEntries(Object.entries(options).map(([name, { value: _value, ...rest }]) => [name, rest]))
  try {
    const { values, positionals } = parseArgs({ args, options: spec as { [K in keyof T]: Omit<T[K], 'value'> }, allowPositionals, strict: true })
    return { values, positionals: positionals as string[] }
  }
  catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    const list = `options: ${optionList(options)}`
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${quoted(message)} (${list})`)
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument ${quoted(message)}: this command takes options only (${list})`)
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        // `Option '--out <value>' argument missing`, `Option '-o, --out <value>' …`, `Option '--letter' does not take …`
        const name = /--[\w-]+/.exec(quoted(message))?.[0] ?? quoted(message)
        const option = options[name.replace(/^--/, '')]
        if (option?.type === 'string')
          throw new UsageError(`${name} needs a value: ${name} ${option.value ?? '<value>'}`)
        throw new UsageError(`${name} takes no value (${list})`)
      }
      default:
        throw new UsageError(`${message.split('\n')[0]} (${list})`)
    }
  }
}
