/**
 * Register a component's own steps with Slidev's clicks context, so no slide needs a
 * hand-counted `clicks:`, and derive the step shown from the click index alone (each
 * page of a `--with-clicks` export is mounted fresh at its click).
 */
import { useSlideContext } from '@slidev/client'
import { computed, onMounted, onUnmounted, shallowRef, toValue, type MaybeRefOrGetter } from 'vue'

let nextId = 0

/**
 * @param clicks how many clicks the component takes (its steps after the first).
 * @returns the step to show: 0 on entering the slide, `clicks` when all are done.
 *   Outside a slide, and in an export without clicks, the final step.
 */
export function useStepClicks(clicks: MaybeRefOrGetter<number>) {
  const context = useSlideContext().$clicksContext
  const id = `deck-steps-${nextId++}`
  const start = shallowRef<number | null>(null)

  onMounted(() => {
    const count = toValue(clicks)
    if (!context || count <= 0)
      return
    const info = context.calculateSince('+1', count)
    if (!info)
      return
    context.register(id, info)
    start.value = info.start
  })
  onUnmounted(() => context?.unregister(id))

  return computed(() => {
    const count = toValue(clicks)
    if (!context || start.value === null)
      return count
    return Math.min(count, Math.max(0, context.current - start.value + 1))
  })
}
