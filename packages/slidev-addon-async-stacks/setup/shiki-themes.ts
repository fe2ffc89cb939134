/**
 * The deck's code themes: Slidev's code blocks and the demo components use the same pair.
 *
 * The light theme is vitesse-light with every token colour darkened (same hue) until it
 * reads at WCAG AA (4.5:1, with a margin) on the deck's code background and on the
 * highlighted current line (styles/index.css: `--slidev-code-background`,
 * `--deck-highlight-bg`): vitesse's own red and green are 4.47:1 and 3.89:1 on #f5f5f5,
 * too faint for a projector.
 */
import type { ThemeRegistration } from 'shiki'
import vitesseLight from '@shikijs/themes/vitesse-light'

/** The darkest background code is drawn on: the current line, rgba(0, 114, 178, 0.14) over #f5f5f5. */
const DARKEST_CODE_BG: RGB = [211, 227, 236]
const MIN_CONTRAST = 4.7

type RGB = [number, number, number]

function parseHex(hex: string): { rgb: RGB, alpha: number } | null {
  const m = hex.match(/^#([0-9a-f]{6})([0-9a-f]{2})?$/i)
  if (!m)
    return null
  const n = Number.parseInt(m[1]!, 16)
  return { rgb: [n >> 16 & 255, n >> 8 & 255, n & 255], alpha: m[2] ? Number.parseInt(m[2], 16) / 255 : 1 }
}
const toHex = (rgb: RGB) => `#${rgb.map(c => Math.round(c).toString(16).padStart(2, '0')).join('')}`

function luminance([r, g, b]: RGB): number {
  const lin = (c: number) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}
export function contrast(a: RGB, b: RGB): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/** The colour, made opaque over `bg` and darkened towards black until it reaches MIN_CONTRAST on `bg`. */
export function readable(hex: string, bg: RGB = DARKEST_CODE_BG): string {
  const parsed = parseHex(hex)
  if (!parsed)
    return hex
  let rgb = parsed.rgb.map((c, i) => c * parsed.alpha + bg[i]! * (1 - parsed.alpha)) as RGB
  while (contrast(rgb, bg) < MIN_CONTRAST)
    rgb = rgb.map(c => c * 0.96) as RGB
  return toHex(rgb)
}

const deckLight: ThemeRegistration = {
  ...vitesseLight,
  name: 'deck-light',
  displayName: 'Deck light (vitesse-light at WCAG AA)',
  colors: Object.fromEntries(Object.entries(vitesseLight.colors ?? {}).map(([key, value]) =>
    [key, key === 'editor.foreground' ? readable(value) : value])),
  tokenColors: (vitesseLight.tokenColors ?? []).map(rule => ({
    ...rule,
    settings: {
      ...rule.settings,
      ...(rule.settings.foreground && !rule.settings.background ? { foreground: readable(rule.settings.foreground) } : {}),
    },
  })),
}

export const SHIKI_THEMES = {
  light: deckLight,
  dark: 'vitesse-dark',
} as const
