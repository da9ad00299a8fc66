/**
 * Robustness fuzzing: mutated and random CSV through the byte scanner and through whole imports (library, in
 * process). csv-parse is the oracle, configured as in scanner-differential.test.ts plus explicit record delimiters
 * (csv-parse otherwise locks onto the first line end it sees, where our scanner takes LF, CRLF and CR everywhere).
 *
 * Case counts: GI_FUZZ_RUNS (per property; default below), seed: GI_FUZZ_SEED (default: fixed in `npm test`, random
 * when GI_FUZZ_RUNS is set; printed with the counts so any run can be repeated). A long run: `GI_FUZZ_RUNS=5000 npx vitest run test/fuzz.test.ts`.
 *
 * Known, intended differences from csv-parse (relax_quotes):
 * - a closing quote followed by anything but a delimiter or a line end: csv-parse keeps the whole field as literal
 *   text, our scanner stops with `bad-quote` (GI_QUOTE_UNEXPECTED). Rows before it must still agree.
 * - csv-parse quirk: a NUL byte right after a closing quote (`"a"<NUL>`) is appended to the field, even without
 *   relax_quotes; the scanner stops with `bad-quote` there, as for any other byte. Rows before it must still agree.
 * - the scanner does not strip a BOM (the header reader does), so the scanner oracle runs without `bom`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ImportEvent, type ImportPlan, type ImportResult, ScanBatch, isImportError, normalizeConfig, openGraph, runImport, scanRows, verifyStore,
} from '../src/index.js';
import type { ScanResult } from '../src/input/scanner.js';
import { ROOT } from './helpers/child.js';
import { decodeRows } from './helpers/decode-rows.js';

const RUNS = process.env.GI_FUZZ_RUNS === undefined ? undefined : Number(process.env.GI_FUZZ_RUNS);
if (RUNS !== undefined && !(Number.isInteger(RUNS) && RUNS > 0)) throw new Error(`GI_FUZZ_RUNS must be a positive integer, got ${process.env.GI_FUZZ_RUNS}`);
// `npm test` replays the same cases every run, so CI never turns red on a case nobody can see locally; a long run
// (GI_FUZZ_RUNS set, as `npm run test:fuzz` does) explores new ones from a random seed, printed for replay.
const FIXED_SEED = 20261121;
const SEED = process.env.GI_FUZZ_SEED !== undefined ? Number(process.env.GI_FUZZ_SEED)
  : RUNS === undefined ? FIXED_SEED : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
if (!Number.isInteger(SEED)) throw new Error(`GI_FUZZ_SEED must be an integer, got ${process.env.GI_FUZZ_SEED}`);

const runsOf = (fallback: number): number => RUNS ?? fallback;
/** A property's vitest timeout: generous, since other suites may be loading the machine, and scaled by the case count. */
const timeoutFor = (runs: number, msPerRun: number): number => Math.max(120_000, runs * msPerRun);

function report(name: string, cases: number): void {
  console.log(`fuzz: ${name} ${cases} cases (seed ${SEED})`);
}

const QUOTE = 0x22;
const DELIMITERS = [',', '|', '\t', ';'] as const;
const RECORD_DELIMITERS = ['\r\n', '\n', '\r'];

// ---------------------------------------------------------------------------------------------------------------
// Mutations, shared by both properties
// ---------------------------------------------------------------------------------------------------------------

/** Where in the input a mutation applies, as a fraction of its length (so one value fits inputs of any size). */
const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'dupLine'; at: number }
  | { kind: 'cutQuote'; at: number }
  | { kind: 'swapDelimiter'; at: number; to: string; wholeLine: boolean }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'hugeField'; at: number; size: number; quoted: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'headerMidFile'; at: number }
  | { kind: 'blankLines'; at: number; text: string }
  | { kind: 'mixEol'; choices: number[] }
  | { kind: 'badUtf8'; at: number; bytes: readonly number[] }
  | { kind: 'bom' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), at }),
  fc.record({ kind: fc.constant('cutQuote' as const), at }),
  fc.record({ kind: fc.constant('swapDelimiter' as const), at, to: fc.constantFrom(...DELIMITERS, ' '), wholeLine: fc.boolean() }),
  fc.record({ kind: fc.constant('insert' as const), at, text: fc.constantFrom('\r', '\n', '\r\n', '"', '""', '\0', ',', '"\n"', '\r"') }),
  fc.record({ kind: fc.constant('hugeField' as const), at, size: fc.integer({ min: 60_000, max: 400_000 }), quoted: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('headerMidFile' as const), at }),
  fc.record({ kind: fc.constant('blankLines' as const), at, text: fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\r\r\n', '\r\n\r\n') }),
  fc.record({ kind: fc.constant('mixEol' as const), choices: fc.array(fc.nat(2), { minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('badUtf8' as const), at,
    bytes: fc.constantFrom([0xff], [0xfe], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0x80]),
  }),
  fc.constant({ kind: 'bom' as const }),
);

const indexAt = (buf: Buffer, f: number): number => Math.min(buf.length, Math.floor(f * (buf.length + 1)));

/** Offsets where lines start (0 and after every LF, CRLF or lone CR). */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a || (buf[i] === 0x0d && buf[i + 1] !== 0x0a)) starts.push(i + 1);
  }
  return starts;
}

