/**
 * Whether this component may start a live run: only in the dev server, only on the slide
 * itself or the presenter's current slide — never in print mode (the export), a presenter's
 * next-slide preview or the overview, which show the recording.
 */
import { useNav, useSlideContext } from '@slidev/client'
import { computed, type ComputedRef } from 'vue'

export function useCanGoLive(): ComputedRef<boolean> {
  const { isPrintMode } = useNav()
  const context = useSlideContext()
  return computed(() => import.meta.env.DEV
    && !isPrintMode.value
    && ['slide', 'presenter'].includes(context.$renderContext?.value ?? 'slide'))
}
