/**
 * Each claim check (tests/claims/checks.ts) fails when the recordings it rests on are
 * altered, in memory, to contradict the claim: frames removed, reordered, added or
 * renamed, text changed, steps dropped — and when any recording it rests on is missing.
 * A check that still passes on a contradicting store would let the talk say anything.
 */
import { describe, expect, it } from 'vitest'
import type { Check } from '../claims/checks'
import { CLAIMS } from '../claims/claims'
import { edit, loadStore, type Ref, refName, without } from '../claims/store'

const store = loadStore()
const checks = [...new Map<string, Check>(CLAIMS.map(claim => [claim.check.title, claim.check])).values()]

for (const check of checks) {
  describe(check.title, () => {
    it('holds on the committed recordings', () => check.run(store))

    const refs = [...new Map<string, Ref>(check.rests.map(ref => [refName(ref), ref])).values()]
    for (const ref of refs) {
      it(`fails when ${refName(ref)} is missing`, () => {
        const altered = without(store, ref)
        expect(altered.length, 'the recording was there').toBeLessThan(store.length)
        expect(() => check.run(altered)).toThrow()
      })
    }

    for (const mutation of check.mutations) {
      it(`fails when ${refName(mutation.ref)}: ${mutation.what}`, () => {
        const altered = edit(store, mutation.ref, mutation.change)
        expect(JSON.stringify(altered), 'the mutation changed the recording').not.toBe(JSON.stringify(store))
        expect(() => check.run(altered)).toThrow()
      })
    }
  })
}
