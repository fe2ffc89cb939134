declare module 'virtual:demo-highlights' {
  import type { DemoHighlights } from './highlights'

  const highlights: DemoHighlights
  export default highlights
}
