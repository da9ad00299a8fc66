/**
 * The column-at-a-time path of relationship ranges (src/exec/rel-batch-columns.ts) against the row-by-row path. A
 * batch with nothing to report is appended a column at a time; a batch holding one bad row, a mix of types, or a
 * missing endpoint is read row by row. The graph must not depend on which path a batch took: a clean file, and the
 * same file with bad rows scattered through it (skipped by the tolerant modes), give the same store, byte for byte.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InputGroup, normalizeConfig } from '../src/config/streaming-config.js';
import type { ImportResult } from '../src/exec/events.js';
import { parseColumn, parseColumnChecked } from '../src/exec/rel-batch-columns.js';
import { runImport } from '../src/exec/run-import.js';
import { ScanBatch, scanRows } from '../src/input/scanner.js';
import type { InferredKind } from '../src/schema/infer-types.js';
import type { PropertyType } from '../src/schema/types.js';
import { createColumnBuilder } from '../src/store/column-builders.js';
import { csvField, prng } from './helpers/seeded-csv.js';
import { storeDifferences } from './helpers/store-bytes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gi-batch-columns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NODES = 300;
const EDGES = 2500;

interface Files {
  clean: InputGroup[];
  dirty: InputGroup[];
  /** Bad rows written into the dirty files. */
  bad: number;
}

/**
 * Nodes with sparse int IDs; `rels.csv` (type from the file name) with a property of every scalar type, an array
 * and an untyped column whose kind is inferred from a sample; `typed.csv` with a :TYPE column whose values come in
 * runs, so some batches hold one type and some several. The dirty copies hold the same rows plus bad ones.
 */