/** Positions of every occurrence of any byte of `bytes`. */
function positionsOf(buf: Buffer, bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) if (bytes.includes(buf[i])) out.push(i);
  return out;
}

const splice = (buf: Buffer, from: number, to: number, insert: Buffer | string = Buffer.alloc(0)): Buffer =>
  Buffer.concat([buf.subarray(0, from), typeof insert === 'string' ? Buffer.from(insert, 'latin1') : insert, buf.subarray(to)]);

/** Applies one mutation; `header` is the file's header line (for headerMidFile), `delimiter` its delimiter. */
function mutate(buf: Buffer, m: Mutation, header: string, delimiter: string): Buffer {
  switch (m.kind) {
    case 'flip': {
      if (buf.length === 0) return buf;
      const i = Math.min(buf.length - 1, indexAt(buf, m.at));
      const out = Buffer.from(buf);
      out[i] ^= m.xor;
      return out;
    }
    case 'delete': {
      const i = indexAt(buf, m.at);
      return splice(buf, i, Math.min(buf.length, i + m.len));
    }
    case 'dupLine': {
      const starts = lineStarts(buf);
      const k = Math.min(starts.length - 1, Math.floor(m.at * starts.length));
      const end = k + 1 < starts.length ? starts[k + 1] : buf.length;
      const line = buf.subarray(starts[k], end);
      // a last line without a line end gets one, or the copy would merge with it
      const copy = end === buf.length && !/[\r\n]$/.test(line.toString('latin1')) ? Buffer.concat([Buffer.from('\n'), line]) : line;
      return end === buf.length ? Buffer.concat([buf, copy]) : splice(buf, end, end, copy);
    }
    case 'cutQuote': {
      const quotes = positionsOf(buf, [QUOTE]);
      if (quotes.length === 0) return buf;
      const i = quotes[Math.floor(m.at * quotes.length)];
      return splice(buf, i, i + 1);
    }
    case 'swapDelimiter': {
      const d = delimiter.charCodeAt(0);
      const hits = positionsOf(buf, [d]);
      if (hits.length === 0) return buf;
      const first = hits[Math.floor(m.at * hits.length)];
      const out = Buffer.from(buf);
      if (!m.wholeLine) {
        out[first] = m.to.charCodeAt(0);
        return out;
      }
      for (let i = first; i < out.length && out[i] !== 0x0a && out[i] !== 0x0d; i++) if (out[i] === d) out[i] = m.to.charCodeAt(0);
      return out;
    }
    case 'insert': {
      const i = indexAt(buf, m.at);
      return splice(buf, i, i, m.text);
    }
    case 'hugeField': {
      const i = indexAt(buf, m.at);
      const body = 'x'.repeat(m.size);
      return splice(buf, i, i, m.quoted ? `"${body.slice(0, 10)}""${body}${delimiter}\n"` : body);
    }
    case 'truncate':
      return buf.subarray(0, indexAt(buf, m.at));
    case 'headerMidFile': {
      const starts = lineStarts(buf);
      const i = starts[Math.min(starts.length - 1, Math.floor(m.at * starts.length))];
      return splice(buf, i, i, i === buf.length && i > 0 && !/[\r\n]$/.test(buf.toString('latin1', i - 1, i)) ? `\n${header}\n` : `${header}\n`);
    }
    case 'blankLines': {
      const starts = lineStarts(buf);
      const i = starts[Math.min(starts.length - 1, Math.floor(m.at * starts.length))];
      return splice(buf, i, i, m.text);
    }
    case 'mixEol': {
      // every line end (quoted ones included) becomes LF, CRLF or CR, cycling through `choices`
      const text = buf.toString('latin1');
      let n = 0;
      return Buffer.from(text.replace(/\r\n|\n|\r/g, () => ['\n', '\r\n', '\r'][m.choices[n++ % m.choices.length]]), 'latin1');
    }
    case 'badUtf8': {
      const i = indexAt(buf, m.at);
      return splice(buf, i, i, Buffer.from(m.bytes));
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
  }
}

/** As `mutate`, but with `dataOnly` the header line is left alone (most mutations should reach the data rows). */
function mutateFile(buf: Buffer, m: Mutation, header: string, delimiter: string, dataOnly: boolean): Buffer {
  if (!dataOnly || m.kind === 'bom') return mutate(buf, m, header, delimiter);
  const starts = lineStarts(buf);
  const cut = starts.length > 1 ? starts[1] : buf.length;
  return Buffer.concat([buf.subarray(0, cut), mutate(buf.subarray(cut), m, header, delimiter)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Property 1: the scanner on random and mutated bytes
// ---------------------------------------------------------------------------------------------------------------

/** Text of one field: CSV-shaping characters, plain text and some non-ASCII. */
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(',', '|', '\t', ';', '"', '""', '\n', '\r\n', '\r', ' ') },
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '7', '-', 'é', '日本', '😀', '\ufeff') },
);
const fieldValue = fc.array(piece, { maxLength: 5 }).map((p) => p.join(''));
const records = fc.array(fc.array(fc.record({ value: fieldValue, forceQuote: fc.boolean() }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 });

function serialise(recs: { value: string; forceQuote: boolean }[][], delimiter: string, eol: string): string {
  return recs.map((rec) => rec.map(({ value, forceQuote }) => {
    const needs = /["\r\n]/.test(value) || value.includes(delimiter) || (rec.length === 1 && value === '');
    return needs || forceQuote ? `"${value.replace(/"/g, '""')}"` : value;
  }).join(delimiter)).join(eol);
}

const SHAPING = [0x2c, 0x22, 0x0a, 0x0d, 0x7c, 0x09, 0x3b, 0x00];
const randomBytes = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SHAPING) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
    { weight: 2, arbitrary: fc.constantFrom(0x61, 0x62, 0x20) },
  ),
  { maxLength: 200 },
).map((a) => Buffer.from(a));

