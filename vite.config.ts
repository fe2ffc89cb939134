import { defineConfig } from 'vite'
import { demoHighlights } from './server/highlights'

// Slidev merges this into its own Vite config (dev server, build and export alike).
export default defineConfig({
  plugins: [demoHighlights()],
})
