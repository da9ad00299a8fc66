/**
 * Byte-level tests of the row scanner (`scanRows`) and of the chunked file reader built on it (`readBatches`).
 * Expected offsets are written out by hand from the input bytes; expected line numbers count LF, CRLF and lone CR
 * as one line end each, inside quotes or not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, type ReadRange, readBatches } from '../src/input/batch-reader.js';
import {
  type ByteDialect, FIELD_ESCAPED, FIELD_QUOTED, ScanBatch, type ScanResult, decodeField, scanRows,
} from '../src/input/scanner.js';
import { ImportError } from '../src/errors/import-error.js';
import { decodeRows } from './helpers/decode-rows.js';

const CSV: ByteDialect = { delimiter: 0x2c, quote: 0x22 };

interface Scanned {
  result: ScanResult;
  batch: ScanBatch;
  buf: Buffer;
  /** Decoded fields per row. */
  rows: string[][];
}

function scan(
  input: string | Buffer,
  opts: { atEof?: boolean; capacity?: number; start?: number; end?: number; dialect?: ByteDialect; fieldsHint?: number } = {},
): Scanned {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const dialect = opts.dialect ?? CSV;
  const batch = new ScanBatch(opts.capacity ?? 64, opts.fieldsHint);
  const result = scanRows(buf, opts.start ?? 0, opts.end ?? buf.length, opts.atEof ?? true, dialect, batch);
  return { result, batch, buf, rows: decodeRows(buf, batch, dialect.quote) };
}


const rowLines = (b: ScanBatch) => Array.from(b.rowLine.subarray(0, b.rows));
const rowStarts = (b: ScanBatch) => Array.from(b.rowStart.subarray(0, b.rows));
const rowEnds = (b: ScanBatch) => Array.from(b.rowEnd.subarray(0, b.rows));
const flagsOf = (b: ScanBatch) => Array.from(b.fieldFlags.subarray(0, b.fields));

