/**
 * Progress on the terminal: pages done of total for each file. On a TTY one line is
 * redrawn in place; otherwise (CI, a pipe) a line is printed when a file moves on, at
 * most every two seconds, so logs stay short.
 */
export interface Tally {
  done: number
  /** Undefined while still unknown (steps.pdf: clicks are counted as slides mount). */
  total?: number
  note?: string
}

export class Progress {
  private readonly tallies = new Map<string, Tally>()
  private readonly tty: boolean
  private lastPrinted = ''
  private lastPrintedAt = 0
  private active = true

  constructor(files: string[], private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI
    for (const file of files)
      this.tallies.set(file, { done: 0 })
  }

  set(file: string, tally: Tally): void {
    if (!this.tallies.has(file))
      return
    this.tallies.set(file, tally)
    this.render(false)
  }

  line(): string {
    const parts = [...this.tallies].map(([file, { done, total, note }]) =>
      `${file} ${done}/${total ?? '…'}${note ? ` ${note}` : ''}`)
    return `export: ${parts.join(' · ')}`
  }

  private render(force: boolean): void {
    if (!this.active)
      return
    const text = this.line()
    if (text === this.lastPrinted)
      return
    if (this.tty) {
      this.stream.write(`\r\x1B[2K${text}`)
      this.lastPrinted = text
      return
    }
    const now = Date.now()
    if (force || now - this.lastPrintedAt > 2000) {
      this.stream.write(`${text}\n`)
      this.lastPrinted = text
      this.lastPrintedAt = now
    }
  }

  /** Print the final state and stop drawing (before any other output). */
  end(): void {
    this.render(true)
    if (this.tty && this.lastPrinted)
      this.stream.write('\n')
    this.active = false
  }

  /** Stop drawing without a final line (an error follows). */
  abort(): void {
    if (this.tty && this.lastPrinted)
      this.stream.write('\n')
    this.active = false
  }

  message(text: string): void {
    if (this.tty && this.lastPrinted && this.active)
      this.stream.write('\r\x1B[2K')
    this.stream.write(`${text}\n`)
    if (this.tty && this.active && this.lastPrinted)
      this.stream.write(this.lastPrinted)
  }
}
