/**
 * The Vite plugin that serves live runs from Slidev's dev server (`slidev`, and the dev
 * server `slidev export` starts, where the slide never asks for a run). A static build has
 * no server, so no endpoint: the slide then shows the committed recording.
 */
import type { Plugin } from 'vite'
import { createLiveHandler, type LiveHandler, type LiveHandlerOptions } from './handler'

export interface LiveRunPlugin extends Plugin {
  /** The mounted handler (and its run manager), once the dev server is configured. */
  handler?: LiveHandler
}

export function liveRunPlugin(options: LiveHandlerOptions = {}): LiveRunPlugin {
  const plugin: LiveRunPlugin = {
    name: 'deck:live-run',
    apply: 'serve',
    configureServer(server) {
      const handler = createLiveHandler({ base: server.config.base, ...options })
      plugin.handler = handler
      // First in the stack, ahead of Vite's own CORS and host middlewares, so the endpoint
      // applies its own rules (server/access.ts) whatever the Vite config says, and every
      // refusal is JSON. Other requests pass straight through to Vite.
      server.middlewares.stack.unshift({ route: '', handle: handler as never })
    },
  }
  return plugin
}
