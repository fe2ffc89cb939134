/** The deck's code themes: Slidev's code blocks and the demo components use the same pair. */
export const SHIKI_THEMES = {
  light: 'vitesse-light',
  dark: 'vitesse-dark',
} as const