describe('scanRows: row ends', () => {
  it('splits LF-terminated rows and records offsets and lines', () => {
    const { result, batch, rows } = scan('a,b\n1,2\n');
    expect(rows).toEqual([['a', 'b'], ['1', '2']]);
    expect(result).toEqual({ stop: 'done', next: 8, lines: 2 });
    expect(rowStarts(batch)).toEqual([0, 4]);
    expect(rowEnds(batch)).toEqual([3, 7]);
    expect(rowLines(batch)).toEqual([0, 1]);
    expect(batch.rows).toBe(2);
    expect(batch.fields).toBe(4);
    expect(Array.from(batch.rowField.subarray(0, 3))).toEqual([0, 2, 4]);
    expect(batch.fieldCount(0)).toBe(2);
    expect(Array.from(batch.fieldStart.subarray(0, 4))).toEqual([0, 2, 4, 6]);
    expect(Array.from(batch.fieldEnd.subarray(0, 4))).toEqual([1, 3, 5, 7]);
  });

  it('treats CRLF as one line end and excludes it from the row content', () => {
    const { result, batch, rows } = scan('a,b\r\n1,2\r\n');
    expect(rows).toEqual([['a', 'b'], ['1', '2']]);
    expect(result).toEqual({ stop: 'done', next: 10, lines: 2 });
    expect(rowStarts(batch)).toEqual([0, 5]);
    expect(rowEnds(batch)).toEqual([3, 8]);
    expect(rowLines(batch)).toEqual([0, 1]);
  });

  it('treats a lone CR as a line end', () => {
    const { result, batch, rows } = scan('a,1\rb,2\rc,3');
    expect(rows).toEqual([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(rowLines(batch)).toEqual([0, 1, 2]);
    expect(rowStarts(batch)).toEqual([0, 4, 8]);
    expect(result.stop).toBe('done');
    expect(result.next).toBe(11);
    expect(result.lines).toBe(2);
  });

  it('handles LF, CRLF and CR mixed in one input', () => {
    const { batch, rows, result } = scan('a\r\nb\rc\nd\r\ne');
    expect(rows).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(rowLines(batch)).toEqual([0, 1, 2, 3, 4]);
    expect(rowStarts(batch)).toEqual([0, 3, 5, 7, 10]);
    expect(result.lines).toBe(4);
  });

  it('accepts a last row without a line end at EOF', () => {
    const { result, batch, rows } = scan('a,b\nc,d');
    expect(rows).toEqual([['a', 'b'], ['c', 'd']]);
    expect(result).toEqual({ stop: 'done', next: 7, lines: 1 });
    expect(rowEnds(batch)).toEqual([3, 7]);
  });

  it('skips blank lines (LF, CRLF, CR) but counts them for line numbers', () => {
    const input = '\n\na\n\r\n\rb\n\n';
    const { result, batch, rows } = scan(input);
    expect(rows).toEqual([['a'], ['b']]);
    // lines: 0 "", 1 "", 2 "a", 3 "" (CRLF), 4 "" (CR), 5 "b", 6 ""
    expect(rowLines(batch)).toEqual([2, 5]);
    expect(rowStarts(batch)).toEqual([2, 7]);
    expect(result).toEqual({ stop: 'done', next: input.length, lines: 7 });
  });

  it('gives only blank lines no rows', () => {
    const { result, batch } = scan('\n\r\n\r\r\n');
    expect(batch.rows).toBe(0);
    expect(result).toEqual({ stop: 'done', next: 6, lines: 4 });
  });

  it('scans an empty range as done with nothing', () => {
    const { result, batch } = scan('');
    expect(batch.rows).toBe(0);
    expect(batch.fields).toBe(0);
    expect(result).toEqual({ stop: 'done', next: 0, lines: 0 });
  });
});

describe('scanRows: fields', () => {
  it('keeps a delimiter inside quotes as data and marks the field quoted', () => {
    const { batch, rows } = scan('"a,b",c\n');
    expect(rows).toEqual([['a,b', 'c']]);
    expect(flagsOf(batch)).toEqual([FIELD_QUOTED, 0]);
    // content bounds exclude the quotes
    expect(batch.fieldStart[0]).toBe(1);
    expect(batch.fieldEnd[0]).toBe(4);
    expect(batch.fieldStart[1]).toBe(6);
  });

  it('flags doubled quotes as FIELD_ESCAPED and decodeField collapses them', () => {
    const { batch, rows, buf } = scan('"say ""hi""",x,"plain"\n');
    expect(rows).toEqual([['say "hi"', 'x', 'plain']]);
    expect(flagsOf(batch)).toEqual([FIELD_QUOTED | FIELD_ESCAPED, 0, FIELD_QUOTED]);
    // raw bytes still hold the doubled quotes: collapsing is decodeField's job
    expect(buf.toString('utf8', batch.fieldStart[0], batch.fieldEnd[0])).toBe('say ""hi""');
  });

  it('reads "" as an empty quoted field and """" as one quote', () => {
    const { batch, rows } = scan('"",""""\n');
    expect(rows).toEqual([['', '"']]);
    expect(flagsOf(batch)).toEqual([FIELD_QUOTED, FIELD_QUOTED | FIELD_ESCAPED]);
    expect(batch.fieldStart[0]).toBe(batch.fieldEnd[0]);
  });

  it('treats a quote inside an unquoted field as literal data', () => {
    const { batch, rows } = scan('ab"c,5" tall\n');
    expect(rows).toEqual([['ab"c', '5" tall']]);
    expect(flagsOf(batch)).toEqual([0, 0]);
  });

  it('records empty fields for leading, doubled and trailing delimiters', () => {
    const { batch, rows } = scan(',a,,\n,\n');
    expect(rows).toEqual([['', 'a', '', ''], ['', '']]);
    expect(batch.fieldCount(0)).toBe(4);
    expect(batch.fieldCount(1)).toBe(2);
  });

  it('ends a trailing empty field at EOF', () => {
    const { rows, result } = scan('a,');
    expect(rows).toEqual([['a', '']]);
    expect(result.stop).toBe('done');
  });

  it('keeps multi-byte UTF-8 intact', () => {
    const { rows } = scan('ʤ,"日本,語",😀\n');
    expect(rows).toEqual([['ʤ', '日本,語', '😀']]);
  });

  it('grows its field arrays for wide rows', () => {
    const wide = Array.from({ length: 200 }, (_, i) => `f${i}`);
    const { batch, rows } = scan(`${wide.join(',')}\nx\n`, { capacity: 1, fieldsHint: 1 });
    expect(batch.rows).toBe(1);
    expect(rows[0]).toEqual(wide);
    expect(batch.fieldStart.length).toBeGreaterThanOrEqual(200);
  });

  it('honours another delimiter and quote byte', () => {
    const dialect = { delimiter: 0x7c, quote: 0x27 }; // | and '
    const { batch, rows } = scan("'a|b'|'it''s'|\"x\"\n", { dialect });
    expect(rows).toEqual([['a|b', "it's", '"x"']]);
    expect(flagsOf(batch)).toEqual([FIELD_QUOTED, FIELD_QUOTED | FIELD_ESCAPED, 0]);
  });

  it('splits on tab and does not split on comma with a tab delimiter', () => {
    const { rows } = scan('a,b\tc\n"d\te"\tf\n', { dialect: { delimiter: 0x09, quote: 0x22 } });
    expect(rows).toEqual([['a,b', 'c'], ['d\te', 'f']]);
  });

  it('uses buffer offsets when scanning from a start other than 0', () => {
    const input = 'skip,me\nx,"y"\nz,w\n';
    const { batch, rows, result } = scan(input, { start: 8 });
    expect(rows).toEqual([['x', 'y'], ['z', 'w']]);
    expect(rowStarts(batch)).toEqual([8, 14]);
    expect(batch.fieldStart[1]).toBe(11);
    expect(rowLines(batch)).toEqual([0, 1]); // relative to where the scan began
    expect(result.next).toBe(input.length);
    expect(result.lines).toBe(2);
  });

  it('stops at the range end even when the buffer continues', () => {
    const input = 'a,b\nc,d\ne,f\n';
    const { rows, result } = scan(input, { end: 8, atEof: true });
    expect(rows).toEqual([['a', 'b'], ['c', 'd']]);
    expect(result).toEqual({ stop: 'done', next: 8, lines: 2 });
  });
});

describe('scanRows: quoted line ends', () => {
  it('counts LF inside quotes in line numbers', () => {
    const { batch, rows, result } = scan('1,"a\nb\nc",2\n3,4\n');
    expect(rows).toEqual([['1', 'a\nb\nc', '2'], ['3', '4']]);
    expect(rowLines(batch)).toEqual([0, 3]);
    expect(rowStarts(batch)).toEqual([0, 12]);
    expect(rowEnds(batch)).toEqual([11, 15]);
    expect(result.lines).toBe(4);
  });

  it('counts a quoted CRLF once and keeps it in the value', () => {
    const { batch, rows, result } = scan('"a\r\nb",x\r\n"c"\r\n');
    expect(rows).toEqual([['a\r\nb', 'x'], ['c']]);
    expect(rowLines(batch)).toEqual([0, 2]);
    expect(result).toEqual({ stop: 'done', next: 15, lines: 3 });
  });

  it('counts a quoted lone CR as a line end', () => {
    const { batch, rows, result } = scan('"a\rb"\nc\n');
    expect(rows).toEqual([['a\rb'], ['c']]);
    expect(rowLines(batch)).toEqual([0, 2]);
    expect(result.lines).toBe(3);
  });

  it('counts quoted blank lines and CR CR LF sequences', () => {
    // inside quotes: LF LF (2 lines), CR CR LF (CR alone = 1, CRLF = 1)
    const { batch, rows, result } = scan('"\n\n","\r\r\n"\nend\n');
    expect(rows).toEqual([['\n\n', '\r\r\n'], ['end']]);
    expect(rowLines(batch)).toEqual([0, 5]);
    expect(result.lines).toBe(6);
  });
});

describe('scanRows: need-more', () => {
  it('leaves an unterminated last row for the next call and points next at its start', () => {
    const { batch, rows, result } = scan('a,b\nc,d', { atEof: false });
    expect(rows).toEqual([['a', 'b']]);
    expect(result).toEqual({ stop: 'need-more', next: 4, lines: 1 });
    expect(batch.fields).toBe(2); // the half row's fields are not kept
  });

  it('reports need-more with next = end when every row ended', () => {
    const { rows, result } = scan('a\nb\n', { atEof: false });
    expect(rows).toEqual([['a'], ['b']]);
    expect(result).toEqual({ stop: 'need-more', next: 4, lines: 2 });
  });

  it('rewinds to the row start when a quoted field is still open, even across lines', () => {
    const { rows, result } = scan('a\n"x\ny\nz', { atEof: false });
    expect(rows).toEqual([['a']]);
    expect(result).toEqual({ stop: 'need-more', next: 2, lines: 1 });
  });

  it('waits when the range ends right after a closing quote (it could be a doubled quote)', () => {
    const { batch, result } = scan('"abc"', { atEof: false });
    expect(batch.rows).toBe(0);
    expect(result).toEqual({ stop: 'need-more', next: 0, lines: 0 });
  });

  it('waits when the range ends on a CR that could be the first half of CRLF', () => {
    const inRow = scan('a,b\r', { atEof: false });
    expect(inRow.batch.rows).toBe(0);
    expect(inRow.result).toEqual({ stop: 'need-more', next: 0, lines: 0 });
    const blank = scan('a\n\r', { atEof: false });
    expect(blank.rows).toEqual([['a']]);
    expect(blank.result).toEqual({ stop: 'need-more', next: 2, lines: 1 });
  });

  it('waits after a trailing delimiter', () => {
    const { batch, result } = scan('x\na,', { atEof: false });
    expect(batch.rows).toBe(1);
    expect(result).toEqual({ stop: 'need-more', next: 2, lines: 1 });
  });

  it('resumes from next to the same rows a whole-buffer scan gives, for every split point', () => {
    const input = 'id,"t\r\next"\r\n\r\n2,"a""b"\r3,\n"\n",x\r\n"last"';
    const whole = scan(input);
    const wholeRows = whole.rows;
    const buf = Buffer.from(input);
    const wholeAbsLines = rowLines(whole.batch);
    for (let cut = 0; cut <= buf.length; cut++) {
      const first = scan(buf, { end: cut, atEof: false });
      expect(first.result.stop).toBe('need-more');
      const second = scan(buf, { start: first.result.next, atEof: true });
      expect(second.result.stop).toBe('done');
      expect([...first.rows, ...second.rows]).toEqual(wholeRows);
      const lines = [...rowLines(first.batch), ...rowLines(second.batch).map((l) => l + first.result.lines)];
      expect(lines).toEqual(wholeAbsLines);
    }
    expect(wholeRows).toEqual([['id', 't\r\next'], ['2', 'a"b'], ['3', ''], ['\n', 'x'], ['last']]);
    expect(wholeAbsLines).toEqual([0, 3, 4, 5, 7]);
  });
});

describe('scanRows: batch-full', () => {
  it('stops after capacity rows with next at the following row', () => {
    const input = 'r0\nr1\n\nr2\nr3\nr4\n';
    const { batch, rows, result } = scan(input, { capacity: 2 });
    expect(rows).toEqual([['r0'], ['r1']]);
    expect(result).toEqual({ stop: 'batch-full', next: 6, lines: 2 });
    expect(batch.rows).toBe(2);
  });

  it('yields every row once and exact lines when called repeatedly', () => {
    const input = 'r0\n"r\n1"\n\nr2\r\nr3\r"r\r\n4"\nr5';
    const buf = Buffer.from(input);
    const batch = new ScanBatch(2);
    const seen: Array<[string, number]> = [];
    let pos = 0;
    let line = 0;
    let calls = 0;
    for (;;) {
      const result = scanRows(buf, pos, buf.length, true, CSV, batch);
      calls++;
      expect(batch.rows).toBeLessThanOrEqual(2);
      const rows = decodeRows(buf, batch, CSV.quote);
      rows.forEach((row, r) => seen.push([row[0], line + batch.rowLine[r]]));
      line += result.lines;
      pos = result.next;
      if (result.stop === 'done') break;
      expect(result.stop).toBe('batch-full');
    }
    expect(seen).toEqual([['r0', 0], ['r\n1', 1], ['r2', 4], ['r3', 5], ['r\r\n4', 6], ['r5', 8]]);
    expect(calls).toBe(3);
    expect(line).toBe(8);
  });

  it('works with capacity 1', () => {
    const { rows, result } = scan('a\nb\n', { capacity: 1 });
    expect(rows).toEqual([['a']]);
    expect(result).toEqual({ stop: 'batch-full', next: 2, lines: 1 });
  });
});

describe('scanRows: quote errors', () => {
  it('reports an unterminated quote at EOF with the offset and line of the opening quote', () => {
    const input = 'a,b\n1,"xx\nyy\n';
    const { batch, rows, result } = scan(input);
    expect(result.stop).toBe('unterminated-quote');
    expect(result.errorOffset).toBe(6);
    expect(result.errorLine).toBe(1);
    expect(result.next).toBe(4); // start of the bad row
    expect(result.lines).toBe(1);
    expect(rows).toEqual([['a', 'b']]); // rows before the error are kept
    expect(batch.fields).toBe(2);
  });

  it('reports the opening line when the open quote follows quoted newlines', () => {
    const { result } = scan('"a\nb",c\n\nx,"never closed');
    expect(result.stop).toBe('unterminated-quote');
    expect(result.errorOffset).toBe(11);
    expect(result.errorLine).toBe(3);
  });

  it('reports a character after a closing quote as bad-quote', () => {
    const input = 'a\n"x"y,z\n';
    const { rows, result } = scan(input);
    expect(result.stop).toBe('bad-quote');
    expect(result.errorOffset).toBe(5); // the "y"
    expect(result.errorLine).toBe(1);
    expect(result.next).toBe(2);
    expect(rows).toEqual([['a']]);
  });

  it('reports bad-quote on the line of the offending byte after quoted newlines', () => {
    const { result } = scan('"a\nb\nc" ,d\n');
    expect(result.stop).toBe('bad-quote');
    expect(result.errorOffset).toBe(7); // the space after the closing quote
    expect(result.errorLine).toBe(2);
  });

  it('reports a bad quote even when atEof is false', () => {
    const { result } = scan('"a"b,c\nmore', { atEof: false });
    expect(result.stop).toBe('bad-quote');
    expect(result.errorOffset).toBe(3);
  });
});

// ------------------------------------------------------------------------------------------------------------------
// readBatches

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gi-scanner-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function writeTemp(content: string | Buffer): string {
  const path = join(dir, `f${fileCounter++}.csv`);
  writeFileSync(path, content);
  return path;
}

interface ReadRow {
  fields: string[];
  /** Absolute line: batch.firstLine + scan.rowLine[r]. */
  line: number;
  /** Absolute file offset of the row start. */
  offset: number;
}

async function readAll(range: ReadRange) {
  const rows: ReadRow[] = [];
  const batchSizes: number[] = [];
  const bytesDone: number[] = [];
  for await (const batch of readBatches(range)) {
    const { buf, scan: sb } = batch;
    batchSizes.push(sb.rows);
    bytesDone.push(batch.bytesDone);
    for (let r = 0; r < sb.rows; r++) {
      const fields: string[] = [];
      for (let f = sb.rowField[r]; f < sb.rowField[r + 1]; f++) fields.push(decodeField(buf, sb, f, range.dialect.quote));
      rows.push({ fields, line: batch.firstLine + sb.rowLine[r], offset: batch.bufOffset + sb.rowStart[r] });
    }
  }
  return { rows, batchSizes, bytesDone };
}

/** Counts line ends (LF, CRLF, lone CR) in `text`. */
function countLineEnds(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) n++;
    else if (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a) n++;
  }
  return n;
}

