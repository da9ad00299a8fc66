import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool, DateDay, Dictionary, Field, type DataType, Float32, Float64, Int8, Int32, Int64, LargeUtf8, List, RecordBatchFileWriter, RecordBatchStreamWriter,
  Table, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Uint16, Uint32, Uint64, Utf8, type Vector, makeData, makeVector, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import type { ImportEvent } from '../src/exec/events.js';
import { runImport, planImportRun } from '../src/exec/run-import.js';
import { decodeInputs } from '../src/exec/decode-inputs.js';
import { IdIndex } from '../src/exec/id-index.js';
import { PhaseClock } from '../src/exec/phase-clock.js';
import { sampleEndpoints } from '../src/exec/sample-endpoints.js';
import { resolveInputs } from '../src/schema/resolve-inputs.js';
import { ImportError } from '../src/errors/import-error.js';
import { verifyStore } from '../src/read/verify-store.js';
import { interruptCli, strayEntries } from './helpers/child.js';
import { storeDifferences } from './helpers/store-bytes.js';

// Relationship files in the Arrow IPC file format are read in place: workers take their record batches straight
// from the file, without the text conversion that Arrow streams (no random access) still go through. The same
// batches written as a stream therefore give the reference: both must import to byte-identical stores, report the
// same errors at the same lines, and reject the same rows.

