/** The talk as a project of the engine (engine/config.ts): its root, demos and recordings folders. */
import { fileURLToPath } from 'node:url'
import { engineConfig } from 'async-stacks-engine/config'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
export const TALK = engineConfig({ root: REPO_ROOT })
export const DEMOS_DIR = TALK.demosDir
export const RECORDINGS_DIR = TALK.recordingsDir
