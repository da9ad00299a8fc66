import { isUtf8 } from 'node:buffer';
import { type Data, type DataType, type Field, type Schema, DateUnit, Precision, TimeUnit, Type } from 'apache-arrow';
import { daysFromCivil } from './value-parsers.js';
import type { FileLayout } from '../schema/file-layout.js';
import type { PropertyType } from '../schema/types.js';
import { type ColumnBuilder, FixedBuilder, Int64LikeBuilder, Utf8ColumnBuilder } from '../store/column-builders.js';
import { propertyTypeOf } from './arrow-types.js';

/**
 * Arrow IPC columns read in place. A node or relationship file whose columns all have types the engine can take straight
 * from their Arrow buffers (integers, floats, booleans, strings, dictionary strings, day dates, timestamps) skips the
 * text conversion: endpoint IDs go from the int64 buffer (or the UTF-8 bytes) to the ID index, strings are copied
 * from the data buffer, numbers are copied as they are. Other files (lists, decimals, Date64, float16, ...) take the
 * conversion, which gives the same values (a test holds both to byte-identical stores).
 */

/**
 * Why a file cannot be read in place (a reason for the plan), or undefined when it can. `idTypeKnown`: --id-type
 * was given, so string ID columns need no look at their values to decide their space's kind.
 */
export function nativeReadProblem(schema: Schema, layout: FileLayout, idTypeKnown: boolean): string | undefined {
  const fields = schema.fields as Field[];
  for (const [c, spec] of layout.columns.entries()) {
    const type = fields[c].type;
    if (spec.kind === 'ignore') continue;
    if (spec.kind === 'id') {
      // An undeclared string ID column makes its space int or string by its values (a sample, as for CSV), and so
      // does a uint64 one (a value past int64 makes it a string space): such files are converted, so that their
      // space is decided the same way.
      const declared = spec.type !== undefined || idTypeKnown;
      const intIds = type.typeId === Type.Int && !((type as unknown as IntShape).bitWidth === 64 && !(type as unknown as IntShape).isSigned);
      if (!(intIds || ((isUtf8Type(type) || type.typeId === Type.Int) && declared))) return `ID column ${c + 1} has type ${String(type)}`;
    } else if (spec.kind === 'start' || spec.kind === 'end') {
      if (!isIdType(type)) return `endpoint column ${c + 1} has type ${String(type)}`;
    } else if (spec.kind === 'type' && layout.kind === 'relationship') {
      if (!isUtf8Type(type)) return `:TYPE column ${c + 1} has type ${String(type)}`;
    } else if (spec.kind === 'property') {
      const mapped = propertyTypeOf(type);
      // A declared type other than the Arrow type's own (`since:int` on an int64 column) needs the text's checks.
      if (mapped === undefined || spec.type === undefined || !sameType(mapped, spec.type) || !isDirect(type)) {
        return `column ${c + 1} (${spec.name}) has type ${String(type)}${spec.type === undefined ? '' : ` and is declared ${spec.type.base}${spec.type.array ? '[]' : ''}`}`;
      }
    } else {
      // A :LABEL column decides the node tables from its values: such files are converted and read whole first.
      return `column ${c + 1} has role ${spec.kind}`;
    }
  }
  return undefined;
}

function sameType(a: PropertyType, b: PropertyType): boolean {
  return a.base === b.base && a.array === b.array;
}

function isUtf8Type(type: DataType): boolean {
  return type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8;
}

function isIdType(type: DataType): boolean {
  return type.typeId === Type.Int || isUtf8Type(type);
}

/** Types whose values are appended from their buffers without text (see propertyAppender). */
function isDirect(type: DataType): boolean {
  switch (type.typeId) {
    case Type.Int: case Type.Bool: case Type.Utf8: case Type.LargeUtf8: case Type.Timestamp: return true;
    case Type.Float: return (type as unknown as { precision: Precision }).precision !== Precision.HALF;
    case Type.Date: return (type as unknown as { unit: DateUnit }).unit === DateUnit.DAY;
    case Type.Dictionary: return isUtf8Type((type as unknown as { dictionary: DataType }).dictionary);
    default: return false;
  }
}

/** True when value `i` of `data` is not null. */
export function isValidAt(data: Data, i: number): boolean {
  if (data.nullCount === 0) return true;
  const bits = data.nullBitmap;
  if (bits === undefined || bits.length === 0) return data.typeId !== Type.Null;
  const at = data.offset + i;
  return ((bits[at >> 3] >> (at & 7)) & 1) === 1;
}

interface IntShape {
  bitWidth: number;
  isSigned: boolean;
}

/** Where int64 halves of one value are put by `intHalves`. */
export const halves = { lo: 0, hi: 0 };

/**
 * Puts value `i` of an integer column into `halves` as int64 (lo, hi); false for a uint64 past int64. The 64-bit
 * types are read as two int32 words of their buffer: no BigInt per value.
 */
