/**
 * What a request to the dev server needs (see server/access.ts), from its method and path.
 * Every endpoint of Slidev 53 and Vite 8 that writes, runs or moves screens is named here
 * (found in their sources: @slidev/cli's serve chunk, vite-plugin-vue-server-ref, Vite's
 * launch-editor middleware); anything else that is not a plain read is treated as `act`.
 */
import type { Need } from './access'

/** `module`: a plain read, `view` if the deck itself loads it, else `read` (decided in server/gate.ts). */
export type RouteNeed = Need | 'module'

/** The one server-synced state the deck uses: where the presenter is, so the audience follows. */
const SYNCED_KEYS = new Set(['nav'])

const STRICTNESS: RouteNeed[] = ['view', 'module', 'read', 'act', 'off']

function decoded(path: string): string {
  try {
    return decodeURIComponent(path)
  }
  catch {
    return path
  }
}

function needOfPath(method: string, path: string): RouteNeed {
  // Collapse `//` and lower-case: routers differ on both, so no spelling slips past.
  const route = path.replace(/\/{2,}/g, '/').replace(/^\//, '').toLowerCase()
  const reads = method === 'GET' || method === 'HEAD'
  const first = route.split('/')[0]!

  if (first === '__mcp' || first.startsWith('__open-in-editor'))
    return 'off'
  if (first === '__slidev')
    return reads ? 'read' : 'off' // the slide editor's writes go straight into slides.md
  if (first === '__live')
    return 'act'
  if (first.startsWith('__inspect'))
    return 'read'
  if (first === '@server-ref' || first === '@server-reactive') {
    if (reads)
      return 'module'
    return SYNCED_KEYS.has(route.slice(first.length + 1).replace(/\/$/, '')) ? 'act' : 'off'
  }
  if (method === 'OPTIONS')
    return 'view'
  return reads ? 'module' : 'act'
}

/** The strictest need of the path as sent and as decoded, so an encoded spelling cannot slip past. */
export function routeNeed(method: string, url: string, base = '/'): RouteNeed {
  const upper = method.toUpperCase()
  const raw = url.split('?')[0]!.split('#')[0]!
  const paths = [raw, decoded(raw)].map(path => path.startsWith(base) ? `/${path.slice(base.length)}` : path)
  return paths.map(path => needOfPath(upper, path)).reduce((a, b) => STRICTNESS.indexOf(a) >= STRICTNESS.indexOf(b) ? a : b)
}
