import { defineShikiSetup } from '@slidev/types'
import type { BundledLanguage } from 'shiki'
import { BUILTIN_RUNTIMES } from 'async-stacks-engine/runtime-manifests'
import { SHIKI_THEMES } from './shiki-themes'

export default defineShikiSetup(() => ({
  themes: SHIKI_THEMES,
  // Every runtime's grammar (engine/*/runtime.json), and the shell for commands.
  langs: [...new Set([...BUILTIN_RUNTIMES.map(runtime => runtime.shiki as BundledLanguage), 'shell' as const])],
}))
