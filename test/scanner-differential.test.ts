/**
 * Differential and robustness properties of the byte scanner. csv-parse is the oracle: random records serialised
 * to CSV must come back identical through `scanRows` + `decodeField` and through csv-parse.
 *
 * Known, intended difference: our scanner skips completely blank lines, so a record consisting of one empty unquoted
 * field cannot exist in our model. The generator writes such a record as `""` (a quoted empty field), which both
 * parsers read as one empty field.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ByteDialect, ScanBatch, type ScanResult, scanRows } from '../src/input/scanner.js';
import { decodeRows } from './helpers/decode-rows.js';

const QUOTE = 0x22;
const DELIMITERS = [',', '|', '\t', ';'] as const;
const ROW_ENDS = ['\n', '\r\n', '\r'] as const;

function scanAll(buf: Buffer, dialect: ByteDialect, capacity: number): { rows: string[][]; result: ScanResult; batch: ScanBatch } {
  const batch = new ScanBatch(capacity);
  const result = scanRows(buf, 0, buf.length, true, dialect, batch);
  return { rows: decodeRows(buf, batch, dialect.quote), result, batch };
}


/** One piece of field text: characters that shape CSV, plus arbitrary Unicode graphemes. */
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(',', '|', '\t', ';', '"', '""', '\n', '\r\n', '\r', ' ', "'") },
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '7', '-', '.', 'é', 'ʤ', '日本', '😀', '\u00a0', '\ufeff') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }) },
);
const fieldValue = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
const field = fc.record({ value: fieldValue, forceQuote: fc.boolean() });
const record = fc.array(field, { minLength: 1, maxLength: 6 });

const csvCase: fc.Arbitrary<CsvCase> = fc.record({
  records: fc.array(record, { minLength: 1, maxLength: 12 }),
  delimiter: fc.constantFrom(...DELIMITERS),
  rowEnd: fc.constantFrom(...ROW_ENDS),
  finalRowEnd: fc.boolean(),
});

interface CsvCase {
  records: Array<Array<{ value: string; forceQuote: boolean }>>;
  delimiter: (typeof DELIMITERS)[number];
  rowEnd: (typeof ROW_ENDS)[number];
  finalRowEnd: boolean;
}

