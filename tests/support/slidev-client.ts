/**
 * Stands in for `@slidev/client` in component tests: a real clicks context from Slidev's
 * own code (createClicksContextBase), with the current click under the test's control.
 */
import type { ClicksContext } from '@slidev/types'
import { ref, type Ref } from 'vue'

// Loaded by a computed name so the type checker does not walk into Slidev's client sources.
const useClicks = '@slidev/client/composables/useClicks'
const { createClicksContextBase } = await import(/* @vite-ignore */ useClicks) as {
  createClicksContextBase: (current: Ref<number>, start?: number, total?: number) => ClicksContext
}

export const currentClick = ref(0)
// A fixed total stands in for the mounted slide's (the test drives `currentClick`).
export const clicksContext = createClicksContextBase(currentClick, 0, 999)

export function useSlideContext() {
  return { $clicksContext: clicksContext }
}

export function useNav() {
  return { isPrintMode: ref(false), isPrintWithClicks: ref(false) }
}
