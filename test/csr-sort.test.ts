import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingSort } from '../src/exec/csr-partition-task.js';

// countingSort orders a CSR partition's edges by source (or target) row. Few edges over a wide row range take a
// comparison sort instead of a second range-wide array; both must give the stable order and the same degrees.

/** The reference: indexes stably sorted by key, and the count per key. */
function reference(keys: number[], lo: number, width: number): { perm: number[]; degrees: number[] } {
  const perm = keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  const degrees = new Array<number>(width).fill(0);
  for (const k of keys) degrees[k - lo]++;
  return { perm, degrees };
}

describe('countingSort', () => {
  it('gives the stable order and the degrees, for dense keys and for few keys over a wide range', () => {
    const cases = fc.oneof(
      // dense: many keys over a narrow range (the counting path)
      fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 50 })).chain(([lo, width]) =>
        fc.tuple(fc.constant(lo), fc.constant(width), fc.array(fc.integer({ min: lo, max: lo + width - 1 }), { maxLength: 400 }))),
      // sparse: a handful of keys over a range thousands wide (the comparison path)
      fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 5000, max: 20000 })).chain(([lo, width]) =>
        fc.tuple(fc.constant(lo), fc.constant(width), fc.array(fc.integer({ min: lo, max: lo + width - 1 }), { maxLength: 60 }))),
    );
    fc.assert(fc.property(cases, ([lo, width, keys]) => {
      const got = countingSort(Uint32Array.from(keys), lo, width);
      const want = reference(keys, lo, width);
      expect([...got.perm]).toEqual(want.perm);
      expect([...got.degrees]).toEqual(want.degrees);
    }), { numRuns: 300 });
  });
});