export function intHalves(data: Data, words: Int32Array | undefined, i: number): boolean {
  const t = data.type as unknown as IntShape;
  if (t.bitWidth === 64) {
    halves.lo = words![2 * i];
    halves.hi = words![2 * i + 1];
    return t.isSigned || halves.hi >= 0;
  }
  const v = (data.values as Int32Array)[i];
  halves.lo = v | 0;
  // Unsigned 32-bit values are non-negative as read (a Uint32Array), and their bits are their low word.
  halves.hi = v < 0 ? -1 : 0;
  return true;
}

/** The int32 words of a 64-bit integer or timestamp column's buffer (little-endian halves), else undefined. */
export function int64Words(data: Data): Int32Array | undefined {
  const v = data.values as ArrayBufferView | undefined;
  if (v === undefined || !(v instanceof BigInt64Array || v instanceof BigUint64Array)) return undefined;
  return new Int32Array(v.buffer, v.byteOffset, v.length * 2);
}

/**
 * Buffers of a column that contradict each other: the file is damaged (reported as GI_COLUMNAR_UNREADABLE). The text
 * conversion (arrow-to-text.ts) throws it too, also when it renders a bad row read in place for a message.
 */
export class DamagedArrowData extends Error {}

/** Start and end of value `i` of a UTF-8 column in `data.values`; throws DamagedArrowData for offsets outside it. */
export function utf8Span(data: Data, i: number, out: { s: number; e: number }): void {
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  if (offsets instanceof BigInt64Array) {
    out.s = Number(offsets[i]);
    out.e = Number(offsets[i + 1]);
  } else {
    out.s = offsets[i];
    out.e = offsets[i + 1];
  }
  // Offsets come from the file: damaged ones must not make a builder copy (or allocate) wild ranges.
  const size = (data.values as Uint8Array).length;
  if (!(out.s >= 0 && out.s <= out.e && out.e <= size)) throw new DamagedArrowData(`string offsets ${out.s}..${out.e} outside the ${size} data bytes`);
}

const span = { s: 0, e: 0 };
const MICROS_PER: Record<number, bigint> = { [TimeUnit.SECOND]: 1_000_000n, [TimeUnit.MILLISECOND]: 1000n };
/** Days from the epoch of 0000-01-01 and 9999-12-31: the dates the text form (four-digit years) holds. */
const FIRST_DAY = daysFromCivil(0, 1, 1);
const LAST_DAY = daysFromCivil(9999, 12, 31);
/** Microseconds from the epoch of 0000-01-01T00:00:00 and 9999-12-31T23:59:59.999999. */
const FIRST_MICROS = BigInt(FIRST_DAY) * 86_400_000_000n;
const LAST_MICROS = BigInt(LAST_DAY + 1) * 86_400_000_000n - 1n;
const TWO_32 = 4294967296;

/** True when int64 microseconds (as halves) fall in the years 0000-9999; exact at the bounds. */
function inYears(lo: number, hi: number): boolean {
  const approx = hi * TWO_32 + (lo >>> 0);
  // Far from either bound, the double is exact enough; near one, decide in BigInt.
  if (approx > Number(FIRST_MICROS) + 1e6 && approx < Number(LAST_MICROS) - 1e6) return true;
  const v = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  return v >= FIRST_MICROS && v <= LAST_MICROS;
}

/** The first row (and its column) in [from, to) whose value in any string column is not UTF-8, or undefined. */
export function firstInvalidUtf8Value(columns: Data[], from: number, to: number): { row: number; column: number } | undefined {
  let found: { row: number; column: number } | undefined;
  columns.forEach((data, column) => {
    const row = firstInvalidUtf8Row(data, from, found === undefined ? to : found.row);
    if (row >= 0 && (found === undefined || row < found.row)) found = { row, column };
  });
  return found;
}

/**
 * The first row in [from, to) whose value in a string column (utf8, large_utf8, or a dictionary of them) is not
 * UTF-8, or -1 (also for other types). The text form is checked byte by byte when it is read; values read in place
 * get the same check, with Node's native validator over the whole slice first.
 */
export function firstInvalidUtf8Row(data: Data, from: number, to: number): number {
  const type = data.type;
  if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) {
    if (to <= from) return -1;
    const bytes = data.values as Uint8Array;
    utf8Span(data, from, span);
    const s = span.s;
    utf8Span(data, to - 1, span);
    if (isUtf8(bytes.subarray(s, span.e))) return -1;
    for (let r = from; r < to; r++) {
      if (!isValidAt(data, r)) continue;
      utf8Span(data, r, span);
      if (!isUtf8(bytes.subarray(span.s, span.e))) return r;
    }
    return -1;
  }
  if (type.typeId === Type.Dictionary && isUtf8Type((type as unknown as { dictionary: DataType }).dictionary)) {
    const chunks = data.dictionary!.data as Data[];
    if (chunks.every((d) => d.length === 0 || firstInvalidUtf8Row(d, 0, d.length) < 0)) return -1;
    const keys = data.values as Int32Array;
    for (let r = from; r < to; r++) {
      if (!isValidAt(data, r)) continue;
      let at = Number(keys[r]);
      for (const d of chunks) {
        if (at < d.length) {
          if (firstInvalidUtf8Row(d, at, at + 1) >= 0) return r;
          break;
        }
        at -= d.length;
      }
    }
  }
  return -1;
}

