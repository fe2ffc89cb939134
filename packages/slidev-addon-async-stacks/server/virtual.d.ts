declare module 'virtual:demo-highlights' {
  const highlights: import('./highlights').DemoHighlights
  export default highlights
}

declare module 'virtual:recordings' {
  const recordings: import('./recordings').DeckRecordings
  export default recordings
}
