/**
 * The column-at-a-time path of node batches (src/exec/node-columns.ts) against the row-by-row path. A batch with
 * nothing to report is read a column at a time and its IDs inserted as a batch; any other batch is read row by row
 * from its start. The store must not depend on which path a batch took, and an error must be the one, at the line
 * and column, that a row-by-row read meets first.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InputGroup, normalizeConfig } from '../src/config/streaming-config.js';
import { ImportError } from '../src/errors/import-error.js';
import type { ImportResult } from '../src/exec/events.js';
import type { RunOptions } from '../src/exec/run-import.js';
import { runImport } from '../src/exec/run-import.js';
import { storeInfo } from '../src/read/store-info.js';
import { parseNodeColumns } from '../src/exec/node-columns.js';
import { ScanBatch, scanRows } from '../src/input/scanner.js';
import { int64Out, parseInt64 } from '../src/input/value-parsers.js';
import { Int64ColumnBuilder, Utf8ColumnBuilder } from '../src/store/column-builders.js';
import { csvField, prng } from './helpers/seeded-csv.js';
import { storeDifferences } from './helpers/store-bytes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gi-node-columns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PEOPLE = 1500;
const TAGS = 400;

interface Files {
  clean: InputGroup[];
  dirty: InputGroup[];
  bad: number;
}

/**
 * `people.csv`: sparse int IDs (a few of 16 digits, past plainDecimal's reach), a property
 * of every scalar type with nulls, an array, quoted text with quotes and line ends, and an untyped (string) column.
 * `tags.csv`, with a plain header: string IDs, some quoted with an escaped quote (row by row too), and columns whose
 * kinds a small sample infers. `knows.csv` joins them. The dirty copies hold the same rows plus bad ones, skipped by
 * the tolerant modes, whose node files therefore load row by row throughout.
 */
async function writeGraph(): Promise<Files> {
  const rnd = prng(4021);
  const int = (n: number): number => Math.floor(rnd() * n);
  const maybe = (v: string): string => (rnd() < 0.1 ? '' : v);
  const personIds = Array.from({ length: PEOPLE }, (_, i) => (i % 97 === 50 ? 1_234_567_890_123_456 + i : 7_919 * i + 3));
  const tagIds = Array.from({ length: TAGS }, (_, i) => (i % 53 === 7 ? `t"${i}"` : `tag-${i}`));
  const text = (): string | null => [null, '', 'plain', 'a,b', 'say "hi"', 'two\nlines', 'ünï'][int(7)];
  const person = (i: number): string => [
    String(personIds[i]), csvField(text()), maybe(String(int(100))), maybe((rnd() * 1000).toFixed(3)), maybe(rnd() < 0.5 ? 'true' : 'false'),
    maybe(`19${50 + int(50)}-0${1 + int(9)}-1${int(10)}`), maybe(`2020-01-0${1 + int(9)}T0${int(10)}:30:00`),
    rnd() < 0.2 ? '' : csvField(Array.from({ length: int(3) }, () => `x${int(5)}`).join(';')), maybe(String(int(1_000_000))),
  ].join(',');
  // After row `i`: a duplicate repeats the ID of a row before it, so the tolerant import skips the duplicate.
  const badPerson = (i: number): string => [
    () => person(int(PEOPLE)).split(',').slice(0, 5).join(','),
    () => `${personIds[int(i + 1)]},dup,1,1.0,true,2000-01-01,,,1`,
    () => `${99_000_000 + int(1000)},x,not-a-number,1.0,true,2000-01-01,,,1`,
  ][int(3)]();
  const header = 'id:ID(Person),name:string,age:int,score:double,active:boolean,born:date,seen:datetime,tags:string[],misc';
  const clean: string[] = [header];
  const dirty: string[] = [header];
  let bad = 0;
  for (let i = 0; i < PEOPLE; i++) {
    const row = person(i);
    clean.push(row);
    dirty.push(row);
    if (rnd() < 0.03) {
      dirty.push(badPerson(i));
      bad++;
    }
  }
  // A plain header: every column's kind is inferred from the sample and checked on every later value.
  const tag = (t: string, i: number): string => [
    csvField(t), csvField(i % 5 === 0 ? null : `label ${i}`), maybe(rnd() < 0.2 ? String(int(10)) : (rnd() * 10).toFixed(2)), maybe(String(int(1000))),
    maybe(rnd() < 0.5 ? 'true' : 'false'), maybe(`20${10 + int(10)}-0${1 + int(9)}-1${int(10)}`),
  ].join(',');
  const tags = ['id,label,weight,count,flag,day', ...tagIds.map(tag)];
  const knows = [':START_ID(Person),:END_ID', ...Array.from({ length: 3000 }, () => `${personIds[int(PEOPLE)]},${csvField(tagIds[int(TAGS)])}`)];
  for (const [sub, lines] of [['clean', clean], ['dirty', dirty]] as const) {
    await mkdir(join(dir, sub));
    await writeFile(join(dir, sub, 'people.csv'), `${lines.join('\n')}\n`);
  }
  await writeFile(join(dir, 'tags.csv'), `${tags.join('\n')}\n`);
  await writeFile(join(dir, 'knows.csv'), `${knows.join('\n')}\n`);
  const group = (sub: string): InputGroup[] => [
    { kind: 'node', name: 'Person', files: [join(dir, sub, 'people.csv')] },
    { kind: 'node', name: 'Tag', files: [join(dir, 'tags.csv')] },
    { kind: 'relationship', name: 'KNOWS', files: [join(dir, 'knows.csv')] },
  ];
  return { clean: group('clean'), dirty: group('dirty'), bad };
}