interface ScannerCase { buf: Buffer; delimiter: string }

const scannerCase: fc.Arbitrary<ScannerCase> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ buf: randomBytes, delimiter: fc.constantFrom(...DELIMITERS) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      recs: records, delimiter: fc.constantFrom(...DELIMITERS), eol: fc.constantFrom('\n', '\r\n', '\r'), finalEol: fc.boolean(),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    }).map(({ recs, delimiter, eol, finalEol, mutations }) => {
      let buf: Buffer = Buffer.from(serialise(recs, delimiter, eol) + (finalEol ? eol : ''), 'utf8');
      const header = serialise(recs.slice(0, 1), delimiter, eol);
      for (const m of mutations) buf = mutate(buf, m, header, delimiter);
      return { buf, delimiter };
    }),
  },
);

function oracle(buf: Buffer, delimiter: string, relaxQuotes: boolean): string[][] | undefined {
  try {
    return parse(buf, {
      delimiter, quote: '"', relax_quotes: relaxQuotes, skip_empty_lines: true, relax_column_count: true,
      record_delimiter: RECORD_DELIMITERS,
    }) as string[][];
  } catch {
    return undefined;
  }
}

/**
 * Scans `buf` the way the batch reader does: chunks that end at `cuts` (not at EOF) then the rest at EOF, in
 * batches of `capacity` rows, resuming at `next`. Checks that every call returns inside its range, makes progress
 * or says why not, and that row starts, row lines and positions only move forward.
 */
