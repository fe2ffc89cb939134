import { defineShikiSetup } from '@slidev/types'
import { SHIKI_THEMES } from './shiki-themes'

export default defineShikiSetup(() => ({
  themes: SHIKI_THEMES,
  langs: ['python', 'javascript', 'rust', 'shell'],
}))
