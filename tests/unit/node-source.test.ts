/** Where the Node tracer finds constructor bodies (engine/node/source.ts, with acorn): braces in strings, templates and regexes do not fool it. */
import { describe, expect, it } from 'vitest'
import { constructorBodies, statementLines } from 'async-stacks-engine/node/source'

const body = (source: string, [open, close]: [number, number]) => source.slice(open, close + 1)

describe('constructorBodies', () => {
  it('finds each class constructor\'s body, braces in strings, templates and regexes aside', () => {
    const source = [
      'class E extends Error {',
      '  constructor(m = { a: 1 }) {',
      '    super(`${m} }`)',
      '    if (/}/.test("}")) {}',
      '  }',
      '  constructor2() { return 1 }',
      '}',
      'const o = { constructor() { return 2 } }',
      'export default class { constructor() { this.x = class { constructor() {} } } }',
    ].join('\n')
    const bodies = constructorBodies(source)
    expect(bodies.map(b => body(source, b))).toEqual([
      '{\n    super(`${m} }`)\n    if (/}/.test("}")) {}\n  }',
      '{ this.x = class { constructor() {} } }',
      '{}',
    ])
  })

  it('reads CommonJS scripts too, and gives up on a source that does not parse', () => {
    expect(constructorBodies('return 1\nwith (x) {}\nclass A { constructor() { f() } }')).toHaveLength(1)
    expect(constructorBodies('class A { constructor() { ')).toEqual([])
    // Lines inside a constructor get no breakpoint before the script is parsed.
    expect(statementLines('class A {\n  constructor() {\n    f()\n  }\n}\ng()\n')).toEqual([1, 5])
  })
})
