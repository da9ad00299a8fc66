import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingSort, sortBackward } from '../src/exec/csr-partition-task.js';

// countingSort orders a CSR partition's edges by source (or target) row. Few edges over a wide row range take a
// comparison sort instead of a second range-wide array; both must give the stable order and the same degrees.

/** The reference: indexes stably sorted by key, and the count per key. */
function reference(keys: number[], lo: number, width: number): { perm: number[]; degrees: number[] } {
  const perm = keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  const degrees = new Array<number>(width).fill(0);
  for (const k of keys) degrees[k - lo]++;
  return { perm, degrees };
}

/** Dense keys over a narrow range (the counting path) or a handful over a range thousands wide (the comparison path). */
const keyCases = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 50 })).chain(([lo, width]) =>
    fc.tuple(fc.constant(lo), fc.constant(width), fc.array(fc.integer({ min: lo, max: lo + width - 1 }), { maxLength: 400 }))),
  fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 5000, max: 20000 })).chain(([lo, width]) =>
    fc.tuple(fc.constant(lo), fc.constant(width), fc.array(fc.integer({ min: lo, max: lo + width - 1 }), { maxLength: 60 }))),
);

describe('sortBackward', () => {
  it('orders (target, source, edge) records by target, stably, with the in-degrees', () => {
    fc.assert(fc.property(keyCases, fc.integer({ min: 0, max: 2 ** 32 - 1 }), ([lo, width, targets], seed) => {
      // Sources and edge ids as a caller gives them: arbitrary sources, edge ids increasing (forward order).
      const records = new Uint32Array(3 * targets.length);
      targets.forEach((t, i) => {
        records[3 * i] = t;
        records[3 * i + 1] = (seed + i * 2654435761) >>> 0;
        records[3 * i + 2] = 1000 + i;
      });
      const got = sortBackward(9, records, lo, width);
      const want = reference(targets, lo, width);
      expect(got.id).toBe(9);
      expect([...got.degrees]).toEqual(want.degrees);
      expect([...got.src]).toEqual(want.perm.map((i) => records[3 * i + 1]));
      expect([...got.edge]).toEqual(want.perm.map((i) => records[3 * i + 2]));
    }), { numRuns: 300 });
  });
});

describe('countingSort', () => {
  it('gives the stable order and the degrees, for dense keys and for few keys over a wide range', () => {
    fc.assert(fc.property(keyCases, ([lo, width, keys]) => {
      const got = countingSort(Uint32Array.from(keys), lo, width);
      const want = reference(keys, lo, width);
      expect([...got.perm]).toEqual(want.perm);
      expect([...got.degrees]).toEqual(want.degrees);
    }), { numRuns: 300 });
  });
});
