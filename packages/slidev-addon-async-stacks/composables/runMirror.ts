/**
 * The windows of one browser (presenter and audience) mirror each other's runs: a run
 * started in one plays in the others. Only the window that started a run talks to the
 * server; it passes on each event, and the others replay them (`useDemoRun`).
 *
 * A plain BroadcastChannel, on purpose. Slidev's own sync state (the one setup/root.ts
 * tunes) mirrors one state object, written whole on each change and through the dev
 * server's socket: a run streams thousands of events. VueUse's `useBroadcastChannel`
 * keeps only the newest message in a ref (a burst of events in one tick would be lost to
 * a watcher) and opens its channel on mount, so it does nothing outside a component.
 */
import type { LiveEvent } from '../server/protocol'

/** What one window tells the others about a run of a demo. */
export type MirrorMessage = { from: string } & (
  | { type: 'run', at: number } // a run started there (Date.now()): follow it
  | { type: 'event', event: LiveEvent }
  | { type: 'fail', message: string }
  | { type: 'stop' } // the run there was stopped
  | { type: 'stop-request' } // someone pressed Stop on a mirrored run
)
export type MirrorBody = MirrorMessage extends infer M ? M extends MirrorMessage ? Omit<M, 'from'> : never : never

export const MIRROR_CHANNEL_PREFIX = 'async-traces-live-run:'

/** The channel of one demo's runs; a pstree run is another kind of run, with its own. */
export function mirrorChannelName(demo: string, pstreeAt?: string): string {
  return `${MIRROR_CHANNEL_PREFIX}${demo}${pstreeAt === undefined ? '' : `+pstree:${pstreeAt}`}`
}

export interface Mirror {
  /** This window's id, as its messages carry it. */
  readonly id: string
  /** Tell the other windows (on the channel open now, if any). */
  tell: (message: MirrorBody) => void
  /** Listen on this channel from now on (no-op if it is the one open, or mirroring is off). */
  open: (channelName: string) => void
  close: () => void
}

export function createMirror(onMessage: (message: MirrorMessage) => void, enabled = true): Mirror {
  const id = Math.random().toString(36).slice(2)
  let channel: BroadcastChannel | null = null
  let openName = ''
  return {
    id,
    tell(message) {
      try {
        channel?.postMessage({ ...message, from: id })
      }
      catch {} // a closed channel: nobody to tell
    },
    open(channelName) {
      if (!enabled || typeof BroadcastChannel === 'undefined' || openName === channelName)
        return
      channel?.close()
      openName = channelName
      channel = new BroadcastChannel(channelName)
      channel.onmessage = (message: MessageEvent<MirrorMessage>) => {
        if (message.data && message.data.from !== id)
          onMessage(message.data)
      }
      // Under Node (unit tests) an open channel would keep the process alive.
      ;(channel as { unref?: () => void }).unref?.()
    },
    close() {
      channel?.close()
      channel = null
      openName = ''
    },
  }
}
