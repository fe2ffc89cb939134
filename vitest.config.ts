import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'
import { engineConfig } from 'async-stacks-engine/config'
import { demoHighlights } from 'slidev-addon-async-stacks/server/highlights'
import { deckRecordings } from 'slidev-addon-async-stacks/server/recordings'

// The talk's own demos and recordings, whatever folder the tests are started from.
const { demosDir: DEMOS_DIR, recordingsDir: RECORDINGS_DIR } = engineConfig({ root: fileURLToPath(new URL('.', import.meta.url)) })

export default defineConfig({
  plugins: [vue(), demoHighlights(DEMOS_DIR), deckRecordings(RECORDINGS_DIR)],
  define: { __DEV__: 'false' },
  resolve: {
    // Component tests run outside a Slidev app: its public client API is replaced by a
    // real clicks context the test drives (tests/support/slidev-client.ts).
    alias: [{ find: /^@slidev\/client$/, replacement: fileURLToPath(new URL('./tests/support/slidev-client.ts', import.meta.url)) }],
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['tests/support/cleanup.ts'],
    // Tests run real interpreters that sleep; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