function scanResumable(buf: Buffer, delimiter: string, capacity: number, cuts: number[]): { rows: string[][]; last: ScanResult; errorAt?: number } {
  const dialect = { delimiter: delimiter.charCodeAt(0), quote: QUOTE };
  const batch = new ScanBatch(capacity, 1);
  const rows: string[][] = [];
  let pos = 0;
  let prevRowStart = -1;
  let prevRowEnd = 0;
  let calls = 0;
  const ends = [...cuts.filter((c) => c < buf.length).sort((a, b) => a - b), buf.length];
  let last: ScanResult = { stop: 'done', next: 0, lines: 0 };
  for (const end of ends) {
    const atEof = end === buf.length;
    if (end < pos) continue;
    for (;;) {
      // Every call either consumes a row or stops for good: more calls than bytes means a loop that never ends.
      expect(++calls, 'scanRows calls without progress').toBeLessThanOrEqual(2 * buf.length + 2 * ends.length + 2);
      last = scanRows(buf, pos, end, atEof, dialect, batch);
      expect(last.next).toBeGreaterThanOrEqual(pos);
      expect(last.next).toBeLessThanOrEqual(end);
      expect(batch.rowField[batch.rows]).toBe(batch.fields);
      for (let r = 0; r < batch.rows; r++) {
        expect(batch.rowStart[r]).toBeGreaterThan(prevRowStart);
        expect(batch.rowStart[r]).toBeGreaterThanOrEqual(prevRowEnd);
        expect(batch.rowEnd[r]).toBeGreaterThanOrEqual(batch.rowStart[r]);
        expect(batch.rowEnd[r]).toBeLessThanOrEqual(last.next);
        if (r > 0) expect(batch.rowLine[r]).toBeGreaterThanOrEqual(batch.rowLine[r - 1]);
        for (let f = batch.rowField[r]; f < batch.rowField[r + 1]; f++) {
          expect(batch.fieldStart[f]).toBeGreaterThanOrEqual(batch.rowStart[r]);
          expect(batch.fieldEnd[f]).toBeGreaterThanOrEqual(batch.fieldStart[f]);
          expect(batch.fieldEnd[f]).toBeLessThanOrEqual(batch.rowEnd[r]);
        }
        prevRowStart = batch.rowStart[r];
        prevRowEnd = batch.rowEnd[r];
      }
      expect(last.lines).toBeGreaterThanOrEqual(batch.rows > 0 ? batch.rowLine[batch.rows - 1] : 0);
      rows.push(...decodeRows(buf, batch, QUOTE));
      if (last.stop === 'unterminated-quote' || last.stop === 'bad-quote') {
        expect(last.errorOffset).toBeGreaterThanOrEqual(last.next);
        expect(last.errorOffset).toBeLessThan(end);
        return { rows, last, errorAt: last.errorOffset };
      }
      if (last.stop === 'batch-full') {
        expect(batch.rows, 'a full batch holds rows').toBe(capacity);
        pos = last.next;
        continue;
      }
      if (atEof) expect(last.stop).toBe('done');
      else expect(last.stop).toBe('need-more');
      pos = last.next;
      break;
    }
  }
  return { rows, last };
}

describe('fuzz: scanner', () => {
  it('never throws or stalls, moves forward only, and agrees with csv-parse whenever csv-parse accepts', () => {
    const runs = runsOf(150);
    let cases = 0;
    fc.assert(
      fc.property(scannerCase, fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(), { maxLength: 3 }), ({ buf, delimiter }, capacity, cutSeeds) => {
        cases++;
        const cuts = cutSeeds.map((s) => (buf.length === 0 ? 0 : s % buf.length));
        const whole = scanResumable(buf, delimiter, 1 << 16, []);
        // Chunked and batched reading finds the same rows and the same error as one scan of the whole buffer.
        const chunked = scanResumable(buf, delimiter, capacity, cuts);
        expect(chunked.rows).toEqual(whole.rows);
        expect(chunked.last.stop).toBe(whole.last.stop);
        expect(chunked.errorAt).toBe(whole.errorAt);

        const strict = oracle(buf, delimiter, false);
        const relaxed = oracle(buf, delimiter, true);
        const ctx = JSON.stringify(buf.toString('latin1'));
        if (whole.last.stop === 'bad-quote' && buf[whole.errorAt!] === 0) {
          // csv-parse quirk (see the file comment): the rows before the error must still agree
          const theirs = strict ?? relaxed;
          if (theirs !== undefined) expect(whole.rows, ctx).toEqual(theirs.slice(0, whole.rows.length));
          return;
        }
        if (strict !== undefined) {
          expect(whole.last.stop, ctx).toBe('done');
          expect(whole.rows, ctx).toEqual(strict);
        }
        if (whole.last.stop === 'done') {
          expect(relaxed, `csv-parse (relax_quotes) rejects what the scanner read: ${ctx}`).toBeDefined();
          expect(whole.rows, ctx).toEqual(relaxed);
        } else if (relaxed !== undefined) {
          // csv-parse reads `"ab"c` as literal text; the scanner stops there (see the file comment)
          expect(whole.last.stop, ctx).toBe('bad-quote');
          expect(buf[whole.errorAt! - 1], ctx).toBe(QUOTE);
          expect(whole.rows, ctx).toEqual(relaxed.slice(0, whole.rows.length));
        }
      }),
      { numRuns: runs, seed: SEED },
    );
    report('scanner', cases);
  }, timeoutFor(runsOf(150), 50));
});

