import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdIndex, LOOKUP_DIRECT, LOOKUP_HASH, LOOKUP_SEQUENTIAL, hashBytes } from '../src/exec/id-index.js';
import { EndpointScratch, resolveColumn, resolveEndpoint } from '../src/exec/resolve-endpoints.js';
import { ScanBatch, scanRows } from '../src/input/scanner.js';
import { ImportError, normalizeConfig, runImport } from '../src/index.js';
import { dumpGraph } from './helpers/graph-dump.js';

const TWO_32 = 2n ** 32n;
const halves = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];

/** Inserts `ids` in order into a one-table int index and returns it with the duplicate results. */
function build(ids: bigint[], fixedTable = 0): { index: IdIndex; dups: number[] } {
  const index = new IdIndex('int', ids.length, fixedTable);
  const dups = ids.map((id, row) => index.insertInt(...halves(id), fixedTable >= 0 ? fixedTable : row % 3, row));
  return { index, dups };
}

const find = (index: IdIndex, id: bigint): number => index.lookupInt(...halves(id));

/** Every inserted ID maps to its insertion ordinal, before and after freezing, and through a shared view. */
function expectExact(index: IdIndex, ids: bigint[], absent: bigint[]): void {
  const views = [index, IdIndex.fromShared(index.share())];
  for (const view of views) {
    ids.forEach((id, ord) => expect(find(view, id)).toBe(ord));
    for (const id of absent) expect(find(view, id)).toBe(-1);
    const lo = new Int32Array(ids.length + absent.length);
    const hi = new Int32Array(lo.length);
    [...ids, ...absent].forEach((id, r) => ([lo[r], hi[r]] = halves(id)));
    const out = new Int32Array(lo.length);
    view.lookupInts(lo, hi, lo.length, out);
    expect([...out]).toEqual([...ids.map((_, ord) => ord), ...absent.map(() => -1)]);
  }
}

const range = (from: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => from + BigInt(i));

describe('insertIntBatch: keys added in table-region order, with the result of inserting them one by one', () => {
  /** Inserts `ids` in batches of `batch` through insertIntBatch; returns the first duplicate's row or -1. */
  function buildBatched(ids: bigint[], batch: number): { index: IdIndex; dup: number } {
    const index = new IdIndex('int', Math.floor(ids.length / 4), 0);
    for (let from = 0; from < ids.length; from += batch) {
      const n = Math.min(batch, ids.length - from);
      const pairs = new Int32Array(2 * n);
      for (let k = 0; k < n; k++) [pairs[2 * k], pairs[2 * k + 1]] = halves(ids[from + k]);
      const k = index.insertIntBatch(pairs, n, 0, from);
      if (k >= 0) return { index, dup: from + k };
    }
    return { index, dup: -1 };
  }

  it('property: same first duplicate as one-by-one inserts; without one, the same ordinals and lookup mode', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 30_000n })), { minLength: 12_500, maxLength: 20_000 }),
      fc.integer({ min: 4096, max: 6000 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 14_000 }),
      (raw, batch, unique, run) => {
        // A leading run of sequential IDs first (key by key while it lasts, in batches from where it breaks, which
        // may be inside a batch or past the first); half the runs have no duplicate at all, so whole tables are
        // built in batches.
        const end = 5n + BigInt(run);
        const ids = [...new Set([...range(5n, run), ...raw.filter((v) => !unique || v < 5n || v >= end)])];
        if (!unique) ids.push(...raw.slice(0, 3));
        const serial = build(ids);
        const firstDup = serial.dups.findIndex((d) => d >= 0);
        const batched = buildBatched(ids, batch);
        expect(batched.dup).toBe(firstDup);
        if (firstDup >= 0) return;
        expect(unique).toBe(true);
        batched.index.freeze();
        serial.index.freeze();
        expect(batched.index.lookupKind).toBe(serial.index.lookupKind);
        expectExact(batched.index, ids, [2n ** 62n + 12345n]);
      },
    ), { numRuns: 25, endOnFailure: true });
  });

  it('a key repeated inside one batch is the later row; a key from an earlier batch is found too', () => {
    const ids = Array.from({ length: 12_000 }, (_, i) => BigInt(i) * 1_000_003n);
    const inBatch = [...ids];
    inBatch[11_000] = ids[10_500];
    expect(buildBatched(inBatch, 6000).dup).toBe(11_000);
    const acrossBatches = [...ids];
    acrossBatches[9000] = ids[17];
    acrossBatches[9500] = ids[9499];
    expect(buildBatched(acrossBatches, 6000).dup).toBe(9000);
  });

  it('a run of sequential IDs that breaks inside a batch: the rest of the batch goes in batched, rows counted from the batch start', () => {
    const ids = [...range(0n, 2000), ...Array.from({ length: 10_000 }, (_, i) => 10_000_000n + BigInt(i) * 7919n)];
    ids[7000] = ids[2100];
    expect(buildBatched(ids, 8000).dup).toBe(7000);
    ids[7000] = 1999n;
    expect(buildBatched(ids, 8000).dup).toBe(7000);
  });
});

