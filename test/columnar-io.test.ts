import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Binary, DateMillisecond, Decimal, Dictionary, Field, FixedSizeList, Float16, Float64, Int16, Int32, Int64, LargeList, LargeUtf8, List, Null, Table,
  TimestampNanosecond, TimestampSecond,
  RecordBatchFileWriter, RecordBatchStreamWriter, Schema, Uint32, Uint64, Utf8, Utf8View, type Vector, makeData, makeVector, tableFromIPC, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import { runImport } from '../src/exec/run-import.js';
import { exportColumnar } from '../src/read/export-columnar.js';
import { exportCsv } from '../src/read/export-csv.js';
import { openGraph } from '../src/read/open-graph.js';
import { fileStem } from '../src/schema/resolve-inputs.js';
import { inflateLz4Frame } from '../src/input/lz4-frame.js';
import lz4 from 'lz4js';
import { verifyStore } from '../src/read/verify-store.js';
import { generateGraph, interruptCli, runCli, strayEntries } from './helpers/child.js';
import { dumpGraph } from './helpers/graph-dump.js';
import { storeDifferences } from './helpers/store-bytes.js';

// Arrow IPC and Parquet inputs are converted, record batch by record batch, to CSV text in the import's header
// format and then take the CSV path; exports write the store's tables back as Arrow or Parquet in the same column
// conventions. The fixtures (scripts/gen-columnar-fixtures.mjs) hold one graph in every format, the Parquet ones
// written by DuckDB.

const FIXTURES = resolve(__dirname, '../fixtures/columnar');
const FORMATS = ['arrow', 'arrows', 'feather-lz4', 'arrow-zstd', 'arrow-zstd-unsized', 'parquet', 'parquet-zstd'];
const TABLES = ['Person', 'Company', 'KNOWS', 'WORKS_AT'];

let work: string;
let reference: string; // the CSV fixtures' store
let n = 0;

const fixture = async (format: string): Promise<string[]> => (await readdir(join(FIXTURES, format))).sort().map((f) => join(FIXTURES, format, f));
const fresh = (name: string): string => join(work, `${++n}-${name}`);

async function importFiles(files: string[], into: string, extra: Record<string, unknown> = {}): Promise<void> {
  await runImport(normalizeConfig({ inputs: files.map((f) => ({ kind: 'auto' as const, files: [f] })), into, ...extra }));
}

