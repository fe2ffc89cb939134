/**
 * The deck's guard: applies server/access.ts to real requests. It proves the `--remote`
 * password (a header, `?password=` on the page, or the cookie it then sets), limits wrong
 * guesses per address, and answers refusals as JSON. One guard per server, shared by the
 * gate in front of every request (server/gate.ts) and the live-run endpoint.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkAccess, isLocalRequest, samePassword, type AccessOptions, type Need, type Refusal } from './access'
import { PASSWORD_HEADER } from './protocol'

export const AUTH_COOKIE = 'deck_auth'

export interface GuardOptions extends AccessOptions {
  /** Wrong passwords one address may send per window before it has to wait. */
  maxGuesses?: number
  guessWindowMs?: number
}

export interface Admission {
  refusal: Refusal | null
  /** Whether the request may do everything (this machine, or the password). */
  trusted: boolean
}

export interface DeckGuard {
  /** Decide a request that needs `need`; on the first proof of the password, set the cookie on `res`. */
  admit: (req: IncomingMessage, need: Need, res?: ServerResponse) => Admission
  /** Whether the request may do everything, without counting a wrong password (a first look). */
  trusts: (req: IncomingMessage) => boolean
  readonly options: GuardOptions
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name)
      return value.join('=')
  }
  return undefined
}

/** `?password=` proves the password only when opening a page (Slidev's remote link), never on a write. */
function queryPassword(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return undefined
  const query = (req.url ?? '').split('?')[1]
  return query === undefined ? undefined : new URLSearchParams(query).get('password') ?? undefined
}

/** Who is guessing: an IPv4 address, or an IPv6 /64 (one machine can hold a whole /64). */
function guesserOf(address: string): string {
  const ip = address.replace(/^::ffff:/, '')
  return ip.includes(':') ? ip.split(':').slice(0, 4).join(':') : ip
}

/**
 * At most `max` wrong guesses per address per window, and ten times that from everyone
 * together, so many addresses buy no more guesses; a bounded map, so guessing cannot grow it.
 */
function guessLimiter(max: number, windowMs: number) {
  const failures = new Map<string, { count: number, since: number }>()
  const entry = (key: string) => {
    const now = Date.now()
    const found = failures.get(key)
    if (found && now - found.since < windowMs)
      return found
    const fresh = { count: 0, since: now }
    if (failures.size >= 10_000)
      failures.clear()
    failures.set(key, fresh)
    return fresh
  }
  const waitFor = (key: string, limit: number) => {
    const found = failures.get(key)
    if (!found || found.count < limit)
      return 0
    return Math.max(0, windowMs - (Date.now() - found.since))
  }
  return {
    blockedFor(address: string): number {
      return Math.max(waitFor(guesserOf(address), max), waitFor('*', max * 10))
    },
    fail(address: string): void {
      entry(guesserOf(address)).count++
      entry('*').count++
    },
  }
}

export function createGuard(options: GuardOptions = {}): DeckGuard {
  // The cookie proves the password without carrying it; new for every server start.
  const token = randomBytes(32).toString('hex')
  const limiter = guessLimiter(options.maxGuesses ?? 10, options.guessWindowMs ?? 60_000)
  const password = options.remotePassword

  /** True, false, or a refusal when the address guessed too often; `count` false only looks. */
  function authenticate(req: IncomingMessage, res?: ServerResponse, count = true): boolean | Refusal {
    if (!password)
      return false
    const given = cookie(req, AUTH_COOKIE)
    if (given && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token)))
      return true
    const guess = header(req, PASSWORD_HEADER) ?? queryPassword(req)
    if (guess === undefined)
      return false
    const address = req.socket.remoteAddress ?? 'unknown'
    const wait = limiter.blockedFor(address)
    if (wait > 0)
      return { status: 429, code: 'too-many-guesses', message: `too many wrong passwords from ${address}: try again in ${Math.ceil(wait / 1000)} s`, headers: { 'Retry-After': String(Math.ceil(wait / 1000)) } }
    if (!samePassword(guess, password)) {
      if (count)
        limiter.fail(address)
      return false
    }
    res?.appendHeader('Set-Cookie', `${AUTH_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`)
    return true
  }

  const describe = (req: IncomingMessage) => ({
    remoteAddress: req.socket.remoteAddress,
    method: req.method ?? 'GET',
    host: header(req, 'host'),
    origin: header(req, 'origin'),
    fetchSite: header(req, 'sec-fetch-site'),
    fetchMode: header(req, 'sec-fetch-mode'),
  })

  return {
    options,
    trusts(req) {
      const request = describe(req)
      const proof = isLocalRequest(request) || authenticate(req, undefined, false) === true
      return proof && checkAccess({ ...request, authenticated: true }, 'read', options) === null
    },
    admit(req, need, res) {
      const request = describe(req)
      const local = isLocalRequest(request)
      const proof = local ? false : authenticate(req, res)
      if (typeof proof === 'object')
        return { refusal: proof, trusted: false }
      const refusal = checkAccess({ ...request, authenticated: proof }, need, options)
      return { refusal, trusted: !refusal && (local || proof) }
    },
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  })
  res.end(text)
}

export function refuse(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, { error: { code: refusal.code, message: refusal.message } }, refusal.headers)
}
