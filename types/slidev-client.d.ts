/**
 * The part of `@slidev/client`'s public API this deck uses, typed for `vue-tsc`.
 * `@slidev/client` ships TypeScript sources, not declarations, and checking them under this
 * project's strict settings fails inside Slidev; tsconfig maps the import here for type
 * checking only (Vite still loads the real package).
 */
import type { ClicksContext, RenderContext } from '@slidev/types'
import type { ComputedRef, Ref } from 'vue'

export interface SlideRouteInfo {
  no: number
}

export declare function useSlideContext(): {
  $clicksContext: ClicksContext
  $clicks: Ref<number>
  $page: Ref<number>
  $renderContext: Ref<RenderContext>
  $route: SlideRouteInfo | undefined
  $slidev: { nav: { currentSlideNo: number } } | undefined
}

export declare function useNav(): {
  currentSlideNo: ComputedRef<number>
  clicks: ComputedRef<number>
  clicksTotal: ComputedRef<number>
  isPrintMode: ComputedRef<boolean>
  isPrintWithClicks: ComputedRef<boolean>
  isPresenter: ComputedRef<boolean>
}
