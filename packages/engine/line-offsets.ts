/** Where each line of a text starts (its offset), for the parsers that walk a text line by line. */
export function lineOffsets(lines: readonly string[]): number[] {
  const offsets: number[] = []
  let at = 0
  for (const line of lines) {
    offsets.push(at)
    at += line.length + 1
  }
  return offsets
}