let work: string;
let n = 0;
const fresh = (name: string): string => join(work, `${++n}-${name}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-in-place-'));
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A deterministic pseudo-random sequence (the same graph on every run). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A column of a fixed-width type from values (null: null), with a validity bitmap. */
function fixed(type: DataType, Array: { new (n: number): ArrayLike<unknown> & { [i: number]: unknown } }, values: (number | bigint | null)[]): Vector {
  const data = new Array(values.length);
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else {
      data[i] = v;
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  });
  return makeVector(makeData({ type, length: values.length, nullCount: nulls, data, nullBitmap: bitmap } as never));
}

/** A UTF-8 column from strings and raw byte sequences (which may not be UTF-8). */
function utf8Bytes(values: (string | number[])[]): Vector {
  const parts = values.map((v) => (typeof v === 'string' ? Buffer.from(v) : Uint8Array.from(v)));
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => { offsets[i + 1] = offsets[i] + p.length; });
  return makeVector(makeData({ type: new Utf8(), length: parts.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(parts) }));
}

/** Writes `table` as an Arrow IPC file and as a stream, in batches of the given sizes (cycled). */
async function writeBoth(dir: string, name: string, table: Table, sizes: number[]): Promise<{ file: string; stream: string }> {
  const out = { file: join(dir, `${name}.arrow`), stream: join(dir, `${name}.arrows`) };
  for (const [kind, path] of [['file', out.file], ['stream', out.stream]] as const) {
    const w = kind === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
    for (let at = 0, k = 0; at < table.numRows; at += sizes[k++ % sizes.length]) {
      for (const b of table.slice(at, Math.min(table.numRows, at + sizes[k % sizes.length])).batches) w.write(b);
    }
    w.finish();
    await writeFile(path, w.toUint8Array(true));
  }
  return out;
}

interface Graph {
  /** Node files in CSV. */
  csv: string[];
  /** Node and relationship files: read in place (`file`) and converted (`stream`). */
  nodes: { file: string; stream: string }[];
  rels: { file: string; stream: string }[];
}

/** People (int64 IDs, sparse), companies (string IDs), and three relationship files that touch every in-place reader. */
async function makeGraph(dir: string, edges: number): Promise<Graph> {
  await mkdir(dir, { recursive: true });
  const rnd = lcg(7);
  const people = 500;
  const personId = (k: number): bigint => BigInt(k) * 1_000_003n - 250_000n + (k === 7 ? 2n ** 60n : 0n);
  const companies = Array.from({ length: 40 }, (_, k) => (k % 5 === 0 ? `00${k}` : `${k}`));
  const orgs = ['o-1', '00042', 'Ørsted', '77'];
  await writeFile(join(dir, 'Company.csv'), `id:ID(C),name\n${companies.map((c) => `${c},c${c}`).join('\n')}\n`);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const maybe = <T>(v: T, p = 0.1): T | null => (rnd() < p ? null : v);
  const text = ['plain', 'with, comma', 'say "hi"', 'two\nlines', '', 'ünï ✓', 'tab\there'];
  // Person: int64 IDs (one past 2^53); Org: declared string IDs in the space Company.csv (converted) also fills.
  const person = new Table({
    'id:ID(P)': fixed(new Int64(), BigInt64Array, Array.from({ length: people }, (_, k) => personId(k))),
    name: vectorFromArray(Array.from({ length: people }, () => maybe(pick(text))), new Utf8()),
    age: fixed(new Int8(), Int8Array, Array.from({ length: people }, () => maybe(Math.floor(rnd() * 100)))),
    score: fixed(new Float64(), Float64Array, Array.from({ length: people }, () => maybe(rnd() * 10))),
    born: fixed(new DateDay(), Int32Array, Array.from({ length: people }, () => maybe(Math.floor((rnd() - 0.5) * 40_000)))),
    vip: vectorFromArray(Array.from({ length: people }, () => maybe(rnd() < 0.3)), new Bool()),
    'x:IGNORE': vectorFromArray(Array.from({ length: people }, () => [1]), new List(new Field('item', new Int32(), true))),
  });
  const org = new Table({
    'id:ID(C){id-type:string}': vectorFromArray(orgs, new Utf8()),
    seen: fixed(new TimestampMicrosecond('UTC'), BigInt64Array, [1n, null, -5n, 2n ** 50n]),
  });
  const idx = (): number => Math.floor(rnd() * people);

  // KNOWS: int64 endpoints, a property of every directly read type.
  const n1 = edges;
  const knows = new Table({
    ':START_ID(P)': fixed(new Int64(), BigInt64Array, Array.from({ length: n1 }, () => personId(idx()))),
    ':END_ID(P)': fixed(new Int64(), BigInt64Array, Array.from({ length: n1 }, () => personId(idx()))),
    i8: fixed(new Int8(), Int8Array, Array.from({ length: n1 }, () => maybe(Math.floor(rnd() * 256) - 128))),
    u16: fixed(new Uint16(), Uint16Array, Array.from({ length: n1 }, () => maybe(Math.floor(rnd() * 65536)))),
    i32: fixed(new Int32(), Int32Array, Array.from({ length: n1 }, () => maybe(Math.floor(rnd() * 2 ** 32) - 2 ** 31))),
    u32: fixed(new Uint32(), Uint32Array, Array.from({ length: n1 }, () => maybe(Math.floor(rnd() * 2 ** 32)))),
    i64: fixed(new Int64(), BigInt64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor(rnd() * 2 ** 53)) * (rnd() < 0.5 ? -1024n : 1024n)))),
    u64: fixed(new Uint64(), BigUint64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor(rnd() * 2 ** 53)) * 512n))),
    f32: fixed(new Float32(), Float32Array, Array.from({ length: n1 }, () => maybe(Math.fround((rnd() - 0.5) * 1e6)))),
    f64: fixed(new Float64(), Float64Array, Array.from({ length: n1 }, (_, i) => maybe([Number.NaN, -0, Number.POSITIVE_INFINITY, 5e-324, (rnd() - 0.5) * 1e300][i % 5]))),
    b: vectorFromArray(Array.from({ length: n1 }, () => maybe(rnd() < 0.5)), new Bool()),
    s: vectorFromArray(Array.from({ length: n1 }, () => maybe(pick(text))), new Utf8()),
    ls: vectorFromArray(Array.from({ length: n1 }, () => maybe(pick(text))), new LargeUtf8()),
    cat: vectorFromArray(Array.from({ length: n1 }, () => maybe(pick(['red', 'green', 'blue, dark']))), new Dictionary(new Utf8(), new Int32())),
    d: fixed(new DateDay(), Int32Array, Array.from({ length: n1 }, () => maybe(Math.floor((rnd() - 0.5) * 200_000)))),
    t_s: fixed(new TimestampSecond(), BigInt64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor((rnd() - 0.5) * 8e9))))),
    t_ms: fixed(new TimestampMillisecond(), BigInt64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor((rnd() - 0.5) * 8e12))))),
    t_us: fixed(new TimestampMicrosecond('UTC'), BigInt64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor((rnd() - 0.5) * 8e15))))),
    t_ns: fixed(new TimestampNanosecond(), BigInt64Array, Array.from({ length: n1 }, () => maybe(BigInt(Math.floor((rnd() - 0.5) * 8e15)) * 1000n))),
  });
  // WORKS_AT: int32 start IDs into the int space, UTF-8 end IDs into the string space, a :TYPE column.
  const n2 = Math.ceil(edges / 3);
  const worksAt = new Table({
    ':START_ID(P)': fixed(new Int32(), Int32Array, Array.from({ length: n2 }, () => Number(personId(Math.floor(rnd() * 7))))),
    ':END_ID(C)': vectorFromArray(Array.from({ length: n2 }, () => pick([...companies, ...orgs])), new Utf8()),
    ':TYPE': vectorFromArray(Array.from({ length: n2 }, () => maybe(pick(['WORKS_AT', 'OWNS', ' ADVISES ', '']))), new Utf8()),
    since: fixed(new Int32(), Int32Array, Array.from({ length: n2 }, () => maybe(1950 + Math.floor(rnd() * 70)))),
  });
  // SUPPLIES: int64 values into the string space (keys are their digits), digit strings into the int space.
  const numeric = companies.filter((c) => !c.startsWith('0'));
  const n3 = Math.ceil(edges / 4);
  const supplies = new Table({
    ':START_ID(C)': fixed(new Int64(), BigInt64Array, Array.from({ length: n3 }, () => BigInt(pick(numeric)))),
    ':END_ID(P)': vectorFromArray(Array.from({ length: n3 }, () => String(personId(idx()))), new Utf8()),
  });
  return {
    csv: [join(dir, 'Company.csv')],
    nodes: [await writeBoth(dir, 'Person', person, [64, 300]), await writeBoth(dir, 'Org', org, [4])],
    rels: [
      await writeBoth(dir, 'KNOWS', knows, [97, 1, 1000, 333]),
      await writeBoth(dir, 'WORKS_AT', worksAt, [50, 200]),
      await writeBoth(dir, 'SUPPLIES', supplies, [n3]),
    ],
  };
}

function config(files: string[], into: string, extra: Record<string, unknown> = {}) {
  return normalizeConfig({ inputs: files.map((f) => ({ kind: 'auto' as const, files: [f] })), into, ...extra });
}

async function importFiles(files: string[], into: string, extra: Record<string, unknown> = {}): Promise<ImportEvent[]> {
  const events: ImportEvent[] = [];
  await runImport(config(files, into, extra), { onEvent: (e) => events.push(e) });
  return events;
}

async function failure(files: string[], into: string, extra: Record<string, unknown> = {}): Promise<ImportError> {
  try {
    await importFiles(files, into, extra);
  } catch (err) {
    return err as ImportError;
  }
  throw new Error('the import succeeded');
}

describe('Arrow IPC relationship files read in place', () => {
  let graph: Graph;
  let reference: string;
  beforeAll(async () => {
    graph = await makeGraph(join(work, 'graph'), 6000);
    reference = fresh('stream.db');
    await importFiles([...graph.csv, ...graph.nodes.map((f) => f.stream), ...graph.rels.map((r) => r.stream)], reference);
  });

  it('are planned as read in place (files), while streams are converted', async () => {
    const plan = await planImportRun(config([...graph.csv, ...graph.nodes.map((f) => f.file), ...graph.rels.map((r) => r.file), graph.rels[0].stream], fresh('plan.db')));
    const inPlace = Object.fromEntries(plan.files.map((f) => [f.path.split('/').pop(), f.readInPlace === true]));
    expect(inPlace).toEqual({
      'Company.csv': false, 'Person.arrow': true, 'Org.arrow': true, 'KNOWS.arrow': true, 'WORKS_AT.arrow': true, 'SUPPLIES.arrow': true, 'KNOWS.arrows': false,
    });
    expect(plan.files.find((f) => f.path.endsWith('Person.arrow'))!.rows).toBe(500);
    // Rows are counted from the record batches' headers, without reading their bodies.
    expect(plan.files.find((f) => f.path.endsWith('KNOWS.arrow'))!.rows).toBe(6000);
  });

  it.each([
    ['2 threads, batches of 100,000 rows', { threads: 2 }],
    ['1 thread', { threads: 1 }],
    ['2 threads, ranges of a few batches, streaming with many partitions', { threads: 2, batchSize: 500, mode: 'streaming' }],
  ])('import to a store byte-identical to the converted stream\'s (%s)', async (_, extra) => {
    const db = fresh('file.db');
    const events = await importFiles([...graph.csv, ...graph.nodes.map((f) => f.file), ...graph.rels.map((r) => r.file)], db, extra);
    expect(await storeDifferences(db, reference)).toEqual([]);
    expect((await verifyStore(db)).ok).toBe(true);
    // No decode phase: nothing was converted.
    expect(events.some((e) => e.type === 'phase-start' && e.phase === 'decode')).toBe(false);
    // Progress moved per record batch.
    for (const phase of ['nodes', 'relationships']) expect(events.filter((e) => e.type === 'progress' && e.phase === phase).length, phase).toBeGreaterThan(3);
  });

  it('cuts one large record batch into row ranges read by several workers, each reading only its rows\' bytes', async () => {
    const dir = fresh('one-batch');
    await mkdir(dir);
    const one = await writeBoth(dir, 'KNOWS', await (async () => {
      const { tableFromIPC } = await import('apache-arrow');
      return tableFromIPC(await readFile(graph.rels[0].file));
    })(), [1 << 30]);
    const plan = await planImportRun(config([...graph.csv, ...graph.nodes.map((f) => f.file), one.file], fresh('plan.db'), { batchSize: 700, threads: 2 }));
    // 6000 rows in one batch: ranges of 700 rows inside it, which only slicing allows.
    expect(plan.engine!.threads).toBe(2);
    const a = fresh('a.db');
    const b = fresh('b.db');
    await importFiles([...graph.csv, ...graph.nodes.map((f) => f.file), one.file], a, { batchSize: 700, threads: 2, mode: 'streaming' });
    await importFiles([...graph.csv, ...graph.nodes.map((f) => f.stream), one.stream], b, { batchSize: 700, threads: 2, mode: 'streaming' });
    expect(await storeDifferences(a, b)).toEqual([]);
  });

  it('samples endpoints across the rows of one large sorted batch, from slices, to balance the CSR partitions', async () => {
    const dir = fresh('sample');
    await mkdir(dir);
    const nodes = 1000;
    const rows = 200_000;
    // Sorted by source, as database exports are: the first rows all leave node 0.
    const src = BigInt64Array.from({ length: rows }, (_, i) => BigInt(Math.floor((i * nodes) / rows)));
    const dst = BigInt64Array.from({ length: rows }, (_, i) => BigInt((i * 7) % nodes));
    await writeFile(join(dir, 'P.csv'), `id:ID(P)\n${Array.from({ length: nodes }, (_, k) => k).join('\n')}\n`);
    const { file } = await writeBoth(dir, 'R', new Table({ ':START_ID(P)': makeVector(src), ':END_ID(P)': makeVector(dst) }), [rows]);
    const cfg = config([join(dir, 'P.csv'), file], join(dir, 'g.db'));
    const decoded = await decodeInputs(cfg, async (name) => join(dir, name), new PhaseClock(() => undefined), undefined);
    const files = await resolveInputs(cfg, decoded);
    expect(files[1].native?.sliced).toBe(true);
    const index = new IdIndex('int', nodes);
    for (let k = 0; k < nodes; k++) index.insertInt(k, 0, 0, k);
    index.freeze();
    const sample = await sampleEndpoints(files, new Map([['P', index]]), 1);
    const sources = sample.sources[0];
    expect(sample.edges).toBeGreaterThan(10_000);
    // Windows spread over the whole batch: sources from every tenth of the node range.
    const tenths = new Set(sources.map((r) => Math.floor((r * 10) / nodes)));
    expect(tenths.size).toBe(10);
  });

  it('reports an endpoint that is not found, a uint64 past int64 and sub-microsecond nanoseconds at the stream\'s line and column', async () => {
    const dir = fresh('errors');
    await mkdir(dir);
    const nodes = join(dir, 'P.csv');
    await writeFile(nodes, 'id:ID(P)\n1\n2\n3\n');
    const cases: [string, Table][] = [
      ['missing', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n, 1n, 9n, 2n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n, 1n, 1n, 7n])) })],
      ['nullend', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': fixed(new Int64(), BigInt64Array, [2n, null, 1n]) })],
      ['u64', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), big: fixed(new Uint64(), BigUint64Array, [1n, 2n ** 63n + 5n, 3n]) })],
      ['ns', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), at: fixed(new TimestampNanosecond(), BigInt64Array, [1000n, 2000n, 2001n]) })],
      // Dates and times past the four-digit years of the text form are refused, as their text is.
      ['date', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), d: fixed(new DateDay(), Int32Array, [0, 2932897, 1]) })],
      ['ts', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), t: fixed(new TimestampMicrosecond(), BigInt64Array, [0n, -62167219200000001n, 1n]) })],
      ['ts-s', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), t: fixed(new TimestampSecond(), BigInt64Array, [0n, 253402300800n, 1n]) })],
      // Bytes that are not UTF-8, in a property and in the :TYPE column.
      ['utf8', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), s: utf8Bytes(['a', [0xc3, 0x28], 'b']) })],
      ['utf8type', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), ':TYPE': utf8Bytes(['A', 'B', [0xff]]) })],
    ];
    for (const [name, table] of cases) {
      const { file, stream } = await writeBoth(dir, name, table, [2]);
      const inPlace = await failure([nodes, file], join(dir, `${name}-file.db`));
      const converted = await failure([nodes, stream], join(dir, `${name}-stream.db`));
      expect(inPlace.code, name).toBe(converted.code);
      expect({ line: inPlace.line, column: inPlace.column, raw: inPlace.raw }, name).toEqual({ line: converted.line, column: converted.column, raw: converted.raw });
      expect(inPlace.file, name).toBe(file);
    }
    // String offsets past the column's bytes: a damaged file, reported as such (not a crash, not wrong data).
    const bad = makeVector(makeData({ type: new Utf8(), length: 3, nullCount: 0, valueOffsets: new Int32Array([0, 1, 2, 1 << 30]), data: new Uint8Array([0x31, 0x32, 0x33]) }));
    await writeFile(join(dir, 'damaged.arrow'), tableToIPC(new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 3n])), ':END_ID(P)': bad }), 'file'));
    expect(await failure([nodes, join(dir, 'damaged.arrow')], join(dir, 'damaged.db'))).toMatchObject({ code: 'GI_COLUMNAR_UNREADABLE', file: join(dir, 'damaged.arrow') });
    // A bad row that also holds a damaged value: the damage is reported (never a crash while the row is shown).
    const damagedRow = makeVector(makeData({ type: new Utf8(), length: 3, nullCount: 0, valueOffsets: new Int32Array([0, 100000, 2, 3]), data: new Uint8Array([0x61, 0x62, 0x63]) }));
    await writeFile(join(dir, 'damaged-row.arrow'), tableToIPC(new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([9n, 2n, 3n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n])), note: damagedRow }), 'file'));
    for (const extra of [{}, { skipBadRelationships: true }]) {
      expect(await failure([nodes, join(dir, 'damaged-row.arrow')], join(dir, 'damaged-row.db'), extra)).toMatchObject({ code: 'GI_COLUMNAR_UNREADABLE', line: undefined });
    }
    const missing = await failure([nodes, join(dir, 'missing.arrow')], join(dir, 'again.db'));
    expect(missing).toMatchObject({ code: 'GI_ENDPOINT_NOT_FOUND', line: 6, column: 1, raw: '9,1' });
    expect(missing.message).toMatch(/start node "9" not found/);
  });

  it('skips bad rows with the tolerance flags and writes the same rejects report as for the stream', async () => {
    const dir = fresh('rejects');
    await mkdir(dir);
    const nodes = join(dir, 'P.csv');
    await writeFile(nodes, 'id:ID(P)\n1\n2\n3\n');
    const table = new Table({
      ':START_ID(P)': makeVector(BigInt64Array.from([1n, 8n, 3n, 1n, 2n, 3n, 1n])),
      ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n, 1n, 9n, 2n, 3n, 1n])),
      note: vectorFromArray(['a', 'b, "c"', null, 'd\ne', '', 'f', 'g'], new Utf8()),
    });
    const { file, stream } = await writeBoth(dir, 'KNOWS', table, [3]);
    const out: Record<string, { verified: boolean; records: unknown[]; rows: string }> = {};
    for (const [kind, path] of [['file', file], ['stream', stream]] as const) {
      const rejects = join(dir, `${kind}.ndjson`);
      await expect(importFiles([nodes, path], join(dir, `${kind}.db`), { skipBadRelationships: true, rejects })).resolves.toBeDefined();
      const records = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { file: string; byteOffset?: number });
      out[kind] = {
        verified: (await verifyStore(join(dir, `${kind}.db`))).ok,
        // byteOffset is left out: the converted stream's records give offsets in its text, which is not the user's file.
        records: records.map(({ file: _f, byteOffset: _b, ...rest }) => rest),
        rows: await readFile(join(`${rejects}.rows`, 'KNOWS.csv'), 'utf8'),
      };
    }
    expect(out.file).toEqual(out.stream);
    expect(out.file.records).toMatchObject([{ line: 3, code: 'GI_ENDPOINT_NOT_FOUND', raw: '8,3,"b, ""c"""' }, { line: 5, code: 'GI_ENDPOINT_NOT_FOUND', raw: '1,9,"d\ne"' }]);
    expect(await storeDifferences(join(dir, 'file.db'), join(dir, 'stream.db'))).toEqual([]);
  });

  it('reports node ID errors at the stream\'s line, and skips duplicate nodes into the same rejects report', async () => {
    const dir = fresh('node-errors');
    await mkdir(dir);
    const cases: [string, Table][] = [
      ['dup', new Table({ 'id:ID': makeVector(BigInt64Array.from([1n, 2n, 3n, 2n, 5n])), v: makeVector(Int32Array.from([1, 2, 3, 4, 5])) })],
      // (A second column: a single null field would be a blank line in the stream's text, which CSV reading skips.)
      ['nullid', new Table({ 'id:ID': fixed(new Int64(), BigInt64Array, [1n, 2n, 3n, null]), v: makeVector(Int32Array.from([1, 2, 3, 4])) })],
      ['bigid', new Table({ 'id:ID{id-type:int}': fixed(new Uint64(), BigUint64Array, [1n, 2n, 3n, 2n ** 64n - 1n]) })],
      ['strdup', new Table({ 'id:ID{id-type:string}': vectorFromArray(['a', 'b', 'c', 'a'], new Utf8()) })],
      ['badid', new Table({ 'id:ID{id-type:string}': utf8Bytes(['a', 'b', [0xe2, 0x82], 'c']) })],
    ];
    for (const [name, table] of cases) {
      const { file, stream } = await writeBoth(dir, name, table, [3]);
      const inPlace = await failure([file], join(dir, `${name}-file.db`));
      const converted = await failure([stream], join(dir, `${name}-stream.db`));
      expect(inPlace.code, name).toBe(converted.code);
      // (The converted text's UTF-8 message names a byte offset in that text, which the Arrow file does not have.)
      const message = (e: ImportError) => (e.code === 'GI_INVALID_UTF8' ? undefined : e.reason);
      expect({ line: inPlace.line, column: inPlace.column, raw: inPlace.raw, message: message(inPlace) }, name)
        .toEqual({ line: converted.line, column: converted.column, raw: converted.raw, message: message(converted) });
    }
    expect(await failure([join(dir, 'dup.arrow')], join(dir, 'again.db'))).toMatchObject({ code: 'GI_DUPLICATE_NODE_ID', line: 5, raw: '2,4' });
    const out: Record<string, unknown> = {};
    for (const ext of ['arrow', 'arrows']) {
      const rejects = join(dir, `${ext}.ndjson`);
      await importFiles([join(dir, `dup.${ext}`)], join(dir, `skip-${ext}.db`), { skipDuplicateNodes: true, rejects });
      const records = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { file: string; byteOffset?: number });
      out[ext] = { records: records.map(({ file: _f, byteOffset: _b, ...rest }) => rest), rows: await readFile(join(`${rejects}.rows`, 'dup.csv'), 'utf8') };
    }
    expect(out.arrow).toEqual(out.arrows);
    expect(await storeDifferences(join(dir, 'skip-arrow.db'), join(dir, 'skip-arrows.db'))).toEqual([]);
  });

  it('needs no --quote next to CSV files quoted with another character (nothing is converted)', async () => {
    const dir = fresh('quote');
    await mkdir(dir);
    const nodes = join(dir, 'P.csv');
    await writeFile(nodes, "id:ID(P),name\n1,'a, b'\n2,'c'\n3,'d, e'\n");
    const { file, stream } = await writeBoth(dir, 'R', new Table({ ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n])), ':END_ID(P)': makeVector(BigInt64Array.from([2n, 3n])) }), [2]);
    const events = await importFiles([nodes, file], join(dir, 'file.db'));
    expect(events.find((e) => e.type === 'plan')).toMatchObject({ plan: { quote: "'" } });
    // A converted stream's text is written with the default quote, so there the user must choose one.
    expect(await failure([nodes, stream], join(dir, 'stream.db'))).toMatchObject({ code: 'GI_INVALID_OPTION' });
    await importFiles([nodes, stream], join(dir, 'stream.db'), { quote: "'" });
    expect(await storeDifferences(join(dir, 'file.db'), join(dir, 'stream.db'))).toEqual([]);
  });

  it('converts a file with a column no in-place reader takes (a list), with the same result', async () => {
    const dir = fresh('list');
    await mkdir(dir);
    const nodes = join(dir, 'P.csv');
    await writeFile(nodes, 'id:ID(P)\n1\n2\n');
    const table = new Table({
      ':START_ID(P)': makeVector(BigInt64Array.from([1n, 2n, 1n])),
      ':END_ID(P)': makeVector(BigInt64Array.from([2n, 1n, 1n])),
      w: vectorFromArray([[1n], [], null], new List(new Field('item', new Int64(), true))),
    });
    const { file, stream } = await writeBoth(dir, 'R', table, [2]);
    const plan = await planImportRun(config([nodes, file], join(dir, 'plan.db')));
    expect(plan.files[1].readInPlace).toBeUndefined();
    await importFiles([nodes, file], join(dir, 'file.db'));
    await importFiles([nodes, stream], join(dir, 'stream.db'));
    expect(await storeDifferences(join(dir, 'file.db'), join(dir, 'stream.db'))).toEqual([]);
  });

  it('SIGINT while Arrow batches are read in place: exit 130 within 2 s, no store, no temporary sibling', async () => {
    const dir = fresh('interrupt');
    await mkdir(dir);
    const rows = 4_000_000;
    const src = new BigInt64Array(rows);
    const dst = new BigInt64Array(rows);
    for (let k = 0; k < rows; k++) {
      src[k] = BigInt(k % 1000);
      dst[k] = BigInt((7 * k) % 1000);
    }
    const table = new Table({ ':START_ID': makeVector(src), ':END_ID': makeVector(dst), w: makeVector(Float64Array.from({ length: rows }, (_, k) => k / 8)) });
    const { file } = await writeBoth(dir, 'edges', table, [1 << 16]);
    await writeFile(join(dir, 'nodes.csv'), `id:ID\n${Array.from({ length: 1000 }, (_, k) => k).join('\n')}\n`);
    const db = join(dir, 'g.db');
    const run = await interruptCli([join(dir, 'nodes.csv'), file, '--into', db, '--progress', 'json'], {
      signal: 'SIGINT', when: /"type":"progress","phase":"relationships"/, delayMs: 0,
    });
    const where = `signal sent ${run.signalAtMs.toFixed(0)} ms after spawn; stderr:\n${run.stderr}`;
    expect(run.stderrAtSignal, where).not.toMatch(/"type":"phase-end","phase":"relationships"/);
    expect(run.status, where).toBe(130);
    expect(run.exitAfterSignalMs, where).toBeLessThan(2_000);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(dir, 'g.db')).toEqual([]);
  }, 60_000);
});
