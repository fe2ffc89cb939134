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

  it('Then and now, Python 3.6 → 3.14: every CPython keeps <module> → foo → bar → blow_up; 3.11+ adds carets', () => {
    for (const version of ['3.6', '3.8', '3.10', '3.11', '3.13', '3.14']) {
      expect(userTrace('async_loop', version), version).toEqual(['<module>', 'foo', 'bar', 'blow_up'])
      expect(recordingOf('async_loop', version).traceback!.text.includes('^'), version).toBe(Number(version.split('.')[1]) >= 11)
    }
  })
})

describe('claims of "Python 3.14: the runtime shows the logical stack"', () => {
  const stdout = (r: Recording) => r.run.output.filter(c => c.stream === 'stdout').map(c => c.text).join('')
  const userFrames = (frames: { function: string, isUser: boolean }[]) => frames.filter(f => f.isUser).map(f => f.function)

  it('print_call_graph() inside blow_up prints Task-1 and its coroutine stack, innermost first: blow_up, bar, foo; before 3.14 it does not exist', () => {
    const printed = stdout(recordingOf('call_graph', '3.14'))
    expect(printed).toMatch(/^\* Task\(name='Task-1', id=0x[0-9a-f]+\)\n {2}\+ Call stack:\n/)
    const calls = [...printed.matchAll(/in async (\w+)\(\)/g)].map(m => m[1])
    expect(calls).toEqual(['blow_up', 'bar', 'foo'])
    expect(recordingOf('call_graph', '3.11').traceback!.exception).toEqual({ type: 'AttributeError', message: 'module \'asyncio\' has no attribute \'print_call_graph\'' })
  })

  it('pstree from outside, while blow_up awaits its sleep: Task-1 → foo → bar → blow_up → sleep', () => {
    const r = recordingOf('async_loop', '3.14')
    const view = r.outsideView!
    expect(view.note).toBeNull()
    expect(view.command.slice(0, 4)).toEqual(['python3.14', '-m', 'asyncio', 'pstree'])
    expect([...view.stdout.matchAll(/(?:\(T\) |└── {2})(\S+)/g)].map(m => m[1])).toEqual(['Task-1', 'foo', 'bar', 'blow_up', 'sleep'])
    const held = r.steps[view.atStep]!
    expect(held.kind).toBe('idle')
    expect(held.asyncChains![0]!.frames.map(f => f.function)).toEqual(['foo', 'bar', 'blow_up', 'sleep'])
  })

  it('create_task and gather: the runtime knows who awaits each task (awaited_by), as a tree under bar', () => {
    const created = recordingOf('create_task', '3.14')
    expect(created.outsideView!.stdout).toMatch(/Task-1\n.*foo .*\n.*bar .*\n.*\(T\) Task-2\n.*blow_up /)
    const gathered = recordingOf('gather', '3.14')
    expect(gathered.outsideView!.stdout).toMatch(/Task-1\n.*foo .*\n.*bar .*\n.*├── \(T\) Task-2\n.*tick .*\n.*\n.*└── \(T\) Task-3\n.*blow_up /)
    const idle = gathered.steps[gathered.outsideView!.atStep]!
    expect(idle.callGraph!.map(n => [n.label, n.awaitedBy])).toEqual([['Task-1', []], ['Task-2', ['Task-1']], ['Task-3', ['Task-1']]])
  })

  it('eager tasks: blow_up\'s first step runs with main, foo and bar on the thread\'s stack, and loses them at its first await', () => {
    const r = recordingOf('eager_task', '3.14')
    const at = (i: number) => r.steps[i]!
    // The steps the slide walks.
    expect([27, 28, 30, 34, 35, 37].map(i => `${at(i).kind} ${at(i).function}`)).toEqual(['line bar', 'call blow_up', 'await blow_up', 'idle select', 'resume blow_up', 'raise blow_up'])
    expect(userFrames(at(28).physicalStack)).toEqual(['<module>', 'main', 'foo', 'bar', 'blow_up'])
    expect(at(28).asyncChains!.find(c => c.current)!.frames.map(f => f.function)).toEqual(['blow_up'])
    expect(at(30).callGraph!.find(n => n.label === 'Task-2')!.awaitedBy).toEqual([])
    expect(at(34).callGraph!.find(n => n.label === 'Task-2')!.awaitedBy).toEqual(['Task-1'])
    expect(at(34).asyncChains!.find(c => c.label === 'Task-1')!.frames.map(f => f.function)).toEqual(['main', 'foo', 'bar'])
    expect(userFrames(at(35).physicalStack)).toEqual(['<module>', 'blow_up'])
    expect(userFrames(at(37).physicalStack)).toEqual(['<module>', 'blow_up'])
    expect(userTrace('eager_task', '3.14')).toEqual(['<module>', 'main', 'foo', 'bar', 'blow_up'])
  })
})