function quoteField(v: string): string {
  return /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Serialises records with the given row ends and returns the text plus each record's 1-based line and byte offset. */
function buildCsv(records: string[][], rowEnd: (i: number) => string) {
  let text = '';
  let bytes = 0;
  const lines: number[] = [];
  const offsets: number[] = [];
  let line = 1;
  records.forEach((rec, i) => {
    lines.push(line);
    offsets.push(bytes);
    const row = rec.map(quoteField).join(',') + rowEnd(i);
    text += row;
    bytes += Buffer.byteLength(row);
    line += countLineEnds(row);
  });
  return { text, lines, offsets };
}

describe('readBatches', () => {
  const records: string[][] = Array.from({ length: 40 }, (_, i) => [
    String(i),
    i % 3 === 0 ? `multi\nline ${i}` : i % 5 === 0 ? `crlf\r\ninside "${i}"` : `v${i}`,
    i % 4 === 0 ? '' : 'ü,x',
  ]);
  const endings = ['\n', '\r\n', '\r', '\n\n', '\r\n\r\n'];
  // the last row ends with a single LF so that the final batch consumes the whole file
  const { text, lines, offsets } = buildCsv(records, (i) => (i === records.length - 1 ? '\n' : endings[i % endings.length]));

  for (const batchRows of [1, 7, 1000]) {
    it(`reads every row with exact absolute lines and offsets (batchRows ${batchRows})`, async () => {
      const path = writeTemp(text);
      const size = Buffer.byteLength(text);
      const { rows, batchSizes, bytesDone } = await readAll({
        path, start: 0, end: size, firstLine: 1, dialect: CSV, batchRows,
      });
      expect(rows.map((r) => r.fields)).toEqual(records);
      expect(rows.map((r) => r.line)).toEqual(lines);
      expect(rows.map((r) => r.offset)).toEqual(offsets);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(batchRows);
      expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(records.length);
      expect(batchSizes.length).toBe(Math.ceil(records.length / batchRows));
      for (let i = 1; i < bytesDone.length; i++) expect(bytesDone[i]).toBeGreaterThan(bytesDone[i - 1]);
      expect(bytesDone[bytesDone.length - 1]).toBe(size);
    });
  }

  it('honours start, end and firstLine of a range inside the file', async () => {
    const header = 'id,"multi\nline header",c\n';
    const body = buildCsv(records.slice(0, 10), () => '\n');
    const tail = 'not,read\n';
    const path = writeTemp(header + body.text + tail);
    const start = Buffer.byteLength(header);
    const end = start + Buffer.byteLength(body.text);
    const { rows, bytesDone } = await readAll({ path, start, end, firstLine: 3, dialect: CSV, batchRows: 3 });
    expect(rows.map((r) => r.fields)).toEqual(records.slice(0, 10));
    expect(rows.map((r) => r.line)).toEqual(body.lines.map((l) => l + 2));
    expect(rows.map((r) => r.offset)).toEqual(body.offsets.map((o) => o + start));
    expect(bytesDone[bytesDone.length - 1]).toBe(end - start);
  });

  it('yields nothing for an empty range or a file of blank lines', async () => {
    const path = writeTemp('\n\r\n\n');
    expect((await readAll({ path, start: 0, end: 0, firstLine: 1, dialect: CSV, batchRows: 5 })).rows).toEqual([]);
    expect((await readAll({ path, start: 0, end: 4, firstLine: 1, dialect: CSV, batchRows: 5 })).rows).toEqual([]);
  });

  it('reads a last row without a line end', async () => {
    const path = writeTemp('a,b\n"c\nd",e');
    const { rows } = await readAll({ path, start: 0, end: 11, firstLine: 1, dialect: CSV, batchRows: 1 });
    expect(rows).toEqual([
      { fields: ['a', 'b'], line: 1, offset: 0 },
      { fields: ['c\nd', 'e'], line: 2, offset: 4 },
    ]);
  });

  it.each([1, 10])('throws GI_UNTERMINATED_QUOTE with the absolute line and byte offset of the opening quote (batchRows %i)', async (batchRows) => {
    const content = 'h1,h2\n1,2\n3,"a\nb"\n4,"never\nclosed\n';
    const path = writeTemp(content);
    const start = 6;
    const seen: string[] = [];
    const err = await (async () => {
      try {
        for await (const b of readBatches({ path, start, end: content.length, firstLine: 2, dialect: CSV, batchRows })) {
          for (let r = 0; r < b.scan.rows; r++) seen.push(decodeField(b.buf, b.scan, b.scan.rowField[r], 0x22));
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ImportError);
    const ie = err as ImportError;
    expect(ie.code).toBe('GI_UNTERMINATED_QUOTE');
    expect(ie.line).toBe(5);
    expect(ie.byteOffset).toBe(content.indexOf('"never'));
    expect(ie.file).toBe(path);
    // with one row per batch, the rows before the bad one were delivered first (with 10, the error comes first)
    if (batchRows === 1) expect(seen).toEqual(['1', '3']);
  });

  it('throws GI_QUOTE_UNEXPECTED with the absolute line and byte offset of the offending byte', async () => {
    const content = 'h\n"a\nb"\nok\n"x"!\n';
    const path = writeTemp(content);
    for (const batchRows of [1, 10]) {
      await expect((async () => {
        for await (const b of readBatches({ path, start: 2, end: content.length, firstLine: 2, dialect: CSV, batchRows })) void b;
      })()).rejects.toMatchObject({ code: 'GI_QUOTE_UNEXPECTED', line: 5, byteOffset: content.indexOf('!') });
    }
  });

  it('sizes the batch it allocates to the input, not to batchRows, and still reads the densest input in one batch', async () => {
    // The densest rows take two bytes ("a\n"), and a last row without a line end one: each file's rows fit one batch.
    for (const content of ['a\n'.repeat(50), `${'a\n'.repeat(49)}a`, 'a', 'a\nb', '""\n""\n']) {
      const path = writeTemp(content);
      const size = Buffer.byteLength(content);
      const capacities: number[] = [];
      const fieldArrays: number[] = [];
      const batchSizes: number[] = [];
      for await (const b of readBatches({ path, start: 0, end: size, firstLine: 1, dialect: CSV, batchRows: 100_000, fieldsPerRow: 1 })) {
        capacities.push(b.scan.capacityRows);
        fieldArrays.push(b.scan.fieldStart.length);
        batchSizes.push(b.scan.rows);
      }
      const rows = content.split('\n').filter((l) => l !== '').length;
      expect(batchSizes, JSON.stringify(content)).toEqual([rows]);
      expect(capacities[0]).toBeLessThanOrEqual(Math.floor(size / 2) + 1);
      expect(fieldArrays[0]).toBeLessThanOrEqual(Math.max(16, Math.floor(size / 2) + 1));
    }
  });

  it('throws GI_FILE_NOT_FOUND (an ImportError, with the path) for a missing file', async () => {
    await expect((async () => {
      for await (const b of readBatches({ path: join(dir, 'missing.csv'), start: 0, end: 10, firstLine: 1, dialect: CSV, batchRows: 1 })) void b;
    })()).rejects.toMatchObject({ code: 'GI_FILE_NOT_FOUND', file: join(dir, 'missing.csv') });
  });
});

describe('readBatches across the 8 MiB chunk boundary', () => {
  // The first read fills CHUNK_BYTES + 1 bytes from range.start, so the last byte of the first chunk sits at file
  // offset start + CHUNK_BYTES. The file starts with PREFIX blank lines: starting the range at k (a blank-line
  // start, firstLine k + 1) moves the chunk boundary by k bytes, so one file serves several alignments.
  const PREFIX = 64;
  let path: string;
  let size: number;
  let expected: {
    ids: number[]; lines: number[]; offsets: number[]; special: Map<number, { fields: string[]; line: number }>;
  };
  /** Named file offsets of bytes that must be the last byte of the first chunk in one run each. */
  const targets = new Map<string, number>();
  let lateLine = 0;

  beforeAll(() => {
    const parts: string[] = ['\n'.repeat(PREFIX)];
    let bytes = PREFIX;
    let line = 1 + PREFIX;
    const ids: number[] = [];
    const lines: number[] = [];
    const offsets: number[] = [];
    const special = new Map<number, { fields: string[]; line: number }>();
    const push = (id: number, row: string, fields?: string[]) => {
      ids.push(id);
      lines.push(line);
      offsets.push(bytes);
      if (fields) special.set(id, { fields, line });
      parts.push(row);
      bytes += Buffer.byteLength(row);
      line += countLineEnds(row);
    };
    let id = 0;
    const plainRow = (i: number) => `${i},name ${i},${(i * 7919) % 100003}\n`;
    // filler up to just before the boundary
    while (bytes < CHUNK_BYTES - 400) { push(id, plainRow(id)); id++; }
    // special rows: quoted CRLF, doubled quotes, blank CR lines and CRLF row ends, all near the boundary
    /** Records the file offset of `row`'s `nth` `needle` (+ `delta`) as target `name`, once it is past CHUNK_BYTES. */
    const mark = (name: string, row: string, needle: string, nth = 0, delta = 0) => {
      let at = -1;
      for (let k = 0; k <= nth; k++) at = row.indexOf(needle, at + 1);
      const t = bytes + Buffer.byteLength(row.slice(0, at)) + delta;
      if (!targets.has(name) && t >= CHUNK_BYTES) targets.set(name, t);
    };
    while (bytes < CHUNK_BYTES + PREFIX + 400) {
      const rowA = `${id},"quoted\r\nline ""${id}""\nmore",x\r\n`;
      mark('quoted-CR', rowA, '\r');
      mark('doubled-quote', rowA, '""');
      mark('closing-quote', rowA, '",');
      mark('row-CR', rowA, 'x\r', 0, 1);
      push(id, rowA, [String(id), `quoted\r\nline "${id}"\nmore`, 'x']);
      id++;
      const rowB = `${id},"é\n\n",\r\r`;
      mark('blank-CR', rowB, '\r', 1);
      push(id, rowB, [String(id), 'é\n\n', '']);
      id++;
    }
    // filler to ~9 MB
    while (bytes < 9_000_000) { push(id, plainRow(id)); id++; }
    // a late row with a quoted newline, then one more row without a final newline
    push(id, `${id},"late\nrow",z\n`, [String(id), 'late\nrow', 'z']);
    id++;
    push(id, `${id},last,0`, [String(id), 'last', '0']);
    const content = parts.join('');
    size = Buffer.byteLength(content);
    expect(size).toBe(bytes);
    // every target must be reachable by a range start in the blank-line prefix
    for (const [name, t] of targets) {
      const k = t - CHUNK_BYTES;
      expect(k, name).toBeGreaterThanOrEqual(0);
      expect(k, name).toBeLessThan(PREFIX);
    }
    path = writeTemp(content);
    expected = { ids, lines, offsets, special };
    // the late row's line, counted straight from the text (not from the per-row bookkeeping above)
    const lateAt = content.lastIndexOf('"late\n') - String(ids[ids.length - 2]).length - 1;
    lateLine = 1 + (content.slice(0, lateAt).match(/\r\n|\r|\n/g)?.length ?? 0);
  });

  async function check(k: number, batchRows: number) {
    const bufOffsets = new Set<number>();
    const seenIds: number[] = [];
    const seenLines: number[] = [];
    const special: Array<[number, { fields: string[]; line: number }]> = [];
    let last = 0;
    for await (const batch of readBatches({ path, start: k, end: size, firstLine: k + 1, dialect: CSV, batchRows })) {
      const { buf, scan: sb } = batch;
      bufOffsets.add(batch.bufOffset);
      for (let r = 0; r < sb.rows; r++) {
        const base = sb.rowField[r];
        const id = Number(buf.toString('latin1', sb.fieldStart[base], sb.fieldEnd[base]));
        const line = batch.firstLine + sb.rowLine[r];
        seenIds.push(id);
        seenLines.push(line);
        if (expected.special.has(id)) {
          const fields: string[] = [];
          for (let f = base; f < sb.rowField[r + 1]; f++) fields.push(decodeField(buf, sb, f, 0x22));
          special.push([id, { fields, line }]);
        }
      }
      last = batch.bytesDone;
    }
    expect(seenIds.length).toBe(expected.ids.length);
    // element-wise first, so a failure names the first bad row instead of diffing 200k-entry arrays
    const firstBad = seenIds.findIndex((id, i) => id !== expected.ids[i] || seenLines[i] !== expected.lines[i]);
    expect(firstBad === -1 ? 'all rows match' : {
      index: firstBad, id: seenIds[firstBad], line: seenLines[firstBad], expectedId: expected.ids[firstBad], expectedLine: expected.lines[firstBad],
    }).toBe('all rows match');
    expect(new Map(special)).toEqual(expected.special);
    expect(last).toBe(size - k);
    return { seenIds, seenLines, bufOffsets: [...bufOffsets] };
  }

  it('builds a file larger than one chunk', () => {
    expect(size).toBeGreaterThan(CHUNK_BYTES);
    expect(targets.size).toBe(5);
  });

  it('gets the total row count and a late row\'s absolute line exactly (batchRows 4096)', async () => {
    const { seenIds, seenLines } = await check(0, 4096);
    expect(seenIds).toEqual(Array.from({ length: seenIds.length }, (_, i) => i));
    const lateId = expected.ids[expected.ids.length - 2];
    expect(expected.special.get(lateId)?.fields).toEqual([String(lateId), 'late\nrow', 'z']);
    // the late row's line counts the PREFIX blank lines, the multi-line quoted fields and the blank CR lines
    expect(lateLine).toBeGreaterThan(lateId + PREFIX);
    expect(seenLines[seenIds.indexOf(lateId)]).toBe(lateLine);
    expect(seenLines[seenLines.length - 1]).toBe(lateLine + 2);
  });

  for (const name of ['quoted-CR', 'doubled-quote', 'closing-quote', 'row-CR', 'blank-CR']) {
    it(`splits chunks right after the ${name} byte without changing rows or lines`, async () => {
      const t = targets.get(name) ?? -1;
      const k = t - CHUNK_BYTES;
      const { bufOffsets } = await check(k, name === 'row-CR' ? 7 : 1000);
      // the second chunk must start where the first one stopped: at the row holding the target byte (or, for the
      // blank-line CR, at that CR itself), which proves the boundary really fell on the target
      let rowStart = 0;
      for (const o of expected.offsets) if (o <= t) rowStart = o;
      expect(bufOffsets).toEqual([k, name === 'blank-CR' ? t : rowStart]);
    });
  }

  it('grows its buffer for a single row larger than a chunk', async () => {
    const bigValue = 'x'.repeat(1000) + '\n' + 'y'.repeat(CHUNK_BYTES + 1000) + '\r\n""' + 'z'.repeat(10);
    const content = `id,text\n1,"${bigValue.replace(/"/g, '""')}"\n2,after\r\n3,end`;
    const p = writeTemp(content);
    const rows: ReadRow[] = [];
    for await (const batch of readBatches({ path: p, start: 8, end: content.length, firstLine: 2, dialect: CSV, batchRows: 10 })) {
      const { buf, scan: sb } = batch;
      for (let r = 0; r < sb.rows; r++) {
        const fields: string[] = [];
        for (let f = sb.rowField[r]; f < sb.rowField[r + 1]; f++) fields.push(decodeField(buf, sb, f, 0x22));
        rows.push({ fields, line: batch.firstLine + sb.rowLine[r], offset: batch.bufOffset + sb.rowStart[r] });
      }
    }
    expect(rows.length).toBe(3);
    expect(rows[0].fields[1].length).toBe(bigValue.length);
    expect(rows[0].fields[1] === bigValue).toBe(true);
    expect(rows.slice(1)).toEqual([
      { fields: ['2', 'after'], line: 5, offset: content.indexOf('2,after') },
      { fields: ['3', 'end'], line: 6, offset: content.indexOf('3,end') },
    ]);
  });
});
