/**
 * packages/engine/docs/schema/ holds the JSON Schemas generated from the zod schemas (packages/engine/cli/json-schema.ts):
 * they must be what the zod schemas say today.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jsonSchemaFiles, SCHEMA_DIR } from 'async-stacks-engine/cli/json-schema'

describe('docs/schema', () => {
  for (const [file, text] of Object.entries(jsonSchemaFiles())) {
    it(`${file} is up to date with the zod schemas (else: npm run schema)`, () => {
      let committed = ''
      try {
        committed = readFileSync(join(SCHEMA_DIR, file), 'utf8')
      }
      catch {}
      expect(committed, `docs/schema/${file} is stale or missing: run \`npm run schema\` and commit it`).toBe(text)
    })
  }
})
