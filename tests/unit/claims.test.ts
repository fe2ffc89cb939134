/**
 * The talk's claims, checked against the committed recordings they rest on
 * (tests/claims/checks.ts), and the claim list (tests/claims/claims.ts) checked against
 * slides.md: every sentence of a slide or a note is listed, as a claim with its check or as
 * not a claim, and every listed sentence is still there. If a recording contradicts the
 * story, the story (slides.md) must change, not the check.
 * tests/unit/claims-mutations.test.ts shows each check fails when its recordings say otherwise.
 */
import { describe, expect, it } from 'vitest'
import type { Check } from '../claims/checks'
import { CLAIMS, NOT_CLAIMS, PENDING } from '../claims/claims'
import { deckSentences } from '../claims/sentences'
import { loadStore } from '../claims/store'
import { loadDeck } from '../support/deck'

const store = loadStore()
const checks = [...new Map<string, Check>(CLAIMS.map(claim => [claim.check.title, claim.check])).values()]

describe('the talk\'s claims hold on the recordings', () => {
  for (const check of checks)
    it(check.title, () => check.run(store))
})

describe('the claim list covers slides.md', () => {
  const key = (slide: string, sentence: string) => `${slide} ¶ ${sentence}`
  const listed = [
    ...CLAIMS.map(c => ({ key: key(c.slide, c.sentence), what: `claim ${c.id}` })),
    ...PENDING.map(p => ({ key: key(p.slide, p.sentence), what: 'pending claim' })),
    ...NOT_CLAIMS.map(n => ({ key: key(n.slide, n.sentence), what: `not a claim (${n.kind})` })),
  ]

  it('every sentence of a slide or a note is listed: a claim with its check, a pending claim, or not a claim', async () => {
    const known = new Set(listed.map(l => l.key))
    const unlisted = (await deckSentences()).filter(s => !known.has(key(s.slide, s.sentence)))
    expect(unlisted.map(s => `${s.slide} (${s.where}): ${s.sentence}`), 'classify each in tests/claims/claims.ts').toEqual([])
  })

  it('every listed sentence is still in slides.md, on its slide', async () => {
    const deck = new Set((await deckSentences()).map(s => key(s.slide, s.sentence)))
    expect(listed.filter(l => !deck.has(l.key)).map(l => `${l.what}: ${l.key}`)).toEqual([])
  })

  it('each sentence is listed once, each claim id is unique', () => {
    const twice = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i)
    expect(twice(listed.map(l => l.key))).toEqual([])
    expect(twice(CLAIMS.map(c => c.id))).toEqual([])
  })

  it('every check rests on recordings and has mutations that contradict it', () => {
    for (const check of checks) {
      expect(check.rests.length, check.title).toBeGreaterThan(0)
      expect(check.mutations.length, check.title).toBeGreaterThan(0)
    }
  })

  it('the takeaways\' note counts the takeaways', async () => {
    const slide = (await loadDeck()).find(s => s.title === 'Takeaways for Monday')!
    const bullets = slide.content.split('\n').filter(l => /^- /.test(l)).length
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']
    expect(slide.note.toLowerCase()).toMatch(new RegExp(`^${words[bullets]} things`))
  })
})
