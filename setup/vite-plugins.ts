/**
 * The deck's Vite plugins. Slidev loads this with its ResolvedSlidevOptions: `remote` is
 * the `--remote` password ('' for `--remote` with none, undefined when the deck is served
 * to this machine only).
 */
import { defineVitePluginsSetup } from '@slidev/types'
import { demoHighlights } from '../server/highlights'
import { liveRunPlugin } from '../server/plugin'
import { deckRecordings } from '../server/recordings'

export default defineVitePluginsSetup(options => [
  demoHighlights(),
  deckRecordings(),
  liveRunPlugin({ remotePassword: options.remote }),
])
