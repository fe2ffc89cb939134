/**
 * The addon's Vite plugins, for the deck that lists it: its demos and recordings are the
 * deck's own `demos/` and `recordings/`, beside its slides.md (engine/config.ts). Slidev
 * loads this with its ResolvedSlidevOptions: `remote` is the `--remote` password ('' for
 * `--remote` with none, undefined when the deck is served to this machine only). One guard decides every request (server/access.ts): the gate in
 * front of the whole server and the live-run endpoint share it.
 */
import { hostname } from 'node:os'
import { defineVitePluginsSetup } from '@slidev/types'
import { engineConfig } from 'async-stacks-engine/config'
import { deckGatePlugin } from '../server/gate'
import { createGuard } from '../server/guard'
import { demoHighlights } from '../server/highlights'
import { liveRunPlugin } from '../server/plugin'
import { deckRecordings } from '../server/recordings'

export default defineVitePluginsSetup((options) => {
  const name = hostname().toLowerCase()
  const { demosDir, recordingsDir } = engineConfig({ root: options.userRoot })
  const guard = createGuard({ remotePassword: options.remote, extraHostnames: [name, `${name}.local`] })
  return [
    deckGatePlugin(guard),
    demoHighlights(demosDir),
    deckRecordings(recordingsDir),
    liveRunPlugin({ guard, demosDir }),
  ]
})