function serialise(c: CsvCase): { text: string; expected: string[][] } {
  const lines = c.records.map((rec) => rec.map(({ value, forceQuote }) => {
    const needs = value.includes(c.delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r')
      // a lone empty field would be a blank line, which is skipped: write it as ""
      || (rec.length === 1 && value === '');
    return needs || forceQuote ? `"${value.replace(/"/g, '""')}"` : value;
  }).join(c.delimiter));
  const text = lines.join(c.rowEnd) + (c.finalRowEnd ? c.rowEnd : '');
  return { text, expected: c.records.map((rec) => rec.map((f) => f.value)) };
}

describe('scanner vs csv-parse on random well-formed CSV', () => {
  it('gives the same records as csv-parse and as the generator', () => {
    fc.assert(
      fc.property(csvCase, (c) => {
        const { text, expected } = serialise(c);
        const buf = Buffer.from(text, 'utf8');
        const ours = scanAll(buf, { delimiter: c.delimiter.charCodeAt(0), quote: QUOTE }, 64);
        expect(ours.result.stop).toBe('done');
        expect(ours.result.next).toBe(buf.length);
        const oracle = parse(buf, {
          delimiter: c.delimiter,
          relax_quotes: true,
          skip_empty_lines: true,
          // records of different widths are legal input for the scanner; the field count check lives elsewhere
          relax_column_count: true,
        }) as string[][];
        expect(ours.rows).toEqual(oracle);
        expect(ours.rows).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('counts exactly the line ends before each row', () => {
    fc.assert(
      fc.property(csvCase, (c) => {
        const { text } = serialise(c);
        const buf = Buffer.from(text, 'utf8');
        const { batch, result } = scanAll(buf, { delimiter: c.delimiter.charCodeAt(0), quote: QUOTE }, 64);
        expect(batch.rows).toBe(c.records.length);
        const lineEnds = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;
        for (let r = 0; r < batch.rows; r++) {
          expect(batch.rowLine[r]).toBe(lineEnds(buf.toString('utf8', 0, batch.rowStart[r])));
        }
        expect(result.lines).toBe(lineEnds(text));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same rows when the input is cut anywhere and the scan resumes at next', () => {
    fc.assert(
      fc.property(csvCase, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5 }), (c, at, capacity) => {
        const { text, expected } = serialise(c);
        const buf = Buffer.from(text, 'utf8');
        const dialect = { delimiter: c.delimiter.charCodeAt(0), quote: QUOTE };
        const cut = Math.floor(at * buf.length);
        // first part: a chunk that may end mid-row, scanned in batches of `capacity` rows
        const rows: string[][] = [];
        const batch = new ScanBatch(capacity);
        let pos = 0;
        for (;;) {
          const res = scanRows(buf, pos, cut, false, dialect, batch);
          rows.push(...decodeRows(buf, batch, QUOTE));
          pos = res.next;
          if (res.stop !== 'batch-full') {
            expect(res.stop).toBe('need-more');
            break;
          }
        }
        expect(pos).toBeLessThanOrEqual(cut);
        for (;;) {
          const res = scanRows(buf, pos, buf.length, true, dialect, batch);
          rows.push(...decodeRows(buf, batch, QUOTE));
          pos = res.next;
          if (res.stop === 'done') break;
          expect(res.stop).toBe('batch-full');
        }
        expect(rows).toEqual(expected);
      }),
      { numRuns: 250 },
    );
  });
});

describe('scanner on random bytes', () => {
  const SHAPING = [0x2c, 0x22, 0x0a, 0x0d, 0x7c];
  const bytes = fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...SHAPING) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
      { weight: 2, arbitrary: fc.constantFrom(0x61, 0x62, 0x20) },
    ),
    { maxLength: 120 },
  ).map((a) => Buffer.from(a));

  /** Structural invariants of a scan's output over `buf[start, end)`. */
  function checkBatch(batch: ScanBatch, result: ScanResult, start: number, end: number): void {
    expect(result.next).toBeGreaterThanOrEqual(start);
    expect(result.next).toBeLessThanOrEqual(end);
    expect(batch.rowField[0]).toBe(0);
    expect(batch.rowField[batch.rows]).toBe(batch.fields);
    let prevEnd = start;
    for (let r = 0; r < batch.rows; r++) {
      const rs = batch.rowStart[r];
      const re = batch.rowEnd[r];
      expect(rs).toBeGreaterThanOrEqual(prevEnd); // rows never overlap
      expect(re).toBeGreaterThanOrEqual(rs);
      expect(re).toBeLessThanOrEqual(result.next); // and never pass what the scan consumed
      expect(batch.rowField[r + 1]).toBeGreaterThan(batch.rowField[r]); // a row has at least one field
      let prevField = rs;
      for (let f = batch.rowField[r]; f < batch.rowField[r + 1]; f++) {
        expect(batch.fieldStart[f]).toBeGreaterThanOrEqual(prevField);
        expect(batch.fieldEnd[f]).toBeGreaterThanOrEqual(batch.fieldStart[f]);
        expect(batch.fieldEnd[f]).toBeLessThanOrEqual(re);
        prevField = batch.fieldEnd[f];
      }
      if (r > 0) expect(batch.rowLine[r]).toBeGreaterThanOrEqual(batch.rowLine[r - 1]);
      prevEnd = re;
    }
    expect(result.lines).toBeGreaterThanOrEqual(batch.rows > 0 ? batch.rowLine[batch.rows - 1] : 0);
  }

  it('never throws, and either finishes or reports a quote error, with rows inside the input', () => {
    fc.assert(
      fc.property(bytes, fc.constantFrom(0x2c, 0x7c), (buf, delimiter) => {
        const dialect = { delimiter, quote: QUOTE };
        const batch = new ScanBatch(256, 1);
        const result = scanRows(buf, 0, buf.length, true, dialect, batch);
        expect(['done', 'unterminated-quote', 'bad-quote']).toContain(result.stop);
        checkBatch(batch, result, 0, buf.length);
        const lineEndBytes = buf.reduce((n, b, i) => n + (b === 0x0a || (b === 0x0d && buf[i + 1] !== 0x0a) ? 1 : 0), 0);
        expect(result.lines).toBeLessThanOrEqual(lineEndBytes);
        if (result.stop === 'done') {
          expect(result.next).toBe(buf.length);
          expect(result.errorOffset).toBeUndefined();
        } else {
          expect(result.errorOffset).toBeGreaterThanOrEqual(result.next);
          expect(result.errorOffset).toBeLessThan(buf.length);
          expect(result.errorLine).toBeGreaterThanOrEqual(result.lines);
          if (result.stop === 'unterminated-quote') expect(buf[result.errorOffset ?? -1]).toBe(QUOTE);
          else expect([QUOTE, dialect.delimiter, 0x0a, 0x0d]).not.toContain(buf[result.errorOffset ?? -1]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds the same rows whether scanned at once, in batches, or in two chunks', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 1, max: 4 }), fc.nat(), (buf, capacity, cutSeed) => {
        const dialect = { delimiter: 0x2c, quote: QUOTE };
        const whole = scanAll(buf, dialect, 256);
        const rows: string[][] = [];
        const batch = new ScanBatch(capacity);
        let pos = 0;
        let last: ScanResult;
        for (;;) {
          last = scanRows(buf, pos, buf.length, true, dialect, batch);
          checkBatch(batch, last, pos, buf.length);
          rows.push(...decodeRows(buf, batch, QUOTE));
          pos = last.next;
          if (last.stop !== 'batch-full') break;
        }
        expect(last.stop).toBe(whole.result.stop);
        expect(rows).toEqual(whole.rows);

        // a first chunk that is not at EOF never reports done and never consumes past its end
        const cut = buf.length === 0 ? 0 : cutSeed % (buf.length + 1);
        const firstBatch = new ScanBatch(256);
        const first = scanRows(buf, 0, cut, false, dialect, firstBatch);
        expect(first.stop).not.toBe('done');
        checkBatch(firstBatch, first, 0, cut);
        if (first.stop === 'need-more') {
          // resuming at next (a row or blank-line start) reproduces the whole scan, errors included
          const firstRows = decodeRows(buf, firstBatch, QUOTE);
          const rest = scanAll(buf.subarray(first.next), dialect, 256);
          expect(rest.result.stop).toBe(whole.result.stop);
          expect([...firstRows, ...rest.rows]).toEqual(whole.rows);
          if (whole.result.stop !== 'done') expect((rest.result.errorOffset ?? 0) + first.next).toBe(whole.result.errorOffset);
        } else {
          expect(first.stop).toBe('bad-quote');
          expect(whole.result.stop).toBe('bad-quote');
          expect(first.errorOffset).toBe(whole.result.errorOffset);
        }
      }),
      { numRuns: 300 },
    );
  });
});
