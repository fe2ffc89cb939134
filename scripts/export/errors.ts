/** Errors an export reports to the user: a message, no stack, and an exit code. */

/** The deck or the export failed: a slide threw, a request left the machine, a timeout. */
export class ExportError extends Error {
  readonly exitCode: number = 1
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}

/**
 * The deck's own files are refused before anything is rendered: a symbolic link or a stray
 * file in demos/, an invalid recordings/manifest.json or recording.
 */
export class DeckInputError extends ExportError {
  constructor(message: string) {
    super(message)
    this.name = 'DeckInputError'
  }
}

/** The user's environment or arguments are wrong (a busy port, an unknown option). */
export class UsageError extends ExportError {
  override readonly exitCode: number = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export class PortBusyError extends UsageError {
  constructor(readonly port: number) {
    super(`port ${port} is busy: another program listens on it. Stop it, or pass another --port (or none: the export then picks a free one).`)
    this.name = 'PortBusyError'
  }
}