describe('ID index lookup modes', () => {
  it('IDs numbered k, k+1, ... need no table: sequential lookups, holes and neighbours absent', () => {
    const ids = range(1000n, 5000);
    const { index, dups } = build(ids);
    expect(dups.every((d) => d === -1)).toBe(true);
    expectExact(index, ids, [999n, 6000n, 0n, -1n, 2n ** 40n]);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_SEQUENTIAL);
    expect(index.byteLength).toBeLessThan(64);
    expectExact(index, ids, [999n, 6000n, 0n, -1n, 2n ** 40n, -(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('negative and zero-crossing sequences stay sequential', () => {
    const ids = range(-50n, 101);
    const { index } = build(ids);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_SEQUENTIAL);
    expectExact(index, ids, [-51n, 51n]);
  });

  it('a run that breaks moves into the table; a repeat of a run ID is a duplicate', () => {
    const ids = [...range(0n, 100), 500n, ...range(100n, 100)];
    const { index, dups } = build([...ids, 42n, 500n]);
    expect(dups.slice(0, ids.length).every((d) => d === -1)).toBe(true);
    expect(dups.slice(ids.length)).toEqual([42, 100]);
    expect(index.size).toBe(ids.length);
    expectExact(index, ids, [200n, 499n, 501n, -1n]);
    index.freeze();
    // 201 IDs spread over [0, 500]: too sparse for a direct map (which needs half of the range covered).
    expect(index.lookupKind).toBe(LOOKUP_HASH);
    expectExact(index, ids, [200n, 499n, 501n, -1n]);
  });

  it('a duplicate of the very next ID in a run is caught', () => {
    const { index, dups } = build([5n, 6n, 7n, 7n]);
    expect(dups).toEqual([-1, -1, -1, 2]);
    expect(index.size).toBe(3);
  });

  it('IDs covering at least half of their range get a direct map, with holes absent', () => {
    // Shuffled, every third ID missing: 2/3 of [10, 3009] present.
    const ids = range(10n, 3000).filter((v) => v % 3n !== 0n);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const { index } = build(ids);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_DIRECT);
    expect(index.byteLength).toBeLessThanOrEqual(4 * 3000 + 64);
    expectExact(index, ids, [12n, 9n, 3010n, 3009n, -3n]);
  });

  it('sparse IDs keep the hash table', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => BigInt(i) * 1_000_003n + 7n);
    const { index } = build(ids);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_HASH);
    expectExact(index, ids, [8n, 1_000_003n]);
  });

  it('IDs at and above 2^53 are exact in every mode', () => {
    const top = 2n ** 53n;
    // A run that would continue past 2^53 - 1 stops being a run: 2^53 is not a safe double.
    const nearTop = range(top - 3n, 6);
    const { index } = build(nearTop);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_HASH);
    expectExact(index, nearTop, [top - 4n, top + 3n, top + 4n]);

    const below = range(top - 10n, 10); // ends at 2^53 - 1
    const seq = build(below).index;
    seq.freeze();
    expect(seq.lookupKind).toBe(LOOKUP_SEQUENTIAL);
    // 2^53 + 1 rounds to 2^53 as a double: it must not be mistaken for the next ID in the run.
    expectExact(seq, below, [top, top + 1n, top + 2n, -(top + 1n)]);

    const huge = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 62n + 1n, 2n ** 62n + 2n];
    const h = build(huge).index;
    h.freeze();
    expect(h.lookupKind).toBe(LOOKUP_HASH);
    expectExact(h, huge, [2n ** 62n, 2n ** 62n + 3n, TWO_32]);
  });

  it('a space over several tables keeps (table, row) per ordinal in a sequential space', () => {
    const ids = range(1n, 30);
    const { index } = build(ids, -1);
    index.freeze();
    expect(index.lookupKind).toBe(LOOKUP_SEQUENTIAL);
    const view = IdIndex.fromShared(index.share());
    ids.forEach((id, row) => {
      const ord = find(view, id);
      expect([view.tableOf(ord), view.rowOf(ord)]).toEqual([row % 3, row]);
    });
  });

  it('refuses inserts after freeze', () => {
    const { index } = build(range(0n, 3));
    index.freeze();
    expect(() => index.insertInt(3, 0, 0, 3)).toThrow(/after freeze/);
  });
});

