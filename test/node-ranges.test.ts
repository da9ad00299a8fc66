/**
 * Node files read in parallel ranges (load-node-ranges.ts): worker threads parse ranges, the main thread adds IDs
 * and appends rows in file order. The store and every error must be those of the row-by-row read, which a file of
 * one range (batch size 100,000 here) still takes.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type InputGroup, normalizeConfig } from '../src/config/streaming-config.js';
import { ImportError } from '../src/errors/import-error.js';
import type { ImportResult } from '../src/exec/events.js';
import { IdIndex } from '../src/exec/id-index.js';
import { runImport } from '../src/exec/run-import.js';
import { storeDifferences } from './helpers/store-bytes.js';
import { prng, csvField } from './helpers/seeded-csv.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-node-ranges-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const N = 2000;
/** Node IDs of the int space: sparse, negative ones, and some past 2^53. */
const intId = (i: number): string => (i % 41 === 3 ? String(9007199254740993n + BigInt(i)) : String(i * 7919 - 4_000_000));
/** Node IDs of the string space: some with a quote or the delimiter (quoted in the file). */
const strId = (i: number): string => (i % 37 === 5 ? `s"${i}` : i % 31 === 2 ? `s,${i}` : `s${i}`);

interface Graph {
  inputs: InputGroup[];
  places: string;
  people: string;
}

/**
 * Two node files with many types, nulls, quoted empty strings, and quoted line ends (so range start guesses land
 * inside quoted fields and must be repaired), and a relationship file between them.
 */
async function writeGraph(dir: string, edit: { places?: (rows: string[]) => void; people?: (rows: string[]) => void } = {}): Promise<Graph> {
  const rnd = prng(77);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const texts = ['plain', 'with, comma', 'say "hi"', 'two\nlines', 'crlf\r\nline', 'a\n\nb', '', null, ' padded ', 'émoji 🙂'];
  const places = ['pid:ID(P),name,population:long,area:double,founded:date,seen:datetime,codes:int[],open:boolean'];
  for (let i = 0; i < N; i++) {
    places.push([
      intId(i), csvField(pick(texts)), csvField(rnd() < 0.1 ? null : String(Math.floor(rnd() * 1e12))), csvField(pick(['2.5', '-0', '1e10', null, '3.25'])),
      csvField(pick(['2020-02-29', '1970-01-01', null])), csvField(pick(['2021-05-06T07:08:09.5Z', '2024-01-01T00:00:00+05:30', null])),
      csvField(pick(['1;2;3', '', null, '-7'])), csvField(pick(['true', 'false', null])),
    ].join(','));
  }
  const people = ['name:ID(S),age:int,note'];
  for (let i = 0; i < N; i++) people.push([csvField(strId(i)), csvField(rnd() < 0.1 ? null : String(Math.floor(rnd() * 100))), csvField(pick(texts))].join(','));
  const rels = [':START_ID(S),:END_ID(P),since:int'];
  for (let i = 0; i < 600; i++) rels.push([csvField(strId(Math.floor(rnd() * N))), intId(Math.floor(rnd() * N)), String(i)].join(','));
  edit.places?.(places);
  edit.people?.(people);
  const file = (name: string, rows: string[]): Promise<void> => writeFile(join(dir, name), `${rows.join('\n')}\n`);
  await Promise.all([file('places.csv', places), file('people.csv', people), file('lives.csv', rels)]);
  return {
    inputs: [{ kind: 'node', files: [join(dir, 'places.csv')] }, { kind: 'node', files: [join(dir, 'people.csv')] }, { kind: 'relationship', name: 'LIVES_IN', files: [join(dir, 'lives.csv')] }],
    places: join(dir, 'places.csv'),
    people: join(dir, 'people.csv'),
  };
}

