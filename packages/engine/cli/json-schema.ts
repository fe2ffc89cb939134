/**
 * `npm run schema`: the JSON Schemas of the formats, generated from their zod schemas (the
 * one definition) into docs/schema/, for readers and tools outside TypeScript. Committed;
 * tests/unit/json-schema.test.ts fails when they are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { RuntimeManifestSchema } from '../runtimes'
import { ManifestSchema, RecordingSchema, RunEventSchema, SCHEMA_VERSION } from '../schema'
import { TRACER_PROTOCOL_VERSION, TracerEventSchema } from '../tracer-protocol'

/** The engine's own documentation: docs/schema/ beside docs/recording-format.md. */
export const SCHEMA_DIR = fileURLToPath(new URL('../docs/schema', import.meta.url))

/** What the live-run endpoint streams: the engine's run events, and `queued` while a run waits (server/protocol.ts). */
const LiveEventSchema = z.union([RunEventSchema, z.object({ type: z.literal('queued'), position: z.number().int() })])

/** `io: 'input'`: what the engine accepts (a tracer may add keys it ignores); else what it writes, exactly. */
const FORMATS: Record<string, { title: string, description: string, schema: z.ZodType, io?: 'input' | 'output' }> = {
  'recording.schema.json': { title: 'Recording', description: `A recording, recordings/<demo>/<runtime>-<version>.json (schemaVersion ${SCHEMA_VERSION}).`, schema: RecordingSchema },
  'manifest.schema.json': { title: 'Manifest', description: 'recordings/manifest.json: every recording, and which is its demo\'s default.', schema: ManifestSchema },
  'live-event.schema.json': { title: 'Live-run event', description: 'One NDJSON line of POST /__live/run.', schema: LiveEventSchema },
  'tracer-event.schema.json': { title: 'Tracer event', description: `One JSON line a tracer writes on fd 3 (tracer protocol version ${TRACER_PROTOCOL_VERSION}).`, schema: TracerEventSchema, io: 'input' },
  'runtime.schema.json': { title: 'Runtime', description: 'engine/<runtime>/runtime.json: a runtime plug-in\'s declaration.', schema: RuntimeManifestSchema, io: 'input' },
}

/** Every schema file's text, by file name. */
export function jsonSchemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(FORMATS).map(([file, { title, description, schema, io }]) => {
    // Refinements (a manifest file's path rules) are checked by zod only: JSON Schema has no word for them.
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: io ?? 'output' })
    return [file, `${JSON.stringify({ title, description, ...json }, null, 2)}\n`]
  }))
}

/** `async-stacks schema`: write them. */
export async function main(args: string[]): Promise<number> {
  if (args.length) {
    console.error(`schema: takes no arguments, not ${args.join(' ')}`)
    return 2
  }
  mkdirSync(SCHEMA_DIR, { recursive: true })
  for (const [file, text] of Object.entries(jsonSchemaFiles()))
    writeFileSync(join(SCHEMA_DIR, file), text)
  console.log(`wrote ${Object.keys(FORMATS).length} JSON Schemas to ${SCHEMA_DIR}`)
  return 0
}