/** An Arrow IPC file (file format) of the given columns, written to `dir/name`. */
async function arrowFile(dir: string, name: string, columns: Record<string, Vector>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, tableToIPC(new Table(columns), 'file'));
  return path;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-columnar-'));
  reference = fresh('csv.db');
  await importFiles(await fixture('csv'), reference);
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('Arrow IPC and Parquet input', () => {
  it.each(FORMATS)('%s files import to a store byte-identical to the CSV files\' store', async (format) => {
    const db = fresh(`${format}.db`);
    await importFiles(await fixture(format), db);
    expect(await storeDifferences(db, reference)).toEqual([]);
    expect((await verifyStore(db)).ok).toBe(true);
  });

  it('keeps every value at the edges of the type mapping (read back from the Arrow import)', async () => {
    const db = fresh('values.db');
    await importFiles(await fixture('arrow'), db);
    const graph = await openGraph(db);
    const person = await graph.nodeTable('Person')!.load();
    const row = (id: bigint) => person.row(person.lookup(id));
    expect(row(9007199254740993n)).toMatchObject({ _id: 9007199254740993n, name: 'say "hi"', age: -7, height: null, vip: null, seen: null, tags: null });
    expect(Object.is(row(9007199254740993n).score, -0)).toBe(true);
    expect(row(2n)).toMatchObject({ name: 'Bob, Jr.', age: null, height: Math.fround(0.1), tags: [], scores: [], born: '1900-01-01', seen: '1969-12-31T23:59:59.999999Z' });
    expect(Number.isNaN(row(2n).score)).toBe(true);
    expect(row(9223372036854775807n)).toMatchObject({ name: '', age: -2147483648, score: 1e300, seen: '2262-04-11T23:47:16.854775Z', scores: [0n] });
    expect(row(-5n)).toMatchObject({ name: 'two\nlines', score: Infinity, tags: ['x y', 'z'], scores: [-9223372036854775808n] });
    expect(row(42n)).toMatchObject({ name: null, score: 5e-324, tags: ['ü', 'ß,comma'], seen: '1970-01-01T00:00:00.000001Z' });
    const company = await graph.nodeTable('Company')!.load();
    // String IDs that look like numbers stay strings: the Arrow column is utf8.
    expect(company.meta.idType).toBe('string');
    expect(company.row(company.lookup('00123'))).toMatchObject({ _id: '00123', name: 'Initech', founded: 1987 });
  });

  it('inflates LZ4 frames with per-block checksums (which lz4js alone turns into wrong bytes)', () => {
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251 ^ (i >> 9);
    const plain = lz4.compress(data);
    expect(plain[4] & 0x10).toBe(0);
    // The same frame with a (dummy) checksum after every block, the way `lz4 -BX` writes it.
    const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    const header = 4 + 2 + ((plain[4] & 0x08) !== 0 ? 8 : 0) + 1;
    const parts: Uint8Array[] = [plain.subarray(0, header)];
    let at = header;
    let blocks = 0;
    for (;;) {
      const size = view.getUint32(at, true) & 0x7fffffff;
      parts.push(plain.subarray(at, at + 4 + size));
      at += 4 + size;
      if (size === 0) break;
      parts.push(new Uint8Array([1, 2, 3, 4]));
      blocks++;
    }
    parts.push(plain.subarray(at));
    const checked = Buffer.concat(parts);
    checked[4] |= 0x10;
    expect(blocks).toBeGreaterThan(0);
    expect(Buffer.from(lz4.decompress(checked)).equals(Buffer.from(data))).toBe(false);
    expect(Buffer.from(inflateLz4Frame(checked)).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(inflateLz4Frame(plain)).equals(Buffer.from(data))).toBe(true);
  });

  it('names tables after columnar file names as after CSV ones, codec infixes of Parquet names included', () => {
    expect(['Person.arrow', 'KNOWS.arrows', 'x/Tag.feather', 'Post.ipc', 'Org.parquet', 'part-00000.snappy.parquet', 'Edge.zstd.parquet', 'a.v2.pq'].map(fileStem))
      .toEqual(['Person', 'KNOWS', 'Tag', 'Post', 'Org', 'part-00000', 'Edge', 'a.v2']);
  });

  it('mixes formats in one import: Parquet, Arrow stream, CSV and LZ4 Feather', async () => {
    const db = fresh('mixed.db');
    // In the reference's file order: tables are numbered in the order files name them.
    await importFiles([join(FIXTURES, 'arrows/Company.arrows'), join(FIXTURES, 'csv/KNOWS.csv'), join(FIXTURES, 'parquet/Person.parquet'), join(FIXTURES, 'feather-lz4/WORKS_AT.feather')], db);
    expect(await storeDifferences(db, reference)).toEqual([]);
  });

  it('gives plain column names the type of their Arrow column, and finds ID and endpoint columns by name as in CSV', async () => {
    const dir = fresh('plain');
    await mkdir(dir);
    const nodes = await arrowFile(dir, 'things.arrow', {
      id: vectorFromArray([10n, 11n, 12n], new Int64()),
      small: vectorFromArray([1, null, -3], new Int16()),
      u32: vectorFromArray([4294967295, 0, 7], new Uint32()),
      u64: vectorFromArray([18446744073709551615n >> 1n, 0n, null], new Uint64()),
      half: vectorFromArray([1.5, null, -0.25], new Float16()),
      day: vectorFromArray([Date.UTC(2024, 1, 29), null, Date.UTC(1969, 6, 20)], new DateMillisecond()),
      sec: vectorFromArray([0, 1700000000000, null], new TimestampSecond()),
      nano: vectorFromArray([1, 2, 3], new TimestampNanosecond()),
      kind: vectorFromArray(['x', 'y', 'x'], new Dictionary(new Utf8(), new Int32())),
      nothing: vectorFromArray([null, null, null], new Null()),
    });
    // apache-arrow converts the milliseconds it is given; set exact nanoseconds (whole microseconds) afterwards.
    const table = tableFromIPC(await readFile(nodes));
    const nanos = table.getChild('nano')!.data[0].values as BigInt64Array;
    nanos.set([1_000n, 1_700_000_000_123_456_000n, -2_000n]);
    await writeFile(nodes, tableToIPC(table, 'file'));
    const edges = await arrowFile(dir, 'links.arrow', {
      src: vectorFromArray([10n, 11n], new Int64()), dst: vectorFromArray([12n, 10n], new Int64()), w: vectorFromArray([0.5, 2], new Float64()),
    });
    const db = join(dir, 'g.db');
    await importFiles([nodes, edges], db);
    const graph = await openGraph(db);
    const things = await graph.nodeTable('things')!.load();
    expect(things.properties).toEqual([
      { name: 'small', type: 'int' }, { name: 'u32', type: 'long' }, { name: 'u64', type: 'long' }, { name: 'half', type: 'float' },
      { name: 'day', type: 'date' }, { name: 'sec', type: 'datetime' }, { name: 'nano', type: 'datetime' }, { name: 'kind', type: 'string' },
      { name: 'nothing', type: 'string' },
    ]);
    expect(things.row(0)).toEqual({
      _id: 10n, small: 1, u32: 4294967295n, u64: 9223372036854775807n, half: 1.5, day: '2024-02-29', sec: '1970-01-01T00:00:00Z',
      nano: '1970-01-01T00:00:00.000001Z', kind: 'x', nothing: null,
    });
    expect(things.row(1)).toMatchObject({ small: null, half: null, day: null, sec: '2023-11-14T22:13:20Z', nano: '2023-11-14T22:13:20.123456Z', kind: 'y' });
    expect(things.row(2)).toMatchObject({ small: -3, u64: null, half: -0.25, day: '1969-07-20', nano: '1969-12-31T23:59:59.999998Z' });
    const links = await graph.relationshipTables[0].load();
    expect(links.type).toBe('links');
    expect(links.properties).toEqual([{ name: 'w', type: 'double' }]);
    expect((await dumpGraph(db)).edges['links:things->things']).toEqual(['["10","12",{"w":0.5}]', '["11","10",{"w":2}]']);
  });

  it('reads large strings, large and fixed-size lists, and refuses list values the array text cannot carry', async () => {
    const dir = fresh('lists');
    await mkdir(dir);
    const strings = new LargeList(new Field('item', new LargeUtf8(), true));
    await arrowFile(dir, 'ok.arrow', {
      id: vectorFromArray([1n, 2n, 3n], new Int64()),
      big: vectorFromArray(['a,b', null, ''], new LargeUtf8()),
      tags: vectorFromArray([['x', 'y'], [], null], strings),
      pair: vectorFromArray([[1, 2], [3, null], null], new FixedSizeList(2, new Field('item', new Int32(), true))),
    });
    const db = join(dir, 'g.db');
    await importFiles([join(dir, 'ok.arrow')], db);
    const t = await (await openGraph(db)).nodeTables[0].load();
    expect(t.properties).toEqual([{ name: 'big', type: 'string' }, { name: 'tags', type: 'string[]' }, { name: 'pair', type: 'int[]' }]);
    expect([0, 1, 2].map((i) => t.row(i))).toEqual([
      { _id: 1n, big: 'a,b', tags: ['x', 'y'], pair: [1, 2] },
      { _id: 2n, big: null, tags: [], pair: [3, null] },
      { _id: 3n, big: '', tags: null, pair: null },
    ]);
    const refused: [string, Vector, RegExp][] = [
      ['null-in-strings', vectorFromArray([['a'], ['b', null]], new List(new Field('item', new Utf8(), true))), /^null-in-strings\.arrow:3:2: GI_UNREPRESENTABLE_VALUE: a list holds a null element/m],
      ['only-null', vectorFromArray([[1], [null]], new List(new Field('item', new Int32(), true))), /^only-null\.arrow:3:2: GI_UNREPRESENTABLE_VALUE: a list holds a null element/m],
      ['only-empty', vectorFromArray([[''], ['a']], new List(new Field('item', new Utf8(), true))), /^only-empty\.arrow:2:2: GI_UNREPRESENTABLE_VALUE: a list holds only the empty string/m],
    ];
    for (const [name, column, message] of refused) {
      await arrowFile(dir, `${name}.arrow`, { id: vectorFromArray([1n, 2n], new Int64()), v: column });
      const run = await runCli([`${name}.arrow`, '--into', `${name}.db`], { cwd: dir });
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toMatch(message);
    }
    // With another array delimiter the element that held ';' is carried.
    await arrowFile(dir, 'semi.arrow', { id: vectorFromArray([1n], new Int64()), v: vectorFromArray([['a;b', 'c']], new List(new Field('item', new Utf8(), true))) });
    const semi = await runCli(['semi.arrow', '--into', 'semi.db', '--array-delimiter', '|'], { cwd: dir });
    expect(semi.status, semi.stderr).toBe(0);
    expect((await (await openGraph(join(dir, 'semi.db'))).nodeTables[0].load()).row(0)).toEqual({ _id: 1n, v: ['a;b', 'c'] });
  });

  it('refuses a value the store cannot hold exactly, at its row and column: a uint64 past int64, nanoseconds', async () => {
    const dir = fresh('cast');
    await mkdir(dir);
    await arrowFile(dir, 'big.arrow', { id: vectorFromArray([1n, 2n, 3n], new Int64()), u: vectorFromArray([1n, 2n, 18446744073709551615n], new Uint64()) });
    let run = await runCli(['big.arrow', '--into', 'g.db'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^big\.arrow:4:2: GI_TYPE_CAST: .*18446744073709551615/m);
    const nano = new Table({ id: vectorFromArray([1n, 2n], new Int64()), t: vectorFromArray([0, 0], new TimestampNanosecond()) });
    (nano.getChild('t')!.data[0].values as BigInt64Array).set([5_000n, 5_001n]);
    await writeFile(join(dir, 'nano.arrow'), tableToIPC(nano, 'file'));
    run = await runCli(['nano.arrow', '--into', 'g.db'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^nano\.arrow:3:2: GI_TYPE_CAST: .*1970-01-01T00:00:00\.000005001Z/m);
    expect(existsSync(join(dir, 'g.db'))).toBe(false);
    expect(await strayEntries(dir, 'g.db')).toEqual([]);
  });

  it('reports data errors at the row\'s line (row + 1) and applies the tolerance flags to Arrow rows', async () => {
    const dir = fresh('dup');
    await mkdir(dir);
    await arrowFile(dir, 'p.arrow', { 'id:ID': vectorFromArray([1n, 2n, 3n, 2n, 5n], new Int64()), name: vectorFromArray(['a', 'b', 'c', 'd', 'e'], new Utf8()) });
    let run = await runCli(['p.arrow', '--into', 'g.db'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^p\.arrow:5:1: GI_DUPLICATE_NODE_ID: /m);
    run = await runCli(['p.arrow', '--into', 'g.db', '--skip-duplicate-nodes', '--rejects', 'rejects.ndjson', '--json'], { cwd: dir });
    expect(run.status, run.stderr).toBe(4);
    expect(JSON.parse(run.stdout).nodeTables[0]).toMatchObject({ count: 4 });
    const rejects = (await readFile(join(dir, 'rejects.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ code: 'GI_DUPLICATE_NODE_ID', file: 'p.arrow', line: 5 });
  });

  it('leaves out an unsupported column named :IGNORE, and refuses it otherwise', async () => {
    const dir = fresh('ignore');
    await mkdir(dir);
    const blob = vectorFromArray([new Uint8Array([1]), new Uint8Array([2])], new Binary());
    await arrowFile(dir, 'a.arrow', { id: vectorFromArray([1n, 2n], new Int64()), 'blob:IGNORE': blob, name: vectorFromArray(['x', 'y'], new Utf8()) });
    const ok = await runCli(['a.arrow', '--into', 'g.db', '--json'], { cwd: dir });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).nodeTables[0].properties).toEqual([{ name: 'name', type: 'string' }]);
    await arrowFile(dir, 'b.arrow', { id: vectorFromArray([1n, 2n], new Int64()), nested: vectorFromArray([[['a']], [['b']]], new List(new Field('item', new List(new Field('item', new Utf8(), true)), true))) });
    const bad = await runCli(['b.arrow', '--into', 'h.db'], { cwd: dir });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^b\.arrow:1:2: GI_UNSUPPORTED_TYPE: column "nested" has type List<List<Utf8>>/m);
  });

  it('reads string views (polars\' default in Arrow IPC), alone and in lists', async () => {
    const dir = fresh('views');
    await mkdir(dir);
    await arrowFile(dir, 'v.arrow', {
      id: vectorFromArray([1n, 2n, 3n], new Int64()),
      s: vectorFromArray(['short', 'a string longer than twelve bytes, with a comma', null], new Utf8View()),
      l: vectorFromArray([['x', 'a string longer than twelve bytes'], [], null], new List(new Field('item', new Utf8View(), true))),
    });
    const db = join(dir, 'g.db');
    await importFiles([join(dir, 'v.arrow')], db);
    const t = await (await openGraph(db)).nodeTables[0].load();
    expect(t.properties).toEqual([{ name: 's', type: 'string' }, { name: 'l', type: 'string[]' }]);
    expect([0, 1, 2].map((i) => t.row(i))).toEqual([
      { _id: 1n, s: 'short', l: ['x', 'a string longer than twelve bytes'] },
      { _id: 2n, s: 'a string longer than twelve bytes, with a comma', l: [] },
      { _id: 3n, s: null, l: null },
    ]);
  });

  it('leaves out a pandas index column, and imports a file without record batches as an empty table', async () => {
    const dir = fresh('pandas');
    await mkdir(dir);
    await arrowFile(dir, 'people.arrow', {
      id: vectorFromArray([5n, 9n], new Int64()), name: vectorFromArray(['a', 'b'], new Utf8()), __index_level_0__: vectorFromArray([3n, 7n], new Int64()),
    });
    const empty = new Schema([new Field('id', new Int64(), true), new Field('name', new Utf8(), true)]);
    const writer = new RecordBatchFileWriter();
    writer.reset(undefined, empty);
    await writeFile(join(dir, 'none.arrow'), writer.finish().toUint8Array(true));
    const run = await runCli(['people.arrow', 'none.arrow', '--into', 'g.db', '--json'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.nodeTables.map((t: { label: string; count: number; properties: unknown[] }) => [t.label, t.count, t.properties])).toEqual([
      ['people', 2, [{ name: 'name', type: 'string' }]],
      ['none', 0, [{ name: 'name', type: 'string' }]],
    ]);
  });

  it('reads a group of Arrow files as one table (header from the first), and refuses a file with other columns', async () => {
    const dir = fresh('group');
    await mkdir(dir);
    const cols = (ids: bigint[]) => ({ 'id:ID(P)': vectorFromArray(ids, new Int64()), name: vectorFromArray(ids.map(String), new Utf8()) });
    await arrowFile(dir, 'p1.arrow', cols([1n, 2n]));
    await arrowFile(dir, 'p2.arrow', cols([3n, 4n, 5n]));
    await arrowFile(dir, 'p3.arrow', { 'id:ID(P)': vectorFromArray([6n], new Int64()), name: vectorFromArray([6], new Int32()) });
    const run = await runCli(['--nodes', 'P=p1.arrow,p2.arrow', '--into', 'g.db', '--json'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).nodeTables[0]).toMatchObject({ label: 'P', count: 5 });
    const bad = await runCli(['--nodes', 'P=p1.arrow,p3.arrow', '--into', 'h.db'], { cwd: dir });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^p3\.arrow: GI_SCHEMA_CONFLICT: the file's columns \(id:ID\(P\), name:int\) differ/m);
  });

  it('a Parquet file the decoder cannot read fails the import cleanly (never a crash, never wrong data)', async () => {
    // DuckDB's Parquet v2 pages (delta-encoded INT32) make parquet-wasm 0.8 trap; the trap happens in the
    // conversion thread. Should a later version read the file, its values must be right.
    const dir = fresh('v2');
    await mkdir(dir);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT i::BIGINT AS id, (i * 7)::INTEGER AS x FROM range(5000) t(i)) TO '${join(dir, 'v2.parquet')}' (FORMAT parquet, PARQUET_VERSION V2)`);
    const run = await runCli(['v2.parquet', '--into', 'g.db', '--json'], { cwd: dir });
    if (run.status === 0) {
      const t = await (await openGraph(join(dir, 'g.db'))).nodeTables[0].load();
      expect(t.row(4999)).toEqual({ _id: 4999n, x: 34993 });
    } else {
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^v2\.parquet: GI_COLUMNAR_UNREADABLE: the Parquet decoder stopped on this file/m);
      expect(await strayEntries(dir, 'g.db')).toEqual([]);
    }
  });

  it('SIGINT while a large Arrow file converts: exit 130 within 2 s, conversion threads stopped, no store, no temporary sibling', async () => {
    const dir = fresh('interrupt');
    await mkdir(dir);
    // 4M edges (~130 MB) as an Arrow stream, which has no random access and so is converted (by one thread): a
    // conversion of a second or more. (Arrow files of these columns are read in place: see arrow-in-place.test.ts.)
    const rows = 4_000_000;
    const batch = 1 << 16;
    const parts: Table[] = [];
    for (let at = 0; at < rows; at += batch) {
      const n = Math.min(batch, rows - at);
      const src = new BigInt64Array(n);
      const dst = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        src[k] = BigInt((at + k) % 1000);
        dst[k] = BigInt((at + 7 * k) % 1000);
      }
      parts.push(new Table({ ':START_ID': makeVector(src), ':END_ID': makeVector(dst), w: makeVector(Float64Array.from({ length: n }, (_, k) => k / 8)) }));
    }
    await writeFile(join(dir, 'edges.arrows'), tableToIPC(parts.reduce((a, b) => a.concat(b)), 'stream'));
    await arrowFile(dir, 'nodes.arrow', { 'id:ID': makeVector(BigInt64Array.from({ length: 1000 }, (_, k) => BigInt(k))) });
    const db = join(dir, 'g.db');
    const run = await interruptCli([join(dir, 'nodes.arrow'), join(dir, 'edges.arrows'), '--into', db, '--progress', 'json'], {
      signal: 'SIGINT', when: /"type":"phase-start","phase":"decode"/, delayMs: 300,
    });
    const where = `signal sent ${run.signalAtMs.toFixed(0)} ms after spawn; stderr:\n${run.stderr}`;
    expect(run.stderrAtSignal, where).not.toMatch(/"type":"phase-end","phase":"decode"/);
    expect(run.signal, where).toBeNull();
    expect(run.status, where).toBe(130);
    expect(run.exitAfterSignalMs, where).toBeLessThan(2_000);
    expect(run.stderr, where).toMatch(/GI_INTERRUPTED: import interrupted/);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(dir, 'g.db')).toEqual([]);
  }, 60_000);

  it('reads whole decimals of up to 18 digits as long, and refuses other decimals with a hint (Parquet written by DuckDB)', async () => {
    const dir = fresh('decimal');
    await mkdir(dir);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT i::BIGINT AS id, ((i - 2) * 123456789012345)::DECIMAL(18,0) AS amount FROM range(5) t(i)) TO '${join(dir, 'whole.parquet')}' (FORMAT parquet)`);
    await duck.run(`COPY (SELECT i::BIGINT AS id, (i / 3)::DECIMAL(10,2) AS price FROM range(5) t(i)) TO '${join(dir, 'price.parquet')}' (FORMAT parquet)`);
    const ok = await runCli(['whole.parquet', '--into', 'g.db'], { cwd: dir });
    expect(ok.status, ok.stderr).toBe(0);
    const t = await (await openGraph(join(dir, 'g.db'))).nodeTables[0].load();
    expect(t.properties).toEqual([{ name: 'amount', type: 'long' }]);
    expect([0, 4].map((i) => t.row(t.lookup(BigInt(i))).amount)).toEqual([-246913578024690n, 246913578024690n]);
    const bad = await runCli(['price.parquet', '--into', 'h.db'], { cwd: dir });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^price\.parquet:1:2: GI_UNSUPPORTED_TYPE: column "price" has type Decimal/m);
    expect(bad.stderr).toMatch(/hint: the store has no decimal type: cast the column to float64/);
  });

  it('reads whole decimals stored in 32, 64 and 128 bits alike (Arrow IPC)', async () => {
    const dir = fresh('decimal-widths');
    await mkdir(dir);
    const values = [5n, -7n, 123456789n, 0n];
    for (const bits of [32, 64, 128]) {
      const stride = bits / 32;
      const words = new Uint32Array(values.length * stride);
      values.forEach((v, i) => {
        for (let k = 0; k < stride; k++) words[i * stride + k] = Number(BigInt.asUintN(32, v >> BigInt(32 * k)));
      });
      const dec = makeVector(makeData({ type: new Decimal(0, 9, bits), length: values.length, nullCount: 0, data: words }));
      await arrowFile(dir, `d${bits}.arrow`, { id: vectorFromArray([0n, 1n, 2n, 3n], new Int64()), dec });
      const db = join(dir, `d${bits}.db`);
      await importFiles([join(dir, `d${bits}.arrow`)], db);
      const t = await (await openGraph(db)).nodeTables[0].load();
      expect([0, 1, 2, 3].map((i) => t.row(i).dec), `${bits}-bit decimals`).toEqual(values);
    }
  });

  it('counts lines from 2 in every file of an Arrow group, and refuses Arrow data files under a CSV header', async () => {
    const dir = fresh('group-lines');
    await mkdir(dir);
    const cols = (ids: bigint[], u: bigint[]) => ({ 'id:ID(P)': vectorFromArray(ids, new Int64()), u: vectorFromArray(u, new Uint64()) });
    await arrowFile(dir, 'a.arrow', cols([1n, 2n], [1n, 2n]));
    // Row 3 of b.arrow holds a uint64 past int64: line 4, alone or as a group's second file.
    await arrowFile(dir, 'b.arrow', cols([3n, 4n, 5n], [3n, 4n, 18446744073709551615n]));
    for (const args of [['b.arrow'], ['--nodes', 'P=a.arrow,b.arrow']]) {
      const run = await runCli([...args, '--into', 'g.db'], { cwd: dir });
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/^b\.arrow:4:2: GI_TYPE_CAST: /m);
    }
    await writeFile(join(dir, 'head.csv'), 'id:ID(P),u:long\n9,9\n');
    const mixed = await runCli(['--nodes', 'P=head.csv,a.arrow', '--into', 'g.db'], { cwd: dir });
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/^a\.arrow: GI_SCHEMA_CONFLICT: an Arrow or Parquet file cannot be a data file of a group whose first file \(head\.csv\) is CSV/m);
  });

  it('writes the rejected rows of an Arrow input as a re-importable <stem>.csv', async () => {
    const dir = fresh('rejects-name');
    await mkdir(dir);
    await arrowFile(dir, 'p.arrow', { 'id:ID': vectorFromArray([1n, 2n, 2n], new Int64()), name: vectorFromArray(['a', 'b', 'c'], new Utf8()) });
    const run = await runCli(['p.arrow', '--into', 'g.db', '--skip-duplicate-nodes', '--rejects', 'rej.ndjson'], { cwd: dir });
    expect(run.status, run.stderr).toBe(4);
    expect(await readdir(join(dir, 'rej.ndjson.rows'))).toEqual(['p.csv']);
    expect(await readFile(join(dir, 'rej.ndjson.rows/p.csv'), 'utf8')).toBe('id:ID,name:string\n2,c\n');
    const again = await runCli(['rej.ndjson.rows/p.csv', '--into', 'h.db', '--json'], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).nodeTables[0]).toMatchObject({ label: 'p', count: 1 });
  });

  it('reports damaged or nameless Arrow columns as bad input (exit 1), not as a crash', async () => {
    const dir = fresh('damaged');
    await mkdir(dir);
    // A column written without a name: an empty header field, as in CSV.
    await writeFile(join(dir, 'noname.arrow'), tableToIPC(new Table({ id: vectorFromArray([1n], new Int64()), '': vectorFromArray(['x'], new Utf8()) }), 'file'));
    const noname = await runCli(['noname.arrow', '--into', 'g.db'], { cwd: dir });
    expect(noname.status, noname.stderr).toBe(1);
    expect(noname.stderr).toMatch(/^noname\.arrow:1:2: GI_HEADER_MALFORMED: a header field has no name/m);
    // String offsets pointing past the column's bytes.
    const offsets = new Int32Array([0, 1, 2, 1 << 30]);
    const bad = makeVector(makeData({ type: new Utf8(), length: 3, nullCount: 0, valueOffsets: offsets, data: new Uint8Array([0x61, 0x62, 0x63]) }));
    await writeFile(join(dir, 'bad.arrow'), tableToIPC(new Table({ id: vectorFromArray([1n, 2n, 3n], new Int64()), s: bad }), 'file'));
    const damaged = await runCli(['bad.arrow', '--into', 'g.db'], { cwd: dir });
    expect(damaged.status, damaged.stderr).toBe(1);
    // (Read in place, the slice's string bytes are found outside their buffer; converted, the offsets are.)
    expect(damaged.stderr).toMatch(/^bad\.arrow: GI_COLUMNAR_UNREADABLE: the file is not a readable Arrow IPC file \((string offsets|buffer \d+ of the record batch does not hold)/m);
    expect(await strayEntries(dir, 'g.db')).toEqual([]);
  });

  it('moves decode progress at every batch of an Arrow stream, not only at its end', async () => {
    const dir = fresh('stream-progress');
    await mkdir(dir);
    const writer = new RecordBatchStreamWriter();
    for (let b = 0; b < 20; b++) {
      const ids = BigInt64Array.from({ length: 10_000 }, (_, k) => BigInt(b * 10_000 + k));
      for (const batch of new Table({ 'id:ID': makeVector(ids), w: makeVector(Float64Array.from({ length: 10_000 }, (_, k) => k / 4)) }).batches) writer.write(batch);
    }
    await writeFile(join(dir, 'n.arrows'), writer.finish().toUint8Array(true));
    const events = join(dir, 'events.ndjson');
    const run = await runCli(['n.arrows', '--into', 'g.db', '--progress-file', events, '--quiet'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const lines = (await readFile(events, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const progress = lines.filter((e) => e.type === 'progress' && e.phase === 'decode').map((e) => e.bytes as number);
    const stored = (await stat(join(dir, 'n.arrows'))).size;
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.filter((b) => b < stored).length).toBeGreaterThanOrEqual(10);
    expect(progress.every((b, i) => i === 0 || b >= progress[i - 1])).toBe(true);
    expect(progress.at(-1)).toBe(stored);
  });

  it('reports the conversion as a decode phase counted in the bytes of the files as stored, as the summary does', async () => {
    const events = fresh('events.ndjson');
    const files = await fixture('parquet');
    const run = await runCli([...files, '--into', fresh('p.db'), '--progress-file', events, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const lines = (await readFile(events, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const start = lines.find((e) => e.type === 'phase-start' && e.phase === 'decode');
    let stored = 0;
    for (const f of files) stored += (await stat(f)).size;
    expect(start.totalBytes).toBe(stored);
    const progress = lines.filter((e) => e.type === 'progress' && e.phase === 'decode');
    // One event per row group at least (the fixtures have several), ending at the stored size.
    expect(progress.length).toBeGreaterThanOrEqual(files.length);
    expect(progress.at(-1).bytes).toBe(stored);
    expect(lines.some((e) => e.type === 'phase-end' && e.phase === 'decode')).toBe(true);
    // The summary counts the files as stored too, not their converted text.
    expect(JSON.parse(run.stdout).bytesRead).toBe(stored);
  });
});

describe('export --format arrow | parquet', () => {
  let generated: string; // a generated graph's store: 2,000 nodes, 20,000 edges with properties

  beforeAll(async () => {
    const g = fresh('gen');
    await generateGraph(g, 2_000, 20_000, 7);
    generated = fresh('gen.db');
    await importFiles([join(g, 'nodes.csv'), join(g, 'edges.csv')], generated);
  }, 60_000);

  it.each(['arrow', 'parquet'] as const)('CSV -> store -> export %s -> import -> export csv equals the first export csv', async (format) => {
    for (const source of [reference, generated, resolve(__dirname, '../fixtures/demo')]) {
      let store = source;
      if (source.endsWith('demo')) {
        store = fresh('demo.db');
        await importFiles((await readdir(source)).filter((f) => f.endsWith('.csv')).map((f) => join(source, f)), store);
      }
      const out = fresh(`${format}-out`);
      const written = await exportColumnar(store, { out, format });
      expect(written.files.every((f) => f.path.endsWith(`.${format}`))).toBe(true);
      const again = fresh('again.db');
      await importFiles(written.files.map((f) => f.path), again);
      const [a, b] = [fresh('csv-a'), fresh('csv-b')];
      await exportCsv(store, { out: a });
      await exportCsv(again, { out: b });
      for (const kind of ['nodes', 'relationships']) {
        const names = (await readdir(join(a, kind))).sort();
        expect((await readdir(join(b, kind))).sort()).toEqual(names);
        for (const name of names) expect(await readFile(join(b, kind, name), 'utf8'), `${kind}/${name}`).toBe(await readFile(join(a, kind, name), 'utf8'));
      }
    }
  }, 60_000);

  it('DuckDB reads the exported Parquet files: the same columns, types, row counts and sums', async () => {
    const out = fresh('duck');
    await exportColumnar(reference, { out, format: 'parquet', compression: 'zstd' });
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const q = async (sql: string) => (await duck.runAndReadAll(sql)).getRows();
    const person = join(out, 'nodes/Person.parquet');
    expect((await q(`DESCRIBE SELECT * FROM '${person}'`)).map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'id:ID(Person){id-type:int} BIGINT', 'name VARCHAR', 'age INTEGER', 'score DOUBLE', 'height FLOAT', 'vip BOOLEAN', 'born DATE',
      'seen TIMESTAMP WITH TIME ZONE', 'tags VARCHAR[]', 'scores BIGINT[]',
    ]);
    const store = await openGraph(reference);
    const people = await store.nodeTable('Person')!.load();
    let idSum = 0n;
    let ageSum = 0;
    for (let i = 0; i < people.count; i++) {
      idSum += people.row(i)._id as bigint;
      ageSum += (people.row(i).age as number | null) ?? 0;
    }
    const [[count, ids, ages, nullNames, empties]] = await q(
      `SELECT count(*), sum("id:ID(Person){id-type:int}"::HUGEINT)::VARCHAR, sum(age), count(*) FILTER (WHERE name IS NULL), count(*) FILTER (WHERE name = '') FROM '${person}'`,
    );
    expect([count, ids, ages, nullNames, empties]).toEqual([BigInt(people.count), idSum.toString(), BigInt(ageSum), 1n, 1n]);
    const knows = join(out, 'relationships/KNOWS.parquet');
    const rel = (await store.relationshipTables.find((r) => r.type === 'KNOWS')!.load());
    const [[edges, starts]] = await q(`SELECT count(*), sum(":START_ID(Person)"::HUGEINT)::VARCHAR FROM '${knows}'`);
    const fromIds = people.ids()!;
    let startSum = 0n;
    for (const { src } of rel.edges()) startSum += BigInt(fromIds[src]);
    expect([edges, starts]).toEqual([BigInt(rel.count), startSum.toString()]);
    const [[seen]] = await q(`SELECT max(seen)::VARCHAR FROM '${person}'`);
    expect(seen).toBe('2262-04-11 23:47:16.854775+00');
  });

  it('writes Arrow files whose columns carry the import conventions and the store\'s Arrow types', async () => {
    const out = fresh('arrow-types');
    await exportColumnar(reference, { out, format: 'arrow' });
    const works = tableFromIPC(await readFile(join(out, 'relationships/WORKS_AT.arrow')));
    expect(works.schema.fields.map((f) => f.name)).toEqual([':START_ID(Person)', ':END_ID(Company)', 'role', 'started']);
    expect(works.schema.fields.map((f) => String(f.type))).toEqual(['Int64', 'Utf8', 'Utf8', 'Timestamp<MICROSECOND, UTC>']);
    expect(works.numRows).toBe(4);
    const company = tableFromIPC(await readFile(join(out, 'nodes/Company.arrow')));
    expect(company.schema.fields.map((f) => f.name)).toEqual(['id:ID(Company){id-type:string}', 'name', 'founded']);
  });

  it('keeps -0 in CSV exports, and never names an exported file with a leading dot (globs would skip it)', async () => {
    const csv = fresh('neg-zero');
    await exportCsv(reference, { out: csv });
    expect((await readFile(join(csv, 'nodes/Person.csv'), 'utf8')).split('\n').find((l) => l.startsWith('9007199254740993,'))).toContain(',-7,-0,');
    const dir = fresh('dot');
    await mkdir(dir);
    await writeFile(join(dir, 'n.csv'), 'id:ID\n1\n2\n');
    await writeFile(join(dir, 'r.csv'), ':START_ID,:END_ID,:TYPE\n1,2,.hidden\n');
    const db = join(dir, 'g.db');
    await importFiles([join(dir, 'n.csv'), join(dir, 'r.csv')], db);
    const { files } = await exportColumnar(db, { out: join(dir, 'out'), format: 'arrow' });
    expect(files.map((f) => f.path.slice(dir.length + 1))).toEqual(['out/nodes/n.arrow', 'out/relationships/_hidden.arrow']);
    const again = join(dir, 'again.db');
    await importFiles(files.map((f) => f.path), again);
    expect(await dumpGraph(again)).toEqual(await dumpGraph(db));
  });

  it('exports nodes without IDs with a :LABEL column, so that they import as the same table again', async () => {
    const dir = fresh('no-ids');
    await mkdir(dir);
    await writeFile(join(dir, 'Tag.csv'), 'name:string,:LABEL\nred,Tag\nblue,Tag\n');
    const db = join(dir, 'g.db');
    await importFiles([join(dir, 'Tag.csv')], db);
    for (const format of ['arrow', 'parquet'] as const) {
      const out = join(dir, format);
      const { files } = await exportColumnar(db, { out, format });
      const again = join(dir, `${format}.db`);
      await importFiles(files.map((f) => f.path), again);
      expect(await dumpGraph(again)).toEqual(await dumpGraph(db));
    }
    const csv = join(dir, 'csv');
    const { files } = await exportCsv(db, { out: csv });
    expect((await readFile(files[0].path, 'utf8')).split('\n')[0]).toBe('name:string,:LABEL');
  });
});
