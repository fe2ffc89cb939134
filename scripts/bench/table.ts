/** Benchmark rows and the table `npm run bench` prints. */
export interface BenchRow {
  /** What was measured. */
  name: string
  /** The measurement, formatted with its unit. */
  value: string
  /** What it is compared with, formatted (e.g. the blank deck's build time). */
  baseline?: string
  /** The target in words: `≤ 1.5× baseline`, `< 3 MB`. */
  target?: string
  /** Whether the target is met; undefined when there is no target. */
  ok?: boolean
}

export function printTable(rows: BenchRow[]): void {
  const header = ['benchmark', 'value', 'baseline', 'target', 'ok']
  const cells = rows.map(row => [row.name, row.value, row.baseline ?? '', row.target ?? '', row.ok === undefined ? '' : row.ok ? 'yes' : 'NO'])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map(c => c[i]!.length)))
  const line = (c: string[]) => `| ${c.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`)
  for (const c of cells)
    console.log(line(c))
}

export const ms = (value: number) => `${Math.round(value)} ms`
export const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`
export const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`
export const ratio = (value: number) => `${value.toFixed(2)}×`

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
