/**
 * Node's inspector prints a few lines of its own on stderr ("Debugger listening on …").
 * They are not the program's output, so the traced run drops exactly those lines, at
 * most as many times as the inspector prints them, and nothing else.
 */

interface InspectorLine {
  /** The literal start of the line, to hold back a partial line that may become one. */
  prefix: string
  pattern: RegExp
}

export type InspectorLineKind = 'listening' | 'help' | 'attached' | 'waiting' | 'ending'

const INSPECTOR_LINES: Record<InspectorLineKind, InspectorLine> = {
  listening: { prefix: 'Debugger listening on ', pattern: /^Debugger listening on ws:\/\/\S+$/ },
  // Node 8: "For help see https://…/inspector"; 10-20: "For help, see: https://…/inspector"; 22: "…/debugging".
  help: { prefix: 'For help', pattern: /^For help,? see:? https:\/\/nodejs\.org\/\S*$/ },
  attached: { prefix: 'Debugger attached.', pattern: /^Debugger attached\.$/ },
  waiting: { prefix: 'Waiting for the debugger to disconnect...', pattern: /^Waiting for the debugger to disconnect\.\.\.$/ },
  ending: { prefix: 'Debugger ending on ', pattern: /^Debugger ending on ws:\/\/\S+$/ },
}

/**
 * How many times each line may be dropped: `attached` is printed once per session;
 * `help` follows `listening` and `ending`; Node 12 announces `listening` (and `help`)
 * again when the debugger leaves a process that goes on.
 */
export function inspectorLineBudget(sessions: number): Record<InspectorLineKind, number> {
  return { listening: 2, help: 3, attached: sessions, waiting: 1, ending: 1 }
}

export function isInspectorLine(line: string): InspectorLineKind | null {
  const bare = line.replace(/\r$/, '')
  for (const [kind, { pattern }] of Object.entries(INSPECTOR_LINES)) {
    if (pattern.test(bare))
      return kind as InspectorLineKind
  }
  return null
}

/**
 * A streaming filter for stderr text. Complete lines are passed on or dropped; a partial
 * line is passed on at once unless it could still become an inspector line, in which case
 * it waits for the rest (or for `flush`).
 */
export class InspectorLineFilter {
  private held = ''
  /** True while the current line has been (partly) passed on: the rest of it is output too. */
  private midLine = false
  readonly dropped: string[] = []

  constructor(private readonly budget: Record<InspectorLineKind, number>, private readonly onLine?: (kind: InspectorLineKind, line: string) => void) {}

  /** Feed raw stderr text; returns the text to keep (possibly ''). */
  push(text: string): string {
    let out = ''
    let rest = this.held + text
    this.held = ''
    while (rest.length > 0) {
      const newline = rest.indexOf('\n')
      if (this.midLine) {
        if (newline === -1) {
          out += rest
          return out
        }
        out += rest.slice(0, newline + 1)
        rest = rest.slice(newline + 1)
        this.midLine = false
        continue
      }
      if (newline === -1) {
        if (this.couldBecomeInspectorLine(rest)) {
          this.held = rest
        }
        else {
          out += rest
          this.midLine = true
        }
        return out
      }
      const line = rest.slice(0, newline)
      rest = rest.slice(newline + 1)
      const kind = isInspectorLine(line)
      if (kind && this.budget[kind] > 0) {
        this.budget[kind]--
        this.dropped.push(line)
        this.onLine?.(kind, line)
      }
      else {
        out += `${line}\n`
      }
    }
    return out
  }

  /** The end of the stream: a held partial line is output (it never became an inspector line). */
  flush(): string {
    const out = this.held
    this.held = ''
    return out
  }

  private couldBecomeInspectorLine(partial: string): boolean {
    for (const [kind, { prefix }] of Object.entries(INSPECTOR_LINES)) {
      if (this.budget[kind as InspectorLineKind] <= 0)
        continue
      if (prefix.startsWith(partial) || partial.startsWith(prefix))
        return true
    }
    return false
  }
}

/** Remove the inspector's lines from a whole stderr text (for tests and plain comparisons). */
export function stripInspectorLines(text: string, sessions = 1): string {
  const filter = new InspectorLineFilter(inspectorLineBudget(sessions))
  return filter.push(text) + filter.flush()
}