// ---------------------------------------------------------------------------------------------------------------
// Property 2: whole imports of mutated files
// ---------------------------------------------------------------------------------------------------------------

const nameText = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', "'", '\n', '\r\n', '\r', 'é', '漢', '🙂', ';', '|', '0'), maxLength: 8 });

interface Graph {
  intIds: boolean;
  neo4j: boolean;
  ids: string[];
  names: (string | null)[];
  ages: (number | null)[];
  edges: { s: number; d: number; w: number | null; note: string | null }[];
  eol: string;
  finalEol: boolean;
}

const graph: fc.Arbitrary<Graph> = fc.record({ intIds: fc.boolean(), n: fc.integer({ min: 1, max: 25 }) }).chain(({ intIds, n }) => fc.record({
  intIds: fc.constant(intIds),
  neo4j: fc.boolean(),
  ids: intIds
    ? fc.uniqueArray(fc.integer({ min: -1000, max: 100_000 }).map(String), { minLength: n, maxLength: n })
    : fc.uniqueArray(fc.string({ unit: fc.constantFrom('a', 'b', 'k', '7', '-', 'é', ' '), minLength: 1, maxLength: 5 }).filter((s) => s.trim() === s && s !== ''), { minLength: n, maxLength: n }),
  names: fc.array(fc.option(nameText, { nil: null }), { minLength: n, maxLength: n }),
  ages: fc.array(fc.option(fc.integer({ min: -5, max: 120 }), { nil: null }), { minLength: n, maxLength: n }),
  edges: fc.array(fc.record({
    s: fc.nat(n - 1), d: fc.nat(n - 1), w: fc.option(fc.integer({ min: -9, max: 9999 }), { nil: null }), note: fc.option(nameText, { nil: null }),
  }), { maxLength: 40 }),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
  finalEol: fc.boolean(),
}));

const csvField = (v: string | null): string => (v === null ? '' : v === '' || /[",;|\t\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function graphFiles(g: Graph): { nodes: { text: string; header: string }; rels: { text: string; header: string } } {
  const nodeHeader = g.neo4j ? 'id:ID,name:string,age:int' : 'id,name,age';
  const relHeader = g.neo4j ? ':START_ID,:END_ID,w:int,note:string' : 'src,dst,w,note';
  const nodeRows = g.ids.map((id, i) => [csvField(id), csvField(g.names[i]), g.ages[i] === null ? '' : String(g.ages[i])].join(','));
  const relRows = g.edges.map((e) => [csvField(g.ids[e.s]), csvField(g.ids[e.d]), e.w === null ? '' : String(e.w), csvField(e.note)].join(','));
  const join = (header: string, rows: string[]): string => [header, ...rows].join(g.eol) + (g.finalEol ? g.eol : '');
  return { nodes: { text: join(nodeHeader, nodeRows), header: nodeHeader }, rels: { text: join(relHeader, relRows), header: relHeader } };
}

interface RunShape {
  threads: 1 | 2;
  /** undefined: the default batch size; else a tiny one, so that batches and ranges cut everywhere. */
  batchSize?: number;
  tolerant: boolean;
  skipDuplicateNodes: boolean;
  ignoreExtraColumns: boolean;
  /** Which files are written gzip-compressed (read transparently). */
  gzip: 'none' | 'nodes' | 'rels' | 'both';
  /** Cut the compressed bytes of the first gzip file here (a fraction of its length): a damaged archive. */
  gzipCut?: number;
}

const runShape: fc.Arbitrary<RunShape> = fc.record({
  threads: fc.constantFrom(1 as const, 2 as const),
  batchSize: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
  tolerant: fc.boolean(),
  skipDuplicateNodes: fc.boolean(),
  ignoreExtraColumns: fc.boolean(),
  gzip: fc.constantFrom('none' as const, 'none' as const, 'nodes' as const, 'rels' as const, 'both' as const),
  gzipCut: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: at }),
});

const importCase = fc.record({
  g: graph,
  target: fc.constantFrom('nodes' as const, 'rels' as const, 'both' as const),
  mutations: fc.array(fc.record({ m: mutation, dataOnly: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }), { minLength: 1, maxLength: 2 }),
  shape: runShape,
});

/** A file as csv-parse reads it with the dialect the import planned: data records, and whether all have the header's width. */
function oracleRows(buf: Buffer, delimiter: string, quote: string): { records: string[][]; rows: number; uniform: boolean } | undefined {
  let records: string[][];
  try {
    records = parse(buf, {
      delimiter, quote, bom: true, relax_quotes: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: RECORD_DELIMITERS,
    }) as string[][];
  } catch {
    return undefined;
  }
  if (records.length === 0) return undefined;
  const width = records[0].length;
  return { records: records.slice(1), rows: records.length - 1, uniform: records.every((r) => r.length === width) };
}

