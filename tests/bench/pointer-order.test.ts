import { describe, expect, it } from 'vitest';
import { pointerWentBack, type PointerSighting } from '../../bench/pointer-order.js';

const order = (runId: string): number | undefined => ({ yesterday: 0, today: 1, tomorrow: 2 } as Record<string, number>)[runId.replace(/:a\d+$/, '')];
const at = (runId: string, minute: number): PointerSighting => ({ runId, generatedAt: new Date(Date.UTC(2026, 11, 7, 5, minute)).toISOString() });

describe("fault drills: a reader never sees a store's pointer go back", () => {
  it('accepts a pointer that only moves forward, retries included', () => {
    expect(pointerWentBack('s1', [at('yesterday', 0), at('today', 5), at('today:a2', 6), at('tomorrow', 9)], order)).toEqual([]);
    expect(pointerWentBack('s1', [], order)).toEqual([]);
  });

  it('flags a return to a run id the pointer had left', () => {
    expect(pointerWentBack('s1', [at('yesterday', 0), at('today', 5), at('yesterday', 0)], order).join('\n')).toMatch(/went back to yesterday after today/);
  });

  it('flags a switch to a forecast generated earlier (a zombie attempt publishing after its retry)', () => {
    expect(pointerWentBack('s1', [at('yesterday', 0), at('today:a2', 7), at('today', 5)], order).join('\n')).toMatch(/went back from today:a2 .* to the older today/);
  });

  it("flags a switch to an earlier run, and a run nobody started", () => {
    expect(pointerWentBack('s1', [at('tomorrow', 1), at('today', 2)], order).join('\n')).toMatch(/from run tomorrow to the earlier run today/);
    expect(pointerWentBack('s1', [at('yesterday', 0), at('bogus', 1)], order).join('\n')).toMatch(/bogus, a run nobody started/);
  });
});
