import { findDemo } from '../engine/demos'
import { recordDemo } from '../engine/index'
const t0 = performance.now()
const rec = await recordDemo(findDemo(process.argv[2] ?? 'async')!)
console.log('total', Math.round(performance.now() - t0), 'wall', rec.run.wallTimeMs, 'steps', rec.steps.length, 'note', rec.stepsNote)
console.log(rec.steps.map(s => `${s.kind} ${s.function} ${s.atMs}`).join('\n'))
console.log(rec.run.output.map(c => c.text).join(''))