/**
 * Node IDs and edges (as start ID > end ID) in the store, sorted, and whether the IDs are integers. Integer IDs are
 * compared by value: the value parsers accept padded numbers by design (` 1000` is the node 1000).
 */
async function storeContents(dir: string): Promise<{ ids: string[]; edges: string[]; integerIds: boolean }> {
  const g = await openGraph(dir);
  const ids: string[] = [];
  const byLabel = new Map<string, string[]>();
  for (const t of g.nodeTables) {
    await t.load();
    const tableIds = t.ids() ?? [];
    byLabel.set(t.label, tableIds);
    ids.push(...tableIds);
  }
  const edges: string[] = [];
  for (const r of g.relationshipTables) {
    await r.load();
    for (const { src, dst } of r.edges()) edges.push(`${byLabel.get(r.from)![src]}>${byLabel.get(r.to)![dst]}`);
  }
  return { ids: ids.sort(), edges: edges.sort(), integerIds: g.nodeTables.length > 0 && g.nodeTables.every((t) => t.meta.idType === 'int64') };
}

/** An ID as the store keeps it: integer IDs by value (spaces and tabs around them, a `+` and leading zeros do not count). */
const idText = (text: string, integer: boolean): string => (integer ? BigInt(text.replace(/^[ \t]+|[ \t]+$/g, '')).toString() : text);

/**
 * Runs an import, aborting it after `ms`; a hang is a failure of its own, reported even when the import ignores the
 * abort (it is then given 10 s more to settle).
 */
