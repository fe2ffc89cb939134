/**
 * Who may use the live-run endpoints. Plain functions of a request's headers, no HTTP
 * server needed, so every rule is unit-tested on its own.
 *
 * - Served on this machine only (plain `slidev`): the Host, and the Origin if the browser
 *   sent one, must be localhost, 127.0.0.1 or [::1]. Anything else is refused: another
 *   site in the speaker's browser, DNS rebinding, a machine on the network.
 * - Served to the network (`slidev --remote <password>`): a request from anywhere else
 *   must also carry the remote password in the `x-live-password` header, and its Origin
 *   (if any) must be the deck's own. With `--remote` and no password, only this machine.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { ErrorCode } from './protocol'

export interface Refusal {
  status: number
  code: ErrorCode
  message: string
  headers?: Record<string, string>
}

export interface AccessRequest {
  host: string | undefined
  origin: string | undefined
  /** `Sec-Fetch-Site`, sent by browsers: `same-origin`, `same-site`, `cross-site`, `none`. */
  fetchSite: string | undefined
  password: string | undefined
}

export interface AccessOptions {
  /**
   * Slidev's `remote` option: undefined when the deck is served to this machine only,
   * the password (possibly empty) when it was started with `--remote`.
   */
  remotePassword?: string
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]'])

/** The hostname of a Host header (`localhost:3030` → `localhost`, `[::1]:3030` → `[::1]`), or null if malformed. */
export function hostnameOf(host: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host)
  return match ? match[1]!.toLowerCase() : null
}

export function isLocalHostname(hostname: string): boolean {
  return LOCAL_HOSTNAMES.has(hostname.toLowerCase())
}

function samePassword(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** Null when the request may use the live endpoints, else why not (always 403). */
export function checkAccess(request: AccessRequest, options: AccessOptions = {}): Refusal | null {
  const refuse = (code: ErrorCode, message: string): Refusal => ({ status: 403, code, message })

  if (!request.host)
    return refuse('forbidden-host', 'live runs need a Host header')
  const hostname = hostnameOf(request.host)
  if (!hostname)
    return refuse('forbidden-host', `live runs refuse the malformed Host ${JSON.stringify(request.host.slice(0, 100))}`)

  let origin: URL | null = null
  if (request.origin !== undefined) {
    try {
      origin = new URL(request.origin)
    }
    catch {}
    if (!origin || request.origin === 'null' || !/^https?:$/.test(origin.protocol) || origin.pathname !== '/' || origin.search || origin.username)
      return refuse('forbidden-origin', `live runs refuse the Origin ${JSON.stringify(request.origin.slice(0, 100))}`)
  }
  if (request.fetchSite === 'cross-site')
    return refuse('forbidden-origin', 'live runs refuse requests from another site')

  const local = isLocalHostname(hostname) && (!origin || isLocalHostname(origin.hostname))
  if (local)
    return null

  // From elsewhere: only when the deck is served to the network, with its password.
  const what = isLocalHostname(hostname) ? `the Origin ${origin!.origin}` : `the Host ${hostname}`
  if (options.remotePassword === undefined)
    return refuse(isLocalHostname(hostname) ? 'forbidden-origin' : 'forbidden-host', `live runs answer only to localhost, not to ${what}`)
  if (options.remotePassword === '')
    return refuse('password-required', `live runs answer only to localhost, not to ${what}: the deck is served to the network without a password (start it with \`slidev --remote <password>\`)`)
  if (origin && origin.host !== request.host.toLowerCase())
    return refuse('forbidden-origin', `live runs refuse the Origin ${origin.origin}: it is not this deck's (${request.host})`)
  if (request.password === undefined || !samePassword(request.password, options.remotePassword))
    return refuse('password-required', `live runs from ${what} need the remote password (open the deck with ?password=…)`)
  return null
}
