/**
 * `npm run bench`: every speed and size target of the project, measured in one run and
 * printed as a table. `npm run bench -- deck` runs one suite.
 */
import { benchDeck } from './bench/deck'
import { benchEngine } from './bench/engine'
import { benchExport } from './bench/export'
import { benchLive } from './bench/live'
import { printTable, type BenchRow } from './bench/table'

const suites: Record<string, () => Promise<BenchRow[]>> = {
  deck: benchDeck,
  engine: benchEngine,
  live: benchLive,
  export: benchExport,
}

async function main() {
  const wanted = process.argv.slice(2).filter(arg => !arg.startsWith('-'))
  const unknown = wanted.filter(name => !(name in suites))
  if (unknown.length) {
    console.error(`unknown benchmark suite: ${unknown.join(', ')} (have: ${Object.keys(suites).join(', ')})`)
    process.exit(2)
  }
  const rows: BenchRow[] = []
  for (const [name, suite] of Object.entries(suites)) {
    if (wanted.length && !wanted.includes(name))
      continue
    console.error(`bench: ${name} …`)
    rows.push(...await suite())
  }
  printTable(rows)
  if (rows.some(row => row.ok === false))
    process.exitCode = 1
}

await main()