async function writeGraph(): Promise<Files> {
  const rnd = prng(917);
  const int = (n: number): number => Math.floor(rnd() * n);
  const ids = Array.from({ length: NODES }, (_, i) => 1_000_003 * i + 17);
  const text = (): string | null => [null, '', 'plain', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\nend', 'ünï'][int(8)];
  const maybe = (v: string): string => (rnd() < 0.1 ? '' : v);
  const relRow = (): string => [
    String(ids[int(NODES)]), String(ids[int(NODES)]), maybe((rnd() * 100 - 50).toFixed(3)), maybe(String(int(2 ** 40) - 2 ** 39)),
    csvField(text()), maybe(rnd() < 0.5 ? 'true' : 'false'), maybe(`20${10 + int(10)}-0${1 + int(9)}-1${int(10)}`),
    rnd() < 0.2 ? '' : csvField(Array.from({ length: int(3) }, () => `t${int(5)}`).join(';')), maybe(String(int(1000))),
  ].join(',');
  const types = ['KNOWS', 'LIKES', ''];
  let type = types[0];
  const typedRow = (): string => {
    if (rnd() < 0.05) type = types[int(3)];
    return [String(ids[int(NODES)]), String(ids[int(NODES)]), type, (rnd() * 10).toFixed(2)].join(',');
  };
  // Bad rows of the kinds the tolerant modes skip: a field short, a value not of its type, an unknown endpoint.
  const badRel = (): string => [
    () => relRow().split(',').slice(0, 8).join(','),
    () => `${ids[0]},${ids[1]},1.5,not-a-number,x,true,2020-01-01,,1`,
    () => `999999999999,${ids[2]},1.5,7,x,true,2020-01-01,,1`,
  ][int(3)]();
  const badTyped = (): string => (rnd() < 0.5 ? `${ids[3]},${ids[4]},KNOWS` : `${ids[3]},42,KNOWS,1.0`);

  // Plain headers (no roles) for nodes and rels.csv, where an untyped column's kind is inferred.
  const nodes = ['id,name', ...ids.map((id, i) => `${id},n${i}`)].join('\n');
  const relHeader = 'src,dst,w:double,n:long,s:string,b:boolean,d:date,tags:string[],score';
  const typedHeader = ':START_ID,:END_ID,:TYPE,w:double';
  const clean = { rels: [relHeader], typed: [typedHeader] };
  const dirty = { rels: [relHeader], typed: [typedHeader] };
  let bad = 0;
  for (let i = 0; i < EDGES; i++) {
    // Far past the sample, a score the sampled kind (long) does not hold: a leading zero makes it text.
    const r = i === Math.floor(EDGES * 0.8) ? relRow().replace(/,[^,]*$/, ',007') : relRow();
    const t = typedRow();
    clean.rels.push(r);
    clean.typed.push(t);
    dirty.rels.push(r);
    dirty.typed.push(t);
    if (rnd() < 0.04) {
      dirty.rels.push(badRel());
      bad++;
    }
    if (rnd() < 0.02) {
      dirty.typed.push(badTyped());
      bad++;
    }
  }
  await writeFile(join(dir, 'nodes.csv'), `${nodes}\n`);
  // Same file names in two folders: an empty :TYPE field takes the file's name as its type.
  for (const [sub, lines] of [['clean', clean], ['dirty', dirty]] as const) {
    await mkdir(join(dir, sub));
    await writeFile(join(dir, sub, 'rels.csv'), `${lines.rels.join('\n')}\n`);
    await writeFile(join(dir, sub, 'typed.csv'), `${lines.typed.join('\n')}\n`);
  }
  const group = (sub: string): InputGroup[] => [
    { kind: 'node', name: 'P', files: [join(dir, 'nodes.csv')] },
    { kind: 'relationship', name: 'REL', files: [join(dir, sub, 'rels.csv')] },
    { kind: 'relationship', files: [join(dir, sub, 'typed.csv')] },
  ];
  return { clean: group('clean'), dirty: group('dirty'), bad };
}

function importWith(inputs: InputGroup[], into: string, o: { threads: number; batchSize: number; tolerant: boolean }): Promise<ImportResult> {
  const tolerance = o.tolerant ? { maxBadRows: 100_000, skipBadRelationships: true } : {};
  // A small sample: the untyped column's kind is inferred from the first rows and checked on every later value.
  return runImport(normalizeConfig({ inputs, into, threads: o.threads, batchSize: o.batchSize, mode: 'streaming', ...tolerance }), { sampleBytes: 4096 });
}

describe('relationship batches appended a column at a time', () => {
  let files: Files;
  beforeAll(async () => {
    files = await writeGraph();
  });

  for (const o of [{ threads: 1, batchSize: 7 }, { threads: 2, batchSize: 64 }, { threads: 2, batchSize: 100_000 }]) {
    it(`give the store the row-by-row path gives (threads ${o.threads}, batch size ${o.batchSize})`, async () => {
      const tag = `${o.threads}-${o.batchSize}`;
      const clean = await importWith(files.clean, join(dir, `clean-${tag}.db`), { ...o, tolerant: false });
      const dirty = await importWith(files.dirty, join(dir, `dirty-${tag}.db`), { ...o, tolerant: true });
      expect(clean.relationships).toBe(2 * EDGES);
      expect(dirty.relationships).toBe(2 * EDGES);
      expect(dirty.skipped.rows).toBe(files.bad);
      for (const r of [clean, dirty]) expect(r.relationshipTables.find((t) => t.type === 'REL')?.properties).toContainEqual({ name: 'score', type: 'string' });
      expect(await storeDifferences(join(dir, `dirty-${tag}.db`), join(dir, `clean-${tag}.db`))).toEqual([]);
    });
  }
});

describe('parseColumn: plain decimals in one pass, everything else checked and parsed as before', () => {
  // Every value the reference (the sampled kind checked, then the type's parser) decides on, the one-pass reader
  // must decide on alike: the same verdict at the same row, and the same encoded column.
  const values = [
    '0', '-0', '7', '-7', '42', '007', '00', '+5', ' 5', '5 ', '-', '--1', '1-', '', '1.5', '-1.25', '1.', '.5', '0.5', '-0.0', '00.5', '0.000',
    '123456789012345', '-123456789012345', '1234567890123456', '12345678901234567890', '9007199254740993', '0.1234567890123456', '12345678.1234567',
    '1234567.12345678', '0.0000000000000000000001', '0.00000000000000000000001', '1e5', '1E-3', 'NaN', 'inf', '-Infinity', '1,5', '0x10', '٣',
    '99999999999999.9', '4.35', '2.675', '0.1', '1234.5678', '1234567.1234567891', '0.12345678901234567891', '9.007199254740993', '123456789012345.5',
  ];
  const cases: { type: PropertyType; kind: InferredKind }[] = [
    { type: { base: 'long', array: false }, kind: 'long' }, { type: { base: 'double', array: false }, kind: 'double' },
    { type: { base: 'double', array: false }, kind: 'long' }, { type: { base: 'long', array: false }, kind: 'double' },
  ];
  /** One column of `vals` (quoted when asked), scanned as a CSV batch. */
  function batchOf(vals: string[], quoted: boolean): { buf: Buffer; scan: ScanBatch } {
    const buf = Buffer.from(`${vals.map((v) => (quoted ? `"${v}"` : v)).join('\n')}\n`);
    const scan = new ScanBatch(vals.length, 1);
    scanRows(buf, 0, buf.length, true, { delimiter: 0x2c, quote: 0x22 }, scan);
    return { buf, scan };
  }
  for (const { type, kind } of cases) {
    it(`${type.base} column checked against kind ${kind}`, () => {
      for (const quoted of [false, true]) {
        // Each value alone (its own verdict), then all values that pass together (the same column).
        const passing: string[] = [];
        for (const v of values.filter((x) => !x.includes(','))) {
          const { buf, scan } = batchOf([v], quoted);
          const fast = createColumnBuilder(type, 0x22, 0x3b);
          const ref = createColumnBuilder(type, 0x22, 0x3b);
          const a = parseColumn(fast, type, buf, scan.rowField, scan.fieldStart, scan.fieldEnd, scan.fieldFlags, 0, scan.rows, kind);
          const b = parseColumnChecked(ref, type, buf, scan.rowField, scan.fieldStart, scan.fieldEnd, scan.fieldFlags, 0, scan.rows, kind);
          expect(a, `${JSON.stringify(v)} quoted=${quoted}`).toBe(b);
          if (b) {
            expect(Buffer.from(fast.encode()).equals(Buffer.from(ref.encode())), `${JSON.stringify(v)} quoted=${quoted}`).toBe(true);
            passing.push(v);
          }
        }
        expect(passing.length).toBeGreaterThan(5);
        const { buf, scan } = batchOf(passing, quoted);
        const fast = createColumnBuilder(type, 0x22, 0x3b);
        const ref = createColumnBuilder(type, 0x22, 0x3b);
        expect(parseColumn(fast, type, buf, scan.rowField, scan.fieldStart, scan.fieldEnd, scan.fieldFlags, 0, scan.rows, kind)).toBe(true);
        expect(parseColumnChecked(ref, type, buf, scan.rowField, scan.fieldStart, scan.fieldEnd, scan.fieldFlags, 0, scan.rows, kind)).toBe(true);
        expect(Buffer.from(fast.encode()).equals(Buffer.from(ref.encode()))).toBe(true);
      }
    });
  }
});
