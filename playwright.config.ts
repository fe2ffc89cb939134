import { defineConfig } from '@playwright/test'
import { browserArgs, findBrowser } from './scripts/lib/browser'

// Other ports for a second checkout's tests on the same machine (E2E_PORT=3141 → 3141 … 3144).
const base = Number(process.env.E2E_PORT ?? 3041)
export const DEV_PORT = base
export const STATIC_PORT = base + 1
/** The example deck (examples/minimal), built on the addon like any other deck. */
export const EXAMPLE_DEV_PORT = base + 2
export const EXAMPLE_STATIC_PORT = base + 3

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: process.env.CI ? 'list' : [['list']],
  outputDir: 'test-results',
  use: {
    viewport: { width: 1280, height: 720 },
    launchOptions: { executablePath: findBrowser(), args: browserArgs() },
  },
  webServer: [
    {
      // The deck as a speaker presents it: Slidev's dev server.
      command: `node node_modules/@slidev/cli/bin/slidev.mjs --port ${DEV_PORT} --open=false`,
      url: `http://localhost:${DEV_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      // The deck as a static site: the build, served with no dev server behind it.
      command: `node node_modules/@slidev/cli/bin/slidev.mjs build --out .test-dist && node node_modules/vite/bin/vite.js preview --outDir .test-dist --port ${STATIC_PORT} --strictPort`,
      url: `http://localhost:${STATIC_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
    {
      // The example deck, from its own folder: the addon must not depend on the talk.
      command: `node ../../node_modules/@slidev/cli/bin/slidev.mjs --port ${EXAMPLE_DEV_PORT} --open=false`,
      cwd: 'examples/minimal',
      url: `http://localhost:${EXAMPLE_DEV_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `node ../../node_modules/@slidev/cli/bin/slidev.mjs build --out .test-dist && node ../../node_modules/vite/bin/vite.js preview --outDir .test-dist --port ${EXAMPLE_STATIC_PORT} --strictPort`,
      cwd: 'examples/minimal',
      url: `http://localhost:${EXAMPLE_STATIC_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
  ],
})