function importWith(inputs: InputGroup[], into: string, o: { threads: number; batchSize: number }): Promise<ImportResult> {
  // Any size of node file is read in ranges here (the default leaves files under 64 MiB to the row-by-row read).
  return runImport(normalizeConfig({ inputs, into, threads: o.threads, batchSize: o.batchSize, mode: 'streaming' }), { rangedNodeBytes: 0 });
}

async function failure(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'the import must fail').toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe('node files read in parallel ranges', () => {
  it('give the byte-identical store of a row-by-row read, repairing start guesses inside quoted line ends', async () => {
    const dir = await mkdtemp(join(work, 'same-'));
    const g = await writeGraph(dir);
    const ref = await importWith(g.inputs, join(dir, 'ref.db'), { threads: 1, batchSize: 100_000 });
    expect(ref.engine.nodeRanges, 'one range per file: read row by row').toBe(0);
    const small = await runImport(normalizeConfig({ inputs: g.inputs, into: join(dir, 'small.db'), threads: 2, batchSize: 7, mode: 'streaming' }));
    expect(small.engine.nodeRanges, 'files under RANGED_NODE_BYTES: read row by row by default').toBe(0);
    expect(await storeDifferences(join(dir, 'small.db'), join(dir, 'ref.db'))).toEqual([]);
    expect(ref.nodes).toBe(2 * N);
    let reread = 0;
    for (const [threads, batchSize] of [[2, 7], [2, 50], [1, 13]]) {
      const db = join(dir, `t${threads}-b${batchSize}.db`);
      const result = await importWith(g.inputs, db, { threads, batchSize });
      expect(result.engine.nodeRanges, `threads ${threads}, batch ${batchSize}`).toBeGreaterThan(20);
      expect(result.nodes).toBe(2 * N);
      reread += result.engine.nodeRangesReread;
      expect(await storeDifferences(db, join(dir, 'ref.db')), `threads ${threads}, batch ${batchSize}`).toEqual([]);
    }
    expect(reread, 'some ranges started inside a quoted field and were read again').toBeGreaterThan(0);
  }, 60_000);

  // A worker keeps its read buffer from range to range; a row far longer than a range (here ~300 KB, with quoted line
  // ends) makes it grow in the middle of the file, the ranges after it must read as before, and a second long row
  // grows a range's window inside the buffer kept from the first.
  it('rows far longer than a range, amid short ones, in the node and the relationship file: the same store', async () => {
    const dir = await mkdtemp(join(work, 'long-row-'));
    const long = `long ${'x'.repeat(100_000)}\n${'y'.repeat(100_000)}\r\n${'"z"'.repeat(30_000)}`;
    const nodes = ['id:ID,note'];
    for (let i = 0; i < 3000; i++) nodes.push(`${i * 3},${csvField(i === 1700 || i === 2600 ? long : `n${i}`)}`);
    const rels = [':START_ID,:END_ID,note'];
    for (let i = 0; i < 3000; i++) rels.push(`${(i * 7) % 3000 * 3},${(i * 11) % 3000 * 3},${csvField(i === 1100 || i === 2100 ? long : `r${i}`)}`);
    await writeFile(join(dir, 'n.csv'), `${nodes.join('\n')}\n`);
    await writeFile(join(dir, 'r.csv'), `${rels.join('\n')}\n`);
    const inputs: InputGroup[] = [{ kind: 'node', files: [join(dir, 'n.csv')] }, { kind: 'relationship', name: 'R', files: [join(dir, 'r.csv')] }];
    const ref = await importWith(inputs, join(dir, 'ref.db'), { threads: 1, batchSize: 100_000 });
    expect(ref.relationships).toBe(3000);
    for (const [threads, batchSize] of [[2, 7], [2, 100]]) {
      const db = join(dir, `t${threads}-b${batchSize}.db`);
      const result = await importWith(inputs, db, { threads, batchSize });
      expect(result.engine.nodeRanges, `threads ${threads}, batch ${batchSize}`).toBeGreaterThan(20);
      expect(result.engine.ranges, `threads ${threads}, batch ${batchSize}`).toBeGreaterThan(20);
      expect(await storeDifferences(db, join(dir, 'ref.db')), `threads ${threads}, batch ${batchSize}`).toEqual([]);
    }
  }, 60_000);

  // Each case edits one file; the error must be the row-by-row read's: same code, line, column and message.
  const cases: { name: string; code: string; edit: Parameters<typeof writeGraph>[1] }[] = [
    { name: 'an int ID repeated far from its first use', code: 'GI_DUPLICATE_NODE_ID', edit: { places: (r) => { r[1700] = r[1700].replace(/^[^,]+/, intId(12)); } } },
    { name: 'a string ID repeated in the next row', code: 'GI_DUPLICATE_NODE_ID', edit: { people: (r) => { r[901] = r[901].replace(/^("[^"]*(""[^"]*)*"|[^,]*)/, csvField(strId(899))); } } },
    { name: 'a repeated ID on a row whose value is also bad: the duplicate is reported', code: 'GI_DUPLICATE_NODE_ID', edit: { places: (r) => { r[1500] = `${intId(4)},x,notanumber,1,,,,`; } } },
    { name: 'a bad value before a repeated ID: the bad value is reported', code: 'GI_TYPE_CAST', edit: { places: (r) => { r[1400] = `${intId(1400)},x,12x,1,,,,`; r[1401] = `${intId(5)},x,1,1,,,,`; } } },
    { name: 'an ID that is not an integer in a declared int space', code: 'GI_TYPE_CAST', edit: { places: (r) => {
      r[0] = r[0].replace('pid:ID(P)', 'pid:ID(P){id-type:int}');
      r[1234] = r[1234].replace(/^[^,]+/, '12ab');
    } } },
    { name: 'an empty ID', code: 'GI_MISSING_NODE_ID', edit: { people: (r) => { r[1999] = r[1999].replace(/^("[^"]*(""[^"]*)*"|[^,]*)/, ''); } } },
    { name: 'a row with a field too many', code: 'GI_FIELD_COUNT', edit: { people: (r) => { r[777] = `${r[777]},extra`; } } },
  ];

  it.each(cases)('$name: $code at the row-by-row read\'s line and column', async (c) => {
    const dir = await mkdtemp(join(work, 'err-'));
    const g = await writeGraph(dir, c.edit);
    const want = await failure(importWith(g.inputs, join(dir, 'ref.db'), { threads: 1, batchSize: 100_000 }));
    expect(want.code).toBe(c.code);
    for (const [threads, batchSize] of [[2, 7], [2, 64]]) {
      const got = await failure(importWith(g.inputs, join(dir, `t${threads}-b${batchSize}.db`), { threads, batchSize }));
      expect({ code: got.code, file: got.file, line: got.line, column: got.column, message: got.message }, `threads ${threads}, batch ${batchSize}`)
        .toEqual({ code: want.code, file: want.file, line: want.line, column: want.column, message: want.message });
    }
    // No store and no temporary directory remains.
    expect((await readdir(dir)).sort()).toEqual(['lives.csv', 'people.csv', 'places.csv']);
  }, 60_000);

  it('ranges of thousands of rows take the batched ID insert: same store, and the same duplicate error', async () => {
    const dir = await mkdtemp(join(work, 'batched-'));
    const rows = (dup: boolean): string => {
      const out = ['id:ID(Q),v:long'];
      for (let i = 0; i < 12_000; i++) out.push(`${i * 104_729 + (i % 7)},${i}`);
      if (dup) out[10_001] = `${4 * 104_729 + 4},dup`;
      return `${out.join('\n')}\n`;
    };
    // Enough relationship rows for more than one range: the import then runs worker threads (see planEngine).
    const rels = [':START_ID(Q),:END_ID(Q)', ...Array.from({ length: 12_000 }, (_, i) => `${i * 104_729 + (i % 7)},${((i * 31) % 12_000) * 104_729 + (((i * 31) % 12_000) % 7)}`)];
    await writeFile(join(dir, 'rels.csv'), `${rels.join('\n')}\n`);
    const inputs = (nodes: string): InputGroup[] => [{ kind: 'node', files: [join(dir, nodes)] }, { kind: 'relationship', name: 'R', files: [join(dir, 'rels.csv')] }];
    await writeFile(join(dir, 'q.csv'), rows(false));
    await writeFile(join(dir, 'qdup.csv'), rows(true));
    // Spied on, not replaced: the real insert runs, and the batch sizes it got are recorded.
    const calls = vi.spyOn(IdIndex.prototype, 'insertIntBatch');
    try {
      await importWith(inputs('q.csv'), join(dir, 'ref.db'), { threads: 1, batchSize: 100_000 });
      const ranged = await importWith(inputs('q.csv'), join(dir, 'b.db'), { threads: 2, batchSize: 5000 });
      expect(ranged.engine.nodeRanges).toBeGreaterThan(1);
      expect(calls.mock.calls.some((c) => c[1] >= 4096), 'a range large enough for the region-ordered insert').toBe(true);
      expect(await storeDifferences(join(dir, 'b.db'), join(dir, 'ref.db'))).toEqual([]);
      const want = await failure(importWith(inputs('qdup.csv'), join(dir, 'refdup.db'), { threads: 1, batchSize: 100_000 }));
      const got = await failure(importWith(inputs('qdup.csv'), join(dir, 'bdup.db'), { threads: 2, batchSize: 5000 }));
      expect(want.code).toBe('GI_DUPLICATE_NODE_ID');
      expect({ code: got.code, line: got.line, column: got.column, message: got.message }).toEqual({ code: want.code, line: want.line, column: want.column, message: want.message });
    } finally {
      calls.mockRestore();
    }
  }, 60_000);

  it('an interrupt while the range holding a duplicate is read again stops with GI_INTERRUPTED', async () => {
    const dir = await mkdtemp(join(work, 'abort-dup-'));
    const g = await writeGraph(dir, { places: (r) => { r[1700] = r[1700].replace(/^[^,]+/, intId(12)); } });
    const controller = new AbortController();
    // The user presses Ctrl-C the moment the index finds the duplicate, so the re-read that builds its error stops.
    const inserts = ['insertInt', 'insertIntBatch'] as const;
    const spies = inserts.map((name) => {
      const real = IdIndex.prototype[name] as (...a: unknown[]) => number;
      return vi.spyOn(IdIndex.prototype, name).mockImplementation(function (this: IdIndex, ...a: unknown[]) {
        const r = real.apply(this, a);
        if (r >= 0) controller.abort();
        return r;
      } as never);
    });
    try {
      const err = await failure(runImport(normalizeConfig({ inputs: g.inputs, into: join(dir, 'g.db'), threads: 2, batchSize: 7, mode: 'streaming' }), {
        rangedNodeBytes: 0, signal: controller.signal,
      }));
      expect(controller.signal.aborted).toBe(true);
      expect(err.code).toBe('GI_INTERRUPTED');
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect((await readdir(dir)).sort()).toEqual(['lives.csv', 'people.csv', 'places.csv']);
  }, 60_000);

  it('an abort while ranges are read stops with GI_INTERRUPTED and leaves nothing behind', async () => {
    const dir = await mkdtemp(join(work, 'abort-'));
    const g = await writeGraph(dir);
    const controller = new AbortController();
    let progressed = 0;
    const err = await failure(runImport(normalizeConfig({ inputs: g.inputs, into: join(dir, 'g.db'), threads: 2, batchSize: 7, mode: 'streaming' }), {
      rangedNodeBytes: 0,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.phase === 'nodes' && ++progressed === 3) controller.abort();
      },
    }));
    expect(err.code).toBe('GI_INTERRUPTED');
    expect((await readdir(dir)).sort()).toEqual(['lives.csv', 'people.csv', 'places.csv']);
  }, 60_000);
});