async function importWithin(config: ReturnType<typeof normalizeConfig>, ms: number): Promise<{ result?: ImportResult; error?: unknown; plan?: ImportPlan; hung: boolean }> {
  const abort = new AbortController();
  let plan: ImportPlan | undefined;
  let hung = false;
  let timers: NodeJS.Timeout[] = [];
  const stuck = new Promise<{ hung: true }>((done) => {
    timers = [
      setTimeout(() => {
        hung = true;
        abort.abort();
      }, ms),
      setTimeout(() => done({ hung: true }), ms + 10_000),
    ];
  });
  const run = runImport(config, {
    signal: abort.signal,
    onEvent: (e: ImportEvent) => {
      if (e.type === 'plan') plan = e.plan;
    },
  }).then((result) => ({ result, hung }), (error: unknown) => ({ error, hung }));
  try {
    const outcome = await Promise.race([run, stuck]);
    return { ...outcome, plan };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

const INTERNAL_CODES = ['GI_INTERNAL', 'GI_TASK_FAILED', 'GI_WORKER_CRASHED', 'GI_RANGE_MISMATCH', 'GI_INFERENCE_RESTART'];

type ImportCase = typeof importCase extends fc.Arbitrary<infer T> ? T : never;

interface WrittenCase {
  /** The files' bytes before any compression (what the oracle reads). */
  nodes: Buffer;
  rels: Buffer;
  nodePath: string;
  relPath: string;
  into: string;
  /** A gzip input was cut short: the import must fail with GI_BAD_COMPRESSION. */
  damaged: boolean;
  ctx: string;
}

/** Builds the case's two files (mutated, maybe gzipped, maybe cut) under `base`. */
async function writeCase(base: string, { g, target, mutations, shape }: ImportCase): Promise<WrittenCase> {
  const files = graphFiles(g);
  let nodes: Buffer = Buffer.from(files.nodes.text, 'utf8');
  let rels: Buffer = Buffer.from(files.rels.text, 'utf8');
  for (const { m, dataOnly } of mutations) {
    if (target !== 'rels') nodes = mutateFile(nodes, m, files.nodes.header, ',', dataOnly);
    if (target !== 'nodes') rels = mutateFile(rels, m, files.rels.header, ',', dataOnly);
  }
  const gzNodes = shape.gzip === 'nodes' || shape.gzip === 'both';
  const gzRels = shape.gzip === 'rels' || shape.gzip === 'both';
  const nodePath = `${base}-nodes.csv${gzNodes ? '.gz' : ''}`;
  const relPath = `${base}-rels.csv${gzRels ? '.gz' : ''}`;
  const packed = (buf: Buffer, cut: boolean): Buffer => {
    const gz = gzipSync(buf);
    return cut && shape.gzipCut !== undefined ? gz.subarray(0, Math.floor(shape.gzipCut * gz.length)) : gz;
  };
  await writeFile(nodePath, gzNodes ? packed(nodes, true) : nodes);
  await writeFile(relPath, gzRels ? packed(rels, !gzNodes) : rels);
  const ctx = `nodes=${JSON.stringify(nodes.toString('latin1').slice(0, 2000))} rels=${JSON.stringify(rels.toString('latin1').slice(0, 2000))} shape=${JSON.stringify(shape)}`;
  // a cut archive always loses gzip's length and CRC trailer, so it can never import
  return { nodes, rels, nodePath, relPath, into: `${base}.db`, damaged: shape.gzip !== 'none' && shape.gzipCut !== undefined, ctx };
}

function configFor(w: WrittenCase, shape: RunShape): ReturnType<typeof normalizeConfig> {
  return normalizeConfig({
    inputs: [{ kind: 'auto', files: [w.nodePath] }, { kind: 'auto', files: [w.relPath] }],
    into: w.into, threads: shape.threads, batchSize: shape.batchSize,
    maxBadRows: shape.tolerant ? '100%' : 0, skipBadRelationships: shape.tolerant,
    skipDuplicateNodes: shape.skipDuplicateNodes, ignoreExtraColumns: shape.ignoreExtraColumns,
  });
}

async function cleanUp(w: WrittenCase): Promise<void> {
  await rm(w.into, { recursive: true, force: true });
  await rm(w.nodePath, { force: true });
  await rm(w.relPath, { force: true });
}

/** The pieces of `raw` between replacement characters (a window may cut a UTF-8 sequence) all occur in `input`. */
function rawFromInput(raw: string, input: Buffer): boolean {
  const text = input.toString('utf8');
  return raw.split('\ufffd').every((piece) => piece === '' || text.includes(piece));
}

describe('fuzz: whole imports of mutated files', () => {
  let work: string;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/exec/worker-main.js')), 'run `npm run build` first (worker threads load dist/)').toBe(true);
    work = await mkdtemp(join(tmpdir(), 'gi-fuzz-'));
  });
  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('every run succeeds with a store that matches the input, or fails with an ImportError; none hangs', async () => {
    const runs = runsOf(100);
    let cases = 0;
    const outcomes: Record<string, number> = {};
    const count = (key: string): void => {
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    };
    await fc.assert(
      fc.asyncProperty(importCase, async (c) => {
        const w = await writeCase(join(work, String(++cases)), c);
        const { shape } = c;
        const { nodes, rels, nodePath, relPath, into, damaged, ctx } = w;
        const run = await importWithin(configFor(w, shape), 30_000);
        try {
          expect(run.hung, `import did not finish within 30 s: ${ctx}`).toBe(false);
          if (run.error !== undefined) {
            expect(isImportError(run.error), `not an ImportError: ${String((run.error as Error)?.stack ?? run.error)}\n${ctx}`).toBe(true);
            const e = run.error as Error & { code: string; file?: string; line?: number };
            expect(INTERNAL_CODES, `an internal error: ${e.message}\n${ctx}`).not.toContain(e.code);
            if (damaged) expect(e.code, `a cut gzip file: ${e.message}`).toBe('GI_BAD_COMPRESSION');
            // the error names one of the inputs, on a line that exists
            if (e.file !== undefined) expect([nodePath, relPath], e.message).toContain(e.file);
            if (e.line !== undefined && (e.file === nodePath || e.file === relPath)) {
              expect(e.line, e.message).toBeGreaterThanOrEqual(1);
              expect(e.line, e.message).toBeLessThanOrEqual(lineStarts(e.file === nodePath ? nodes : rels).length);
            }
            // a failed import writes nothing
            expect(existsSync(into), ctx).toBe(false);
            count(e.code);
            return;
          }
          expect(damaged, `a cut gzip file imported: ${ctx}`).toBe(false);
          const result = run.result!;
          count(result.skipped.rows > 0 ? 'ok-with-skips' : 'ok');
          const verify = await verifyStore(into);
          expect(verify.ok, `verify: ${JSON.stringify(verify)}\n${ctx}`).toBe(true);
          const graphRead = await openGraph(into);
          expect(graphRead.nodeTables.reduce((n, t) => n + t.count, 0), ctx).toBe(result.nodes);
          expect(graphRead.relationshipTables.reduce((n, t) => n + t.count, 0), ctx).toBe(result.relationships);

          const plan = run.plan!;
          expect(plan, ctx).toBeDefined();
          const read = plan.files.map((f) => ({ kind: f.kind, file: f, oracle: oracleRows(f.path === nodePath ? nodes : rels, f.delimiter, plan.quote) }));
          if (shape.tolerant || result.skipped.rows > 0) {
            // every data row read was imported or skipped, none lost or counted twice
            if (read.every((r) => r.oracle !== undefined)) {
              const total = read.reduce((n, r) => n + r.oracle!.rows, 0);
              expect(result.nodes + result.relationships + result.skipped.rows, `rows read ${total}: ${ctx}`).toBe(total);
            }
            return;
          }
          // strict and nothing skipped: every data row is in the store, with its IDs as csv-parse reads them
          const stored = await storeContents(into);
          for (const kind of ['node', 'relationship'] as const) {
            const ofKind = read.filter((r) => r.kind === kind);
            if (!ofKind.every((r) => r.oracle?.uniform === true)) continue;
            const expected = ofKind.reduce((n, r) => n + r.oracle!.rows, 0);
            expect(kind === 'node' ? result.nodes : result.relationships, `${kind} rows: ${ctx}`).toBe(expected);
            const at = (r: (typeof ofKind)[number], role: string): number => r.file.columns.findIndex((col) => col.role === role);
            if (kind === 'node') {
              const ids = ofKind.flatMap((r) => r.oracle!.records.map((rec) => idText(rec[at(r, 'id')], stored.integerIds))).sort();
              expect(stored.ids, `node IDs: ${ctx}`).toEqual(ids);
            } else {
              const edges = ofKind.flatMap((r) => r.oracle!.records.map((rec) => `${idText(rec[at(r, 'start')], stored.integerIds)}>${idText(rec[at(r, 'end')], stored.integerIds)}`)).sort();
              expect(stored.edges, `edges: ${ctx}`).toEqual(edges);
            }
          }
        } finally {
          await cleanUp(w);
        }
      }),
      { numRuns: runs, seed: SEED },
    );
    report('imports', cases);
    console.log(`fuzz: import outcomes ${JSON.stringify(outcomes)}`);
  }, timeoutFor(runsOf(100), 2_000));

  // A quote error's `raw` is a window around the bad byte; it used to be cut from the whole read buffer, so near the
  // end of a file it showed bytes that are not in the file (the spare byte of Buffer.allocUnsafe, or stale bytes of
  // an earlier chunk). Cases here end in a quote error, where the window reaches the end of the data.
  // No shrinking: each step would be a whole import.
  it('an error shows only text of the input (ImportError.raw), also for a quote error near the end of a file', async () => {
    const runs = runsOf(100);
    let cases = 0;
    const badTail = fc.record({
      inRels: fc.boolean(),
      row: fc.constantFrom('9,"a"b,1', '9,x,"unclosed', '"9"x,y,1', '9,"a""b"c,1', '9,"multi\nline'),
      eol: fc.constantFrom('', '\n', '\r\n'),
    });
    try {
      await fc.assert(
        fc.asyncProperty(importCase, badTail, async (c, tail) => {
          const plain = { ...c, mutations: [], shape: { ...c.shape, tolerant: false, gzipCut: undefined } };
          const w = await writeCase(join(work, `raw-${++cases}`), plain);
          try {
            // the bad row goes last, after a line end of the file's own kind
            const path = tail.inRels ? w.relPath : w.nodePath;
            const before = tail.inRels ? w.rels : w.nodes;
            const text = Buffer.concat([before, Buffer.from(/[\r\n]$/.test(before.toString('latin1')) ? '' : '\n'), Buffer.from(tail.row + tail.eol)]);
            if (tail.inRels) w.rels = text;
            else w.nodes = text;
            await writeFile(path, path.endsWith('.gz') ? gzipSync(text) : text);
            const run = await importWithin(configFor(w, plain.shape), 30_000);
            const e = run.error as { code?: string; file?: string; raw?: string; message?: string } | undefined;
            expect(e?.code, `expected a quote error: ${e?.message}`).toMatch(/^GI_(QUOTE_UNEXPECTED|UNTERMINATED_QUOTE)$/);
            expect(e!.file).toBe(path);
            expect(rawFromInput(e!.raw ?? '', text), `${e!.message}: raw ${JSON.stringify(e!.raw)} is not in the input ${JSON.stringify(text.toString('latin1'))}`).toBe(true);
          } finally {
            await cleanUp(w);
          }
        }),
        { numRuns: runs, seed: SEED, endOnFailure: true },
      );
    } finally {
      report('error texts', cases);
    }
}, timeoutFor(runsOf(100), 2_000));
});