function importWith(inputs: InputGroup[], into: string, o: { threads: number; batchSize: number; tolerant: boolean; ranged?: boolean }): Promise<ImportResult> {
  const tolerance = o.tolerant ? { maxBadRows: 100_000, skipDuplicateNodes: true } : {};
  // A small sample: tags.csv's kinds are inferred from its first rows and checked on every later value.
  const options: RunOptions = { sampleBytes: 4096, ...(o.ranged === true ? { rangedNodeBytes: 0 } : {}) };
  return runImport(normalizeConfig({ inputs, into, threads: o.threads, batchSize: o.batchSize, mode: 'streaming', ...tolerance }), options);
}

describe('node batches read a column at a time', () => {
  let files: Files;
  beforeAll(async () => {
    files = await writeGraph();
  });

  const runs = [
    { threads: 1, batchSize: 7 }, { threads: 2, batchSize: 64 }, { threads: 1, batchSize: 100_000 },
    // Ranges read by workers take the same column path (node-range-task.ts).
    { threads: 2, batchSize: 50, ranged: true }, { threads: 2, batchSize: 300, ranged: true },
  ];
  for (const o of runs) {
    it(`give the store the row-by-row path gives (threads ${o.threads}, batch size ${o.batchSize}${o.ranged ? ', node ranges' : ''})`, async () => {
      const tag = `${o.threads}-${o.batchSize}-${o.ranged === true}`;
      const clean = await importWith(files.clean, join(dir, `clean-${tag}.db`), { ...o, tolerant: false });
      const dirty = await importWith(files.dirty, join(dir, `dirty-${tag}.db`), { ...o, tolerant: true });
      expect(clean.nodes).toBe(PEOPLE + TAGS);
      expect(dirty.nodes).toBe(PEOPLE + TAGS);
      expect(dirty.skipped.rows).toBe(files.bad);
      if (o.ranged === true) expect(clean.engine.nodeRanges).toBeGreaterThan(1);
      // The sample inferred tags.csv's kinds, so its later values were checked against them on both paths.
      for (const r of [clean, dirty]) {
        expect(r.nodeTables.find((t) => t.label === 'Tag')?.properties).toEqual([
          { name: 'label', type: 'string' }, { name: 'weight', type: 'double' }, { name: 'count', type: 'long' }, { name: 'flag', type: 'boolean' },
          { name: 'day', type: 'date' },
        ]);
      }
      expect(await storeDifferences(join(dir, `dirty-${tag}.db`), join(dir, `clean-${tag}.db`))).toEqual([]);
    });
  }
});

