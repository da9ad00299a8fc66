/**
 * Moving rows between column builders (src/store/column-builders.ts): encode / appendEncoded (worker messages and
 * spill files) and appendGathered (the CSR reorder). Columns are generated as field texts with the value each must
 * read back as, filled the way the loaders fill them (appendBytes on UTF-8 field bytes, appendNull), and read back
 * through the Arrow Data the store writers make of the builders (arrow-columns.ts), so every comparison is against known values.
 */
import { type Data, Type, makeVector } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_QUOTED } from '../src/input/scanner.js';
import type { PropertyType } from '../src/schema/types.js';
import { columnData } from '../src/store/arrow-columns.js';
import { type ColumnBuilder, createColumnBuilder } from '../src/store/column-builders.js';

const QUOTE = 0x22;
const DELIM = 0x3b; // ';'
const MS_PER_DAY = 86_400_000;
const HEADER_BYTES = 12;
const utf8 = new TextEncoder();

/** A non-null field: its text and the value it must read back as. */
interface Cell { text: string; value: unknown }
type Column = (Cell | null)[];

interface Spec {
  name: string;
  type: PropertyType;
  cell: fc.Arbitrary<Cell>;
  /** Bytes per row in the encoding, for fixed-width types. */
  width?: number;
}

const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n), -1n, 0n, 4294967296n),
);
const double = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 8),
);
/** No ';' inside string array elements: it is the array delimiter. */
const element = fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => !s.includes(';'));

/** A list field: elements joined by ';'; "" is the empty list, and an empty element is null except for strings. */
function listCell(elements: fc.Arbitrary<string>, read: (piece: string) => unknown): fc.Arbitrary<Cell> {
  return fc.array(elements, { maxLength: 5 }).map((parts) => {
    const text = parts.join(';');
    return { text, value: text === '' ? [] : text.split(';').map(read) };
  });
}

/** ISO 8601 text of a UTC instant in microseconds (years 1..9999). */
function isoMicros(micros: bigint): string {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const sub = Number(micros - ms * 1000n);
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

const SPECS: Spec[] = [
  { name: 'int', type: { base: 'int', array: false }, width: 4,
    cell: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => ({ text: String(v), value: v })) },
  { name: 'long', type: { base: 'long', array: false }, width: 8, cell: int64.map((v) => ({ text: String(v), value: v })) },
  { name: 'datetime', type: { base: 'datetime', array: false }, width: 8,
    cell: fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n }).map((v) => ({ text: isoMicros(v), value: v })) },
  { name: 'float', type: { base: 'float', array: false }, width: 4,
    cell: fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constant('NaN'))
      .map((text) => ({ text, value: Math.fround(Number(text)) })) },
  { name: 'double', type: { base: 'double', array: false }, width: 8,
    cell: fc.oneof(double.map(String), fc.constant('NaN')).map((text) => ({ text, value: Number(text) })) },
  { name: 'date', type: { base: 'date', array: false }, width: 4,
    cell: fc.integer({ min: -719162, max: 2932896 }).map((d) => ({ text: new Date(d * MS_PER_DAY).toISOString().slice(0, 10), value: d })) },
  { name: 'boolean', type: { base: 'boolean', array: false }, width: 1,
    cell: fc.boolean().map((v) => ({ text: String(v), value: v })) },
  { name: 'string', type: { base: 'string', array: false },
    // Short strings and ones long enough (> 32 bytes) to take the bulk-copy path of appendGathered.
    cell: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', minLength: 20, maxLength: 60 }))
      .map((text) => ({ text, value: text })) },
  { name: 'string[]', type: { base: 'string', array: true }, cell: listCell(element, (p) => p) },
  { name: 'long[]', type: { base: 'long', array: true },
    cell: listCell(fc.option(int64, { nil: '' }).map(String), (p) => (p === '' ? null : BigInt(p))) },
  { name: 'double[]', type: { base: 'double', array: true },
    cell: listCell(fc.option(double, { nil: '' }).map(String), (p) => (p === '' ? null : Number(p))) },
  { name: 'empty lists', type: { base: 'long', array: true }, cell: fc.constant({ text: '', value: [] }) },
];

const SPECS_WITH_WIDTH = SPECS.filter((s) => s.width !== undefined);

/** Column arbitrary: with nulls mixed in, or none at all (so a bitmap is present on one side only). */
function columnArb(spec: Spec, maxLength = 30): fc.Arbitrary<Column> {
  return fc.oneof(
    fc.array(fc.option(spec.cell, { freq: 3, nil: null }), { maxLength }),
    fc.array(spec.cell, { maxLength }),
  );
}