/**
 * Appends value `i` of an Arrow column (`data`, of a type nativeReadProblem accepted) to `builder`, a builder of
 * the column's store type; the returned function is false when the value has no store value (a uint64 past int64,
 * a nanosecond timestamp with sub-microsecond digits, a timestamp out of the int64 microsecond range).
 */
export function propertyAppender(data: Data, builder: ColumnBuilder): (i: number) => boolean {
  const type = data.type;
  const nulls = data.nullCount > 0;
  const withNulls = (append: (i: number) => boolean): ((i: number) => boolean) => {
    if (!nulls) return append;
    return (i) => {
      if (isValidAt(data, i)) return append(i);
      builder.appendNull();
      return true;
    };
  };
  switch (type.typeId) {
    case Type.Int: {
      const t = type as unknown as IntShape;
      if (t.bitWidth === 64 || (t.bitWidth === 32 && !t.isSigned)) {
        const b = builder as Int64LikeBuilder;
        const words = int64Words(data);
        return withNulls((i) => {
          if (!intHalves(data, words, i)) return false;
          b.appendHalves(halves.lo, halves.hi);
          return true;
        });
      }
      const b = builder as FixedBuilder<Int32Array>;
      const values = data.values as Int32Array;
      return withNulls((i) => {
        b.appendValue(values[i]);
        return true;
      });
    }
    case Type.Float: {
      const b = builder as FixedBuilder<Float64Array>;
      const values = data.values as Float64Array;
      // One NaN: the text path writes any NaN as `NaN`, so the store holds the canonical one either way.
      return withNulls((i) => {
        const v = values[i];
        b.appendValue(v === v ? v : Number.NaN);
        return true;
      });
    }
    case Type.Bool: {
      const b = builder as FixedBuilder<Uint8Array>;
      const bits = data.values as Uint8Array;
      const offset = data.offset;
      return withNulls((i) => {
        b.appendValue((bits[(offset + i) >> 3] >> ((offset + i) & 7)) & 1);
        return true;
      });
    }
    case Type.Date: {
      const b = builder as FixedBuilder<Int32Array>;
      const values = data.values as Int32Array;
      // The text form has four-digit years: a date outside 0000-9999 is refused, as its text would be.
      return withNulls((i) => {
        const v = values[i];
        if (v < FIRST_DAY || v > LAST_DAY) return false;
        b.appendValue(v);
        return true;
      });
    }
    case Type.Timestamp: {
      const b = builder as Int64LikeBuilder;
      const unit = (type as unknown as { unit: TimeUnit }).unit;
      if (unit === TimeUnit.MICROSECOND) {
        const words = int64Words(data)!;
        return withNulls((i) => {
          const lo = words[2 * i];
          const hi = words[2 * i + 1];
          if (!inYears(lo, hi)) return false;
          b.appendHalves(lo, hi);
          return true;
        });
      }
      const values = data.values as BigInt64Array;
      return withNulls((i) => {
        const v = values[i];
        let us: bigint;
        if (unit === TimeUnit.NANOSECOND) {
          if (v % 1000n !== 0n) return false;
          us = v / 1000n;
        } else {
          us = v * MICROS_PER[unit];
        }
        if (us < FIRST_MICROS || us > LAST_MICROS) return false;
        b.appendHalves(Number(us & 0xffffffffn) | 0, Number(us >> 32n) | 0);
        return true;
      });
    }
    case Type.Utf8: case Type.LargeUtf8: {
      const b = builder as Utf8ColumnBuilder;
      const bytes = data.values as Uint8Array;
      return withNulls((i) => {
        utf8Span(data, i, span);
        return b.appendBytes(bytes, span.s, span.e, 0);
      });
    }
    case Type.Dictionary: {
      const b = builder as Utf8ColumnBuilder;
      const keys = data.values as Int32Array;
      const chunks = data.dictionary!.data as Data[];
      // A dictionary read from one file is one chunk; a delta-extended one may be more: found by walking them.
      const chunkOf = (k: number): { d: Data; at: number } => {
        let at = k;
        for (const d of chunks) {
          if (at < d.length) return { d, at };
          at -= d.length;
        }
        throw new DamagedArrowData(`dictionary key ${k} outside the dictionary's ${data.dictionary!.length} values`);
      };
      return withNulls((i) => {
        const { d, at } = chunkOf(Number(keys[i]));
        if (!isValidAt(d, at)) {
          builder.appendNull();
          return true;
        }
        utf8Span(d, at, span);
        return b.appendBytes(d.values as Uint8Array, span.s, span.e, 0);
      });
    }
    default:
      throw new TypeError(`no in-place reader for ${String(type)}`);
  }
}
