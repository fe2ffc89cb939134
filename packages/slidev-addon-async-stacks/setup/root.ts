/**
 * The projector's window follows the presenter's and never steers it. Slidev lets a viewer
 * window on this machine send its position back; that echo arrives one round trip late, so
 * a quick back-and-forward click in the presenter was pulled back to where it had been (and
 * a run-on-click demo stopped or started on its own). Slidev's own "viewer send" switch,
 * turned off in viewer windows only: the presenter, and phones with `--remote`, still drive.
 */
import { defineRootSetup } from '@slidev/types'
import { useNav } from '@slidev/client'
import { syncDirections } from '@slidev/client/state/storage.ts'

export default defineRootSetup(() => {
  const { isPresenter } = useNav()
  if (!isPresenter.value)
    syncDirections.value.viewerSend = false
})
