import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // Tests run real interpreters that sleep; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