describe('imports over sequential, dense and sparse integer IDs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gi-idmodes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes nodes with `ids` and edges i -> i+1 (by position), imports, and returns the edges as position pairs. */
  async function importWith(name: string, ids: bigint[], extraEdge?: string): Promise<[number, number, unknown][]> {
    const nodes = join(dir, `${name}-nodes.csv`);
    const edges = join(dir, `${name}-edges.csv`);
    await writeFile(nodes, `id:ID,name\n${ids.map((id, i) => `${id},n${i}`).join('\n')}\n`);
    const lines = ids.slice(1).map((id, i) => `${ids[i]},${id},${i}`);
    if (extraEdge !== undefined) lines.splice(lines.length >> 1, 0, extraEdge);
    await writeFile(edges, `:START_ID,:END_ID,w:int\n${lines.join('\n')}\n`);
    const into = join(dir, `${name}.db`);
    await runImport(normalizeConfig({ inputs: [{ kind: 'auto', files: [nodes] }, { kind: 'auto', files: [edges] }], into, overwrite: true, threads: 2, batchSize: 97 }));
    const dump = await dumpGraph(into);
    const position = new Map(ids.map((id, i) => [String(id), i]));
    return Object.values(dump.edges).flat().map((row) => {
      const [a, b, props] = JSON.parse(row) as [string, string, unknown];
      return [position.get(String(a))!, position.get(String(b))!, props] as [number, number, unknown];
    }).sort((x, y) => x[0] - y[0]);
  }

  it('give the same graph whatever lookup the index picked', async () => {
    const n = 3000;
    const sequential = range(0n, n);
    const dense = [...sequential].reverse();
    const sparse = sequential.map((v) => v * 7_777_777n + 3n);
    const a = await importWith('seq', sequential);
    expect(a.map(([s, d]) => [s, d])).toEqual(Array.from({ length: n - 1 }, (_, i) => [i, i + 1]));
    expect(await importWith('dense', dense)).toEqual(a);
    expect(await importWith('sparse', sparse)).toEqual(a);
  });

  it('an endpoint one past a sequential range, or in a direct map hole, is not found', async () => {
    const n = 1000;
    await expect(importWith('seq-miss', range(0n, n), `5,${n},1`)).rejects.toMatchObject({ code: 'GI_ENDPOINT_NOT_FOUND' });
    const holes = range(0n, n).filter((v) => v !== 500n);
    const err = await importWith('hole-miss', holes, '500,1,1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).code).toBe('GI_ENDPOINT_NOT_FOUND');
    expect((err as ImportError).message).toContain('"500"');
  });

  it('a non-integer ID in an integer ID space names the ID and suggests string IDs, not a string property', async () => {
    const nodes = join(dir, 'forced-nodes.csv');
    await writeFile(nodes, 'id:ID,name\n1,a\nx2,b\n');
    const err = await runImport(normalizeConfig({ inputs: [{ kind: 'auto', files: [nodes] }], into: join(dir, 'forced.db'), idType: 'integer' }))
      .catch((e: unknown) => e as ImportError);
    expect(err).toBeInstanceOf(ImportError);
    expect(err).toMatchObject({ code: 'GI_TYPE_CAST', line: 3, column: 1 });
    expect((err as ImportError).message).toContain('node ID "x2" is not an integer');
    expect((err as ImportError).hint).toContain('--id-type string');
  });
});

