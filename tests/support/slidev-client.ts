/**
 * Stands in for `@slidev/client` in component tests: a real clicks context from Slidev's
 * own code (createClicksContextBase), with the current click under the test's control.
 */
import { ref } from 'vue'
import { createClicksContextBase } from '@slidev/client/composables/useClicks'

export const currentClick = ref(0)
// A fixed total stands in for the mounted slide's (the test drives `currentClick`).
export const clicksContext = createClicksContextBase(currentClick, 0, 999)

export function useSlideContext() {
  return { $clicksContext: clicksContext }
}

export function useNav() {
  return { isPrintMode: ref(false), isPrintWithClicks: ref(false) }
}
