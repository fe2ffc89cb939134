import { fileURLToPath } from 'node:url'

/** The repository root, wherever the script is run from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
