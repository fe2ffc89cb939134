/**
 * Who may do what on the deck's dev server: one policy for every request, whether Slidev's,
 * Vite's or ours. Plain functions of what a request carries, so every rule is unit-tested
 * without a server; server/gate.ts applies them to HTTP requests and WebSocket handshakes.
 *
 * What a request needs (`Need`):
 * - `view`: pages and the modules the deck itself loads. Open to this machine, and to the
 *   audience when the deck is served with `--remote`.
 * - `read`: anything else read (the project's other files, the file-system route, slide
 *   sources with their notes). This machine, or the `--remote` password.
 * - `act`: anything that writes a file, runs a program or changes what connected screens
 *   show. The deck's own pages on this machine, or the `--remote` password, and always a
 *   JSON body (a content type no browser sends cross-site without a preflight).
 * - `off`: a Slidev or Vite feature this deck does not use and that would write or run
 *   something (the slide editor's writes, the MCP server, open-in-editor): refused to all.
 *
 * Whether a request comes from this machine is decided from the socket's remote address
 * and never from a header: a Host or X-Forwarded-For says whatever the client wants. The
 * Host is still checked against the deck's own names (DNS rebinding: a foreign name that
 * resolves to this machine), and so is the Origin, exactly: another port of localhost is
 * another site.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { ErrorCode } from './protocol'

export type Need = 'view' | 'read' | 'act' | 'off'

export interface Refusal {
  status: number
  code: ErrorCode
  message: string
  headers?: Record<string, string>
}

export interface AccessRequest {
  /** The socket's remote address (`req.socket.remoteAddress`): the only proof of "this machine". */
  remoteAddress: string | undefined
  method: string
  host: string | undefined
  origin: string | undefined
  /** `Sec-Fetch-Site`, sent by browsers: `same-origin`, `same-site`, `cross-site`, `none`. */
  fetchSite: string | undefined
  /** `Sec-Fetch-Mode`: `navigate` for a page the user opens (its answer is never readable by another site). */
  fetchMode: string | undefined
  /** Whether the request proved the `--remote` password (server/gate.ts decides, rate-limited). */
  authenticated: boolean
}

export interface AccessOptions {
  /**
   * Slidev's `remote` option: undefined when the deck is served to this machine only,
   * the password (possibly empty) when it was started with `--remote`.
   */
  remotePassword?: string
  /** Names besides localhost and IP addresses that reach this deck (this machine's host name …). */
  extraHostnames?: readonly string[]
}

/** The hostname of a Host header (`localhost:3030` → `localhost`, `[::1]:3030` → `[::1]`), or null if malformed. */
export function hostnameOf(host: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host)
  return match ? match[1]!.toLowerCase() : null
}

/** localhost, `*.localhost` and loopback addresses: names only this machine answers to. */
export function isLocalHostname(hostname: string): boolean {
  const name = hostname.toLowerCase()
  if (name === 'localhost' || name.endsWith('.localhost'))
    return true
  const bare = name.replace(/^\[|\]$/g, '')
  return isLoopbackAddress(bare)
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address)
    return false
  const ip = address.toLowerCase().replace(/^::ffff:/, '')
  if (isIP(ip) === 4)
    return ip.startsWith('127.')
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1'
}

/** A name this deck answers to: localhost, an IP address (no DNS involved), or one it was given. */
export function isDeckHostname(hostname: string, options: AccessOptions = {}): boolean {
  if (isLocalHostname(hostname) || isIP(hostname.replace(/^\[|\]$/g, '')) !== 0)
    return true
  return (options.extraHostnames ?? []).some(name => name.toLowerCase() === hostname)
}

export function samePassword(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** Whether a request is this machine's own: a loopback socket that also used a local name (not a tunnel's). */
export function isLocalRequest(request: Pick<AccessRequest, 'remoteAddress' | 'host'>): boolean {
  const hostname = request.host ? hostnameOf(request.host) : null
  return isLoopbackAddress(request.remoteAddress) && hostname !== null && isLocalHostname(hostname)
}

const SAFE_METHODS = new Set(['GET', 'HEAD'])

/** Null when the request may have what it needs, else why not. */
export function checkAccess(request: AccessRequest, need: Need, options: AccessOptions = {}): Refusal | null {
  const refuse = (code: ErrorCode, message: string, status = 403): Refusal => ({ status, code, message })

  if (!request.host)
    return refuse('forbidden-host', 'this deck needs a Host header')
  const hostname = hostnameOf(request.host)
  if (!hostname)
    return refuse('forbidden-host', `this deck refuses the malformed Host ${JSON.stringify(request.host.slice(0, 100))}`)
  if (!isDeckHostname(hostname, options))
    return refuse('forbidden-host', `this deck does not answer to the name ${hostname}`)

  // A browser says where a request comes from; anything but the deck's own origin is refused.
  if (request.origin !== undefined) {
    let origin: URL | null = null
    try {
      origin = new URL(request.origin)
    }
    catch {}
    const own = origin && /^https?:$/.test(origin.protocol) && origin.pathname === '/' && !origin.search && !origin.username
      && origin.host === request.host.toLowerCase()
    if (!own)
      return refuse('forbidden-origin', `this deck refuses requests from the page at ${JSON.stringify(request.origin.slice(0, 100))}: only its own pages may use it`)
  }
  if (request.fetchSite === 'cross-site' || request.fetchSite === 'same-site') {
    // A link to the deck from elsewhere may open it: the linking page cannot read the answer.
    const openingAPage = need === 'view' && request.fetchMode === 'navigate' && SAFE_METHODS.has(request.method)
    if (!openingAPage)
      return refuse('forbidden-origin', 'this deck refuses requests from another site')
  }

  if (need === 'off')
    return refuse('disabled', 'this deck turns that feature off: it would let a page write files or run programs (edit slides.md and demos/ in your editor)')

  if (isLocalRequest(request))
    return null

  // From another machine: only when the deck is served to the network.
  if (options.remotePassword === undefined)
    return refuse('forbidden-remote', 'this deck answers only to this machine (start it with `slidev --remote <password>` to show it to others)')
  if (need === 'view')
    return null
  if (options.remotePassword === '')
    return refuse('password-required', 'the deck is served to the network without a password, so other machines may only view it (start it with `slidev --remote <password>`)')
  if (!request.authenticated)
    return refuse('password-required', 'that needs the remote password (open the deck with ?password=…)')
  return null
}
