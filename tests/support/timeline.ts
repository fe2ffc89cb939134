/** Walking a StackTimeline with the arrow keys: at each step, the line and both stacks the recording holds. */
import { expect, type Locator, type Page } from '@playwright/test'
import type { Recording, Step } from 'async-stacks-engine/schema'

export async function expectTimelineWalk(page: Page, root: Locator, recording: Recording, steps: Step[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    await expect(root).toHaveAttribute('data-step', String(i))
    await expect(root).toHaveAttribute('data-kind', step.kind)
    if (step.file === recording.demo.file && step.line !== null)
      await expect(root.locator('.row.current')).toHaveAttribute('data-line', String(step.line))
    // A popped frame is still leaving (its transition) for a moment: it is no longer on the stack.
    const shown = (pane: string) => root.locator(`.${pane} .frame:not(.stack-leave-active)`).evaluateAll(frames => frames.flatMap(f =>
      f.getAttribute('data-function') ?? JSON.parse(f.getAttribute('data-functions') ?? '[]') as string[]))
    expect(await shown('physical'), `step ${i}: thread stack`).toEqual(step.physicalStack.map(f => f.function).reverse())
    const chain = step.asyncChains?.find(c => c.current) ?? step.asyncChains?.[0]
    expect(await shown('logical'), `step ${i}: async stack`).toEqual((chain?.frames ?? []).map(f => f.function).reverse())
    await page.keyboard.press('ArrowRight')
  }
}
