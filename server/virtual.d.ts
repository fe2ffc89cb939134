declare module 'virtual:demo-highlights' {
  import type { DemoHighlights } from './highlights'

  const highlights: DemoHighlights
  export default highlights
}

declare module 'virtual:recordings' {
  import type { DeckRecordings } from './recordings'

  const recordings: DeckRecordings
  export default recordings
}