/** A deterministic column of `n` rows; with nulls, rows 1, 9, 10, ... are null (at least one in a byte's middle). */
function sampleColumn(spec: Spec, n: number, nulls: boolean, seed = 7): Column {
  const cells: Column = fc.sample(spec.cell, { seed, numRuns: n });
  if (nulls) for (let i = 1; i < n; i += i < 10 ? 8 : 1 + (i % 5)) cells[i] = null;
  return cells;
}

function newBuilder(spec: Spec): ColumnBuilder {
  return createColumnBuilder(spec.type, QUOTE, DELIM);
}

/** Appends a field the way load-nodes' appendField does; the text sits inside a larger buffer, as in a read chunk. */
function appendCell(b: ColumnBuilder, cell: Cell | null): void {
  if (cell === null) {
    b.appendNull();
    return;
  }
  const buf = utf8.encode(`,"${cell.text}",`);
  expect(b.appendBytes(buf, 2, buf.length - 2, FIELD_QUOTED), `field ${JSON.stringify(cell.text)}`).toBe(true);
}

function build(spec: Spec, cells: Column): ColumnBuilder {
  const b = newBuilder(spec);
  for (const c of cells) appendCell(b, c);
  return b;
}

function expected(cells: Column): unknown[] {
  return cells.map((c) => (c === null ? null : c.value));
}

/** The column's rows as read by Arrow from columnData(): timestamps as exact BigInt micros, dates as day numbers. */
function read(b: ColumnBuilder): unknown[] {
  const data: Data = columnData(b);
  expect(data.length).toBe(b.length);
  const vector = makeVector(data);
  const rows: unknown[] = [];
  let nulls = 0;
  for (let i = 0; i < data.length; i++) {
    if (!vector.isValid(i)) {
      nulls++;
      rows.push(null);
      continue;
    }
    const v = vector.get(i);
    if (data.typeId === Type.Timestamp) {
      const raw = data.values as ArrayBufferView;
      rows.push(new BigInt64Array(raw.buffer, raw.byteOffset, data.length)[i]);
    } else if (data.typeId === Type.Date) rows.push((v as number) / MS_PER_DAY);
    else if (data.typeId === Type.List) rows.push([...(v as Iterable<unknown>)]);
    else rows.push(v);
  }
  expect(b.nullCount).toBe(nulls);
  expect(data.nullCount).toBe(nulls);
  return rows;
}

function roundTrip(b: ColumnBuilder, spec: Spec): ColumnBuilder {
  const out = newBuilder(spec);
  out.appendEncoded(b.encode());
  return out;
}

