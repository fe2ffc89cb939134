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
      // Ahead of Vite's own middlewares (its CORS would answer a preflight), so every refusal
      // is JSON; only the deck's gate (server/gate.ts) stands before it. The handler asks the
      // same guard again: mounted alone, it is still safe.
      server.middlewares.stack.unshift({ route: '', handle: handler as never })
    },
  }
  return plugin
}