describe('node batch errors are the row-by-row read\'s first error', () => {
  const rows = (n: number): string[] => Array.from({ length: n }, (_, i) => `${1000 + 3 * i},n${i},${i % 90}`);
  const cases: { name: string; edit: (lines: string[]) => void; code: string; line: number; column: number }[] = [
    // Line numbers count the header as line 1: data row k is on line k + 2.
    { name: 'a repeated ID, batches later than the first', edit: (l) => (l[250] = `${1000 + 3 * 10},again,5`), code: 'GI_DUPLICATE_NODE_ID', line: 252, column: 1 },
    { name: 'a repeated ID within its batch', edit: (l) => (l[12] = `${1000 + 3 * 11},again,5`), code: 'GI_DUPLICATE_NODE_ID', line: 14, column: 1 },
    { name: 'a bad value, then a repeated ID in the same batch', edit: (l) => { l[120] = '1360,x,old'; l[125] = `${1000 + 3 * 5},again,5`; }, code: 'GI_TYPE_CAST', line: 122, column: 3 },
    { name: 'a repeated ID, then a bad value in the same batch', edit: (l) => { l[120] = `${1000 + 3 * 5},again,5`; l[125] = '1375,x,old'; }, code: 'GI_DUPLICATE_NODE_ID', line: 122, column: 1 },
    { name: 'an empty ID', edit: (l) => (l[77] = ',nobody,5'), code: 'GI_MISSING_NODE_ID', line: 79, column: 1 },
    { name: 'a row a field short', edit: (l) => (l[301] = '99991,short'), code: 'GI_FIELD_COUNT', line: 303, column: 2 },
  ];
  for (const c of cases) {
    for (const batchSize of [7, 100, 100_000]) {
      it(`${c.name} (batch size ${batchSize}): ${c.code} at line ${c.line}`, async () => {
        const lines = rows(400);
        c.edit(lines);
        const path = join(dir, `err-${cases.indexOf(c)}-${batchSize}.csv`);
        await writeFile(path, `id:ID,name:string,age:int\n${lines.join('\n')}\n`);
        const err = await runImport(normalizeConfig({ inputs: [{ kind: 'node', name: 'P', files: [path] }], into: `${path}.db`, batchSize, threads: 1 })).then(
          () => undefined, (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ImportError);
        expect((err as ImportError).code).toBe(c.code);
        expect((err as ImportError).line).toBe(c.line);
        expect((err as ImportError).column).toBe(c.column);
      });
    }
  }
});

describe('int IDs past the sample', () => {
  // The kind a sample gives an ID column must hold for every later ID, on the column path as row by row: a late
  // zero-padded ID is an int64 (7) but not of the int kind, and the space is inferred again, as strings.
  for (const batchSize of [64, 100_000]) {
    it(`a late zero-padded ID makes the ID space strings (batch size ${batchSize})`, async () => {
      const rows = Array.from({ length: 3000 }, (_, i) => `${10_000_000_000_000_000n + BigInt(i)},n${i}`);
      rows[2500] = '0000007,late';
      const path = join(dir, `late-id-${batchSize}.csv`);
      await writeFile(path, `id,name\n${rows.join('\n')}\n`);
      const into = `${path}.db`;
      await runImport(normalizeConfig({ inputs: [{ kind: 'node', name: 'P', files: [path] }], into, batchSize, threads: 1 }), { sampleBytes: 4096 });
      const info = await storeInfo(into);
      expect(info.nodeTables.map((t) => [t.count, t.idType])).toEqual([[3000, 'string']]);
    });
  }
});

describe('parseNodeColumns', () => {
  const spec = (idKind: 'int' | 'string', verifyId = false) => ({
    width: 2, quote: 0x22, extraOk: false, idColumn: 0, idKind, verifyId, target: [-1, 0], columnTypes: [undefined, { base: 'string' as const, array: false }],
    verifyKinds: [null, null], propertyTypes: [{ base: 'string' as const, array: false }], missing: [],
  });
  function batchOf(ids: string[]): { buf: Buffer; scan: ScanBatch; firstLine: number; bufOffset: number; bytesDone: number } {
    const buf = Buffer.from(`${ids.map((v) => `${v},x`).join('\n')}\n`);
    const scan = new ScanBatch(ids.length, 2);
    scanRows(buf, 0, buf.length, true, { delimiter: 0x2c, quote: 0x22 }, scan);
    return { buf, scan, firstLine: 1, bufOffset: 0, bytesDone: buf.length };
  }

  it('reads int IDs to the halves parseInt64 gives, and leaves to the row-by-row path those it refuses or whose sampled kind changes', () => {
    const plain = ['0', '-0', '7', '-7', '4294967296', '-4294967297', '123456789012345', '-123456789012345', '"42"'];
    // Past 15 digits, signed with '+' or padded: still int64s, checked and parsed as the row-by-row path does.
    const long = ['1234567890123456', '9223372036854775807', '-9223372036854775808', '+5', ' 5'];
    for (const verifyId of [false, true]) {
      const all = [...plain, ...long];
      const ids = new Int64ColumnBuilder();
      const props = [new Utf8ColumnBuilder(0x22)];
      expect(parseNodeColumns(spec('int', verifyId), batchOf(all), all.length, ids, props)).toBe(true);
      const halves = ids.halves();
      all.forEach((v, k) => {
        const text = v.replace(/"/g, '');
        expect(parseInt64(Buffer.from(text), 0, text.length), v).toBe(true);
        expect([halves[2 * k], halves[2 * k + 1]], v).toEqual([int64Out.lo, int64Out.hi]);
      });
      expect(props[0].length).toBe(all.length);
    }
    // Each of these, alone or after plain IDs, sends the batch row by row: empty, escaped, not an int64.
    for (const odd of ['', '"4""2"', '9223372036854775808', '1.5', '1e3', 'x']) {
      expect(parseNodeColumns(spec('int'), batchOf(['1', odd]), 2, new Int64ColumnBuilder(), [new Utf8ColumnBuilder(0x22)]), JSON.stringify(odd)).toBe(false);
    }
    // A zero-padded ID is an int64 but not of a sampled int kind (the file must be inferred again): row by row.
    expect(parseNodeColumns(spec('int'), batchOf(['1', '007']), 2, new Int64ColumnBuilder(), [new Utf8ColumnBuilder(0x22)])).toBe(true);
    expect(parseNodeColumns(spec('int', true), batchOf(['1', '007']), 2, new Int64ColumnBuilder(), [new Utf8ColumnBuilder(0x22)])).toBe(false);
  });

  it('reads string IDs as written, and leaves empty and escaped ones to the row-by-row path', () => {
    const ids = new Utf8ColumnBuilder(0x22);
    expect(parseNodeColumns(spec('string'), batchOf(['a', '"b,c"', 'ü']), 3, ids, [new Utf8ColumnBuilder(0x22)])).toBe(true);
    expect(ids.length).toBe(3);
    for (const odd of ['', '"a""b"']) expect(parseNodeColumns(spec('string'), batchOf(['a', odd]), 2, new Utf8ColumnBuilder(0x22), [new Utf8ColumnBuilder(0x22)])).toBe(false);
  });

  it('leaves a batch with a row of the wrong width to the row-by-row path', () => {
    const { buf } = batchOf(['1', '2']);
    const short = Buffer.concat([buf, Buffer.from('3\n')]);
    const scan = new ScanBatch(3, 2);
    scanRows(short, 0, short.length, true, { delimiter: 0x2c, quote: 0x22 }, scan);
    expect(parseNodeColumns(spec('int'), { buf: short, scan, firstLine: 1, bufOffset: 0, bytesDone: short.length }, 3, new Int64ColumnBuilder(), [new Utf8ColumnBuilder(0x22)])).toBe(false);
  });
});