/** A pseudo-random permutation of [0, n) (Fisher-Yates with a fixed LCG, so failures reproduce). */
function shuffled(n: number, seed: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let x = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

describe.each(SPECS)('$name', (spec) => {
  describe.each([false, true])('with nulls: %s', (nulls) => {
    const cells = sampleColumn(spec, 61, nulls);

    it('reads back the values it was filled with (the reader the other tests rely on)', () => {
      expect(read(build(spec, cells))).toEqual(expected(cells));
    });

    it('encode -> appendEncoded into a fresh builder gives the same rows and nulls', () => {
      const b = build(spec, cells);
      expect(read(roundTrip(b, spec))).toEqual(expected(cells));
    });

    it('encodes into its own exactly sized buffer, unchanged by later appends and reset', () => {
      const b = build(spec, cells);
      const bytes = b.encode();
      const copy = bytes.slice();
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
      for (const c of sampleColumn(spec, 20, !nulls, 99)) appendCell(b, c);
      b.reset();
      for (const c of sampleColumn(spec, 20, !nulls, 98)) appendCell(b, c);
      expect(bytes).toEqual(copy);
      const out = newBuilder(spec);
      out.appendEncoded(bytes);
      expect(read(out)).toEqual(expected(cells));
    });

    it('survives a transfer to another realm and an unaligned view, as from a worker message or spill file', () => {
      const bytes = build(spec, cells).encode();
      const moved = structuredClone(bytes, { transfer: [bytes.buffer] });
      expect(bytes.length).toBe(0); // detached: the builder's own memory was never part of it
      const file = new Uint8Array(moved.length + 3);
      file.set(moved, 3);
      const out = newBuilder(spec);
      out.appendEncoded(file.subarray(3));
      expect(read(out)).toEqual(expected(cells));
    });

    it('appendEncoded after existing rows keeps both parts, whichever side has nulls', () => {
      // Prefix lengths around byte boundaries: the appended bitmap lands shifted or aligned.
      for (const prefixLength of [0, 5, 8, 13]) {
        const prefix = sampleColumn(spec, prefixLength, !nulls, 3);
        const b = build(spec, prefix);
        b.appendEncoded(build(spec, cells).encode());
        expect(read(b)).toEqual([...expected(prefix), ...expected(cells)]);
      }
    });

    it('appendEncoded twice of the same bytes rebases offsets and doubles the rows', () => {
      const bytes = build(spec, cells).encode();
      const b = newBuilder(spec);
      b.appendEncoded(bytes);
      b.appendEncoded(bytes);
      expect(read(b)).toEqual([...expected(cells), ...expected(cells)]);
    });

    it('appendGathered over permutations and sub-ranges maps the source rows through perm', () => {
      const source = build(spec, cells);
      const values = expected(cells);
      for (const seed of [1, 2, 3]) {
        const perm = shuffled(cells.length, seed);
        const prefix = sampleColumn(spec, 3 + seed, !nulls, seed);
        const b = build(spec, prefix);
        const from = 2 * seed;
        const to = cells.length - seed;
        b.appendGathered(source, perm, from, to);
        b.appendGathered(source, perm, 0, from);
        b.appendGathered(source, perm, to, to); // an empty range appends nothing
        const gathered = Array.from(perm.subarray(from, to), (p) => values[p]);
        const head = Array.from(perm.subarray(0, from), (p) => values[p]);
        expect(read(b)).toEqual([...expected(prefix), ...gathered, ...head]);
      }
      // The source is only read.
      expect(read(source)).toEqual(values);
    });

    it('gather(perm) keeps its behaviour, repeated rows included', () => {
      const source = build(spec, cells);
      const perm = Uint32Array.from([...shuffled(cells.length, 5), 0, 0, cells.length - 1]);
      const values = expected(cells);
      expect(read(source.gather(perm))).toEqual(Array.from(perm, (p) => values[p]));
      expect(read(source.gather(new Uint32Array(0)))).toEqual([]);
    });
  });

  it.each([
    ['a long prefix without nulls, a chunk with nulls', 1500, false, true],
    ['a short prefix with nulls (a small bitmap), a chunk without nulls', 5, true, false],
  ])('moves columns larger than the initial capacity: %s (values, offsets, bytes and bitmap all grow)', (_, prefixLength, prefixNulls, bigNulls) => {
    const big = sampleColumn(spec, 2600, bigNulls, 11);
    const prefix = sampleColumn(spec, prefixLength, prefixNulls, 12);
    const values = expected(big);

    const decoded = build(spec, prefix);
    decoded.appendEncoded(build(spec, big).encode());
    expect(read(decoded)).toEqual([...expected(prefix), ...values]);

    const perm = shuffled(big.length, 13);
    const gathered = build(spec, prefix);
    gathered.appendGathered(build(spec, big), perm, 0, perm.length);
    expect(read(gathered)).toEqual([...expected(prefix), ...Array.from(perm, (p) => values[p])]);
  });

  it('gathers from itself (rows already held, appended again)', () => {
    const cells = sampleColumn(spec, 40, true, 21);
    const b = build(spec, cells);
    const perm = shuffled(40, 22);
    b.appendGathered(b, perm, 0, 40);
    expect(read(b)).toEqual([...expected(cells), ...Array.from(perm, (p) => expected(cells)[p])]);
  });

  it('encodes an empty builder and appends it as no rows', () => {
    const b = build(spec, sampleColumn(spec, 9, true));
    const before = read(b);
    b.appendEncoded(newBuilder(spec).encode());
    expect(read(b)).toEqual(before);
  });
});

describe('encoding', () => {
  it.each(SPECS_WITH_WIDTH)('$name: fixed-width rows take their width, plus a bitmap only when there are nulls', (spec) => {
    const plain = build(spec, sampleColumn(spec, 21, false));
    expect(plain.encode().length).toBe(HEADER_BYTES + 21 * spec.width!);
    const withNulls = build(spec, sampleColumn(spec, 21, true));
    expect(withNulls.encode().length).toBe(HEADER_BYTES + 3 + 21 * spec.width!);
  });

  it('strings take their UTF-8 bytes and one offset per row', () => {
    const spec = SPECS.find((s) => s.name === 'string')!;
    const cells: Column = ['h\u00e9', '', '\u{1f600}x', '\u4e2d\u6587'].map((text) => ({ text, value: text }));
    const b = build(spec, cells);
    expect(b.encode().length).toBe(HEADER_BYTES + 4 + 4 * 4 + (3 + 0 + 5 + 6));
    expect(read(roundTrip(b, spec))).toEqual(['h\u00e9', '', '\u{1f600}x', '\u4e2d\u6587']);
  });

  it('refuses bytes of another type, truncated bytes and trailing bytes', () => {
    const [intSpec, longSpec] = SPECS;
    const floatSpec = SPECS.find((s) => s.name === 'float')!;
    const doubleSpec = SPECS.find((s) => s.name === 'double')!;
    const bytes = build(intSpec, sampleColumn(intSpec, 10, true)).encode();
    expect(() => newBuilder(longSpec).appendEncoded(bytes)).toThrow(TypeError);
    expect(() => newBuilder(doubleSpec).appendEncoded(build(floatSpec, sampleColumn(floatSpec, 3, false)).encode())).toThrow(TypeError);
    expect(() => newBuilder(intSpec).appendEncoded(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
    expect(() => newBuilder(intSpec).appendEncoded(bytes.subarray(0, 5))).toThrow(RangeError);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => newBuilder(intSpec).appendEncoded(longer)).toThrow(RangeError);
    const list = SPECS.find((s) => s.name === 'long[]')!;
    const listBytes = build(list, sampleColumn(list, 10, true)).encode();
    expect(() => newBuilder(SPECS.find((s) => s.name === 'double[]')!).appendEncoded(listBytes)).toThrow(TypeError);
  });

  it('refuses to gather from another type or outside the permutation', () => {
    const [intSpec, longSpec] = SPECS;
    const source = build(intSpec, sampleColumn(intSpec, 4, false));
    const perm = Uint32Array.of(0, 1, 2, 3);
    expect(() => newBuilder(longSpec).appendGathered(source, perm, 0, 4)).toThrow(TypeError);
    expect(() => newBuilder(intSpec).appendGathered(source, perm, 0, 5)).toThrow(RangeError);
    expect(() => newBuilder(intSpec).appendGathered(source, perm, 3, 2)).toThrow(RangeError);
    expect(() => newBuilder(longSpec).appendRange(source, 0, 1)).toThrow(TypeError);
    expect(() => newBuilder(intSpec).appendRange(source, 0, source.length + 1)).toThrow(RangeError);
    expect(() => newBuilder(intSpec).appendRange(source, 2, 1)).toThrow(RangeError);
  });
});

type Op =
  | { kind: 'cells'; cells: Column }
  | { kind: 'encoded'; cells: Column }
  | { kind: 'gathered'; cells: Column; perm: number[]; from: number; to: number }
  | { kind: 'range'; cells: Column; from: number; to: number }
  | { kind: 'self'; picks: number[] }
  | { kind: 'roundTrip' };

function opArb(spec: Spec): fc.Arbitrary<Op> {
  const gathered = columnArb(spec).chain((cells) => fc.record({
    kind: fc.constant('gathered' as const),
    cells: fc.constant(cells),
    perm: fc.array(fc.nat({ max: Math.max(cells.length - 1, 0) }), { maxLength: cells.length === 0 ? 0 : 40 }),
    from: fc.nat(),
    to: fc.nat(),
  }));
  const range = columnArb(spec).chain((cells) => fc.record({ kind: fc.constant('range' as const), cells: fc.constant(cells), from: fc.nat(), to: fc.nat() }));
  return fc.oneof(
    fc.record({ kind: fc.constant('cells' as const), cells: columnArb(spec, 12) }),
    range,
    fc.record({ kind: fc.constant('encoded' as const), cells: columnArb(spec) }),
    gathered,
    fc.record({ kind: fc.constant('self' as const), picks: fc.array(fc.nat(), { maxLength: 20 }) }),
    fc.constant({ kind: 'roundTrip' as const }),
  );
}

describe('property: encode, appendEncoded, appendGathered and appendRange mixed on random columns', () => {
  it.each(SPECS)('$name', (spec) => {
    fc.assert(fc.property(columnArb(spec), fc.array(opArb(spec), { maxLength: 6 }), (initial, ops) => {
      let b = build(spec, initial);
      let model = expected(initial);
      for (const op of ops) {
        if (op.kind === 'cells') {
          for (const c of op.cells) appendCell(b, c);
          model = [...model, ...expected(op.cells)];
        } else if (op.kind === 'encoded') {
          b.appendEncoded(build(spec, op.cells).encode());
          model = [...model, ...expected(op.cells)];
        } else if (op.kind === 'gathered') {
          const perm = Uint32Array.from(op.perm);
          const [from, to] = [op.from % (perm.length + 1), op.to % (perm.length + 1)].sort((x, y) => x - y);
          const values = expected(op.cells);
          b.appendGathered(build(spec, op.cells), perm, from, to);
          model = [...model, ...Array.from(perm.subarray(from, to), (p) => values[p])];
        } else if (op.kind === 'range') {
          const [from, to] = [op.from % (op.cells.length + 1), op.to % (op.cells.length + 1)].sort((x, y) => x - y);
          b.appendRange(build(spec, op.cells), from, to);
          model = [...model, ...expected(op.cells).slice(from, to)];
        } else if (op.kind === 'self') {
          if (model.length === 0) continue;
          const perm = Uint32Array.from(op.picks, (p) => p % model.length);
          b.appendGathered(b, perm, 0, perm.length);
          model = [...model, ...Array.from(perm, (p) => model[p])];
        } else {
          b = roundTrip(b, spec);
        }
      }
      expect(read(b)).toEqual(model);
      expect(read(roundTrip(b, spec))).toEqual(model);
    }), { numRuns: 60 });
  });
});