describe('string keys', () => {
  const enc = new TextEncoder();
  /** Looks every key up one by one and in one lookupStrings batch, in one buffer as a batch of rows would hold them. */
  function lookAll(index: IdIndex, keys: Uint8Array[]): { one: number[]; batch: number[] } {
    const buf = new Uint8Array(keys.reduce((n, k) => n + k.length + 1, 0));
    const start = new Int32Array(keys.length);
    const end = new Int32Array(keys.length);
    let at = 0;
    keys.forEach((k, r) => {
      buf[at++] = 0x2c; // a byte before each key: keys start mid-buffer, as fields do
      buf.set(k, at);
      start[r] = at;
      end[r] = at + k.length;
      at += k.length;
    });
    // One more row, marked not to be looked up (start -1): it gets -1 whatever the index holds.
    const n = keys.length + 1;
    const starts = Int32Array.from([...start, -1]);
    const ends = Int32Array.from([...end, 0]);
    const out = new Int32Array(n).fill(7);
    index.lookupStrings(buf, starts, ends, n, out, new Uint32Array(n), new Int32Array(n));
    expect(out[keys.length]).toBe(-1);
    return { one: keys.map((_, r) => index.lookupString(buf, start[r], end[r])), batch: [...out.subarray(0, keys.length)] };
  }

  it('property: inserted keys map to their ordinals, one by one and in batches, through a shared view; others are absent', () => {
    // Short, long (past one and two length bytes) and non-ASCII keys, with prefixes and extensions of each other.
    const key = fc.oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ minLength: 120, maxLength: 140 }),
      fc.constantFrom('x'.repeat(16_400), 'é'.repeat(9000)),
    );
    fc.assert(fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 300 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 50 }), (texts, others) => {
      const keys = texts.map((t) => enc.encode(t));
      // Sized for none: the table and the arena grow while keys go in.
      const index = new IdIndex('string', 0, 0);
      keys.forEach((k, row) => expect(index.insertString(k, 0, k.length, 0, row)).toBe(-1));
      // A repeat is a duplicate of its first ordinal.
      expect(index.insertString(keys[keys.length - 1], 0, keys[keys.length - 1].length, 0, keys.length)).toBe(keys.length - 1);
      const absent = [...others, ...texts.map((t) => `${t}.`), ...texts.map((t) => t.slice(0, -1))].filter((t) => !texts.includes(t)).map((t) => enc.encode(t));
      for (const view of [index, IdIndex.fromShared(index.share())]) {
        const { one, batch } = lookAll(view, [...keys, ...absent]);
        const expected = [...keys.map((_, ord) => ord), ...absent.map(() => -1)];
        expect(one).toEqual(expected);
        expect(batch).toEqual(expected);
      }
    }), { numRuns: 60 });
  });

  it('keys whose 32-bit hashes are equal are told apart by their bytes', () => {
    // Among 300,000 distinct keys some share a hash (about 10 pairs are expected): find them.
    const seen = new Map<number, string>();
    const pairs: [string, string][] = [];
    for (let i = 0; i < 300_000 && pairs.length < 4; i++) {
      const t = `node-${i}`;
      const b = enc.encode(t);
      const h = hashBytes(b, 0, b.length);
      const other = seen.get(h);
      if (other === undefined) seen.set(h, t);
      else pairs.push([other, t]);
    }
    expect(pairs.length).toBeGreaterThan(0);
    for (const [a, b] of pairs) {
      const index = new IdIndex('string', 2, 0);
      index.insertString(enc.encode(a), 0, a.length, 0, 0);
      // Absent, though its hash is in the table; then present with its own ordinal.
      expect(lookAll(index, [enc.encode(b)])).toEqual({ one: [-1], batch: [-1] });
      expect(index.insertString(enc.encode(b), 0, b.length, 0, 1)).toBe(-1);
      expect(lookAll(index, [enc.encode(a), enc.encode(b)])).toEqual({ one: [0, 1], batch: [0, 1] });
    }
  });
});

describe('resolveColumn against resolveEndpoint', () => {
  // The batched lookups of a relationship batch must resolve every key as the one-by-one path does: plain keys,
  // keys past 15 digits, signed, padded, zero-padded, quoted, escaped, empty, absent and not numbers at all.
  const ids = [0n, 5n, 7n, -5n, 123456789012345n, (1n << 53n) + 1n, 12345678901234567n, (1n << 63n) - 1n, -(1n << 63n), 4294967296n];
  const texts = [
    '0', '5', '+5', ' 5', '005', '"7"', '-5', '123456789012345', '9007199254740993', '12345678901234567', '0012345678901234567',
    '9223372036854775807', '-9223372036854775808', '4294967296', '', '""', '"5"""', '6', '9223372036854775808', '1.5', 'x', '99999999999999999',
  ];
  for (const kind of ['int', 'string'] as const) {
    it(`${kind} keys`, () => {
      const index = new IdIndex(kind, ids.length, 0);
      ids.forEach((id, row) => {
        if (kind === 'int') index.insertInt(...halves(id), 0, row);
        else {
          const key = Buffer.from(id.toString());
          index.insertString(key, 0, key.length, 0, row);
        }
      });
      const shared = IdIndex.fromShared(index.share());
      const buf = Buffer.from(`${texts.map((t) => `${t},x`).join('\n')}\n`);
      const scan = new ScanBatch(texts.length, 2);
      scanRows(buf, 0, buf.length, true, { delimiter: 0x2c, quote: 0x22 }, scan);
      expect(scan.rows).toBe(texts.length);
      const batch = { buf, scan, firstLine: 1, bufOffset: 0, bytesDone: buf.length };
      const out = new Int32Array(texts.length);
      resolveColumn(shared, batch, 0, texts.length, 0x22, new EndpointScratch(texts.length), out);
      const one = texts.map((_, r) => resolveEndpoint(shared, batch, scan.rowField[r], 0x22, { bytes: new Uint8Array(256) }));
      expect([...out]).toEqual(one);
      // Enough keys found that the comparison means something.
      expect(one.filter((o) => o >= 0).length).toBeGreaterThan(kind === 'int' ? 10 : 6);
    });
  }
});
