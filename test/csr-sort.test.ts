import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, decodeRecords, encodeRecords } from '../src/exec/backward-records.js';
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

describe('spilled backward records', () => {
  it('decode to exactly the records encoded, group by group, at any value of 32 bits', () => {
    const u32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1));
    // A group as the CSR build makes one: any targets, sources that never decrease, edge ids that increase.
    const group = fc.array(fc.tuple(u32, fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 22 })), { maxLength: 40 })
      .chain((rows) => fc.tuple(fc.constant(rows), u32, u32).map(([r, s0, e0]) => {
        let s = Math.min(s0, 2 ** 32 - 1 - 2 ** 26);
        let e = Math.min(e0, 2 ** 32 - 1 - 2 ** 28);
        return r.map(([t, ds, de]) => [t, (s += ds), (e += de)] as const);
      }));
    fc.assert(fc.property(fc.array(group, { minLength: 1, maxLength: 6 }), (groups) => {
      const counts = new Uint32Array(groups.length + 1);
      groups.forEach((g, d) => (counts[d + 1] = counts[d] + g.length));
      const records = Uint32Array.from(groups.flat().flat());
      const out = new Uint8Array(MAX_RECORD_BYTES * Math.max(1, records.length / 3));
      const ends = encodeRecords(records, counts, out);
      expect(ends[0]).toBe(0);
      const back = new Uint32Array(records.length);
      groups.forEach((g, d) => {
        // Each group decodes on its own, from its own start, and ends exactly where the next begins.
        expect(decodeRecords(out, ends[d], g.length, back, 3 * counts[d])).toBe(ends[d + 1]);
      });
      expect([...back]).toEqual([...records]);
    }), { numRuns: 300 });
  });
});
