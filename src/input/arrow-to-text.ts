import { type Data, type DataType, type Field, type RecordBatch, type Schema, type Vector, Type, TimeUnit, makeVector } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { formatType } from '../schema/types.js';
import { isDateMillis, propertyTypeOf, unsupportedType } from './arrow-types.js';
import { DamagedArrowData, int64Words } from './arrow-native.js';
import { TextOut } from './text-out.js';

/**
 * Arrow record batches as CSV text in graph-import's header format (in the import's delimiter and quote), which the rest of
 * the pipeline (schema, sniff, parallel ranges, bad-row handling, rejects) reads like any CSV input. Values are
 * written so that parsing them gives the same value back: int64 exactly past 2^53, shortest round-trip doubles,
 * NaN and infinities, dates, timestamps with every fraction digit (the parser refuses sub-microsecond digits rather
 * than rounding them), lists joined with the array delimiter, null as an empty field and '' as `""`.
 */

const LF = 0x0a;
const CR = 0x0d;


/** A value the CSV form cannot carry (a list element holding the array delimiter, ...): fails the row. */
class Unrepresentable {
  constructor(readonly reason: string, readonly hint: string) {}
}

/**
 * The header field for each Arrow column: a name that already says its role or type (`id:ID(Person)`,
 * `:START_ID`, `age:int`, `x:IGNORE`) is kept, a plain name gets its Arrow type (`age` -> `age:long`). An Arrow
 * type the store cannot hold fails here, naming the column, unless the column is ignored.
 */
export function headerFields(schema: Schema, file: string): string[] {
  return schema.fields.map((f: Field, i) => {
    // apache-arrow reads a column written without a name as null: an empty header field (refused as in CSV).
    if ((f.name as string | null) === null) return '';
    if (PANDAS_INDEX.test(f.name)) return `${f.name}:IGNORE`;
    if (f.name.includes(':')) {
      if (!ignored(f.name) && !writable(f.type)) throw unsupportedType(file, i + 1, f.name, f.type);
      return f.name;
    }
    const type = propertyTypeOf(f.type);
    if (type === undefined) throw unsupportedType(file, i + 1, f.name, f.type);
    return `${f.name}:${formatType(type)}`;
  });
}

/**
 * The column pandas adds for a DataFrame index that is not a plain range (`df.to_parquet()`, `to_feather()` after a
 * filter): bookkeeping of the writer, not data, and left out as pyarrow's `to_pandas` leaves it out.
 */
const PANDAS_INDEX = /^__index_level_\d+__$/;

/** True for a column the import leaves out: named `...:IGNORE`, or a pandas index column. */
function ignored(name: string): boolean {
  return /:IGNORE$/i.test(name) || PANDAS_INDEX.test(name);
}

function writable(type: DataType): boolean {
  return propertyTypeOf(type) !== undefined;
}

/** The header line: fields quoted when they hold the delimiter, the quote or a line end. */
export function headerLine(fields: string[], delimiter: string, quote: string): string {
  return fields.map((f) => (f.includes(delimiter) || f.includes(quote) || /[\r\n]/.test(f) ? `${quote}${f.split(quote).join(quote + quote)}${quote}` : f)).join(delimiter);
}

/** The dialect converted text is written in: the bytes of the import's delimiter, quote and array delimiter. */
export interface TextDialect {
  delimiter: number;
  quote: number;
  arrayDelimiter: number;
}

/** Writes value `i` of a column as the raw text of one value (no quoting); false for null. */
type RawWriter = (i: number, out: TextOut) => boolean;

/** Writes the rows of record batches as CSV lines into a TextOut. */
export class BatchTextWriter {
  private readonly scratch = new TextOut(1 << 12);

  constructor(
    private readonly schema: Schema,
    private readonly file: string,
    private readonly dialect: TextDialect,
    /** Line number (1-based) of the file's first data row in the converted text: 2 after a header line. */
    private readonly firstLine: number,
  ) {}

  /** Field writers for the columns of `batch`, for `write`. */
  prepare(batch: RecordBatch): (((i: number, out: TextOut) => void) | undefined)[] {
    return this.schema.fields.map((f: Field, c) => (ignored(f.name ?? '') ? undefined : this.fieldWriter(batch.data.children[c] as Data, f.type)));
  }

  /** Appends rows [from, to) of a batch (its row 0 is row `rowBase` of the file, 0-based) to `out`. */
  write(writers: (((i: number, out: TextOut) => void) | undefined)[], from: number, to: number, rowBase: number, out: TextOut): void {
    const fields = this.schema.fields;
    const width = writers.length;
    for (let r = from; r < to; r++) {
      let c = 0;
      try {
        for (; c < width; c++) {
          if (c > 0) out.byte(this.dialect.delimiter);
          writers[c]?.(r, out);
        }
      } catch (err) {
        if (!(err instanceof Unrepresentable)) throw err;
        throw new ImportError('GI_UNREPRESENTABLE_VALUE', err.reason, {
          file: this.file, line: this.firstLine + rowBase + r, column: c + 1, columnName: fields[c].name, hint: err.hint,
        });
      }
      out.byte(LF);
    }
  }

  /** Value `r` of column `c` of `batch` as its raw text ('' for null): what an error shows of a value. */
  valueText(batch: RecordBatch, r: number, c: number): string {
    const out = new TextOut(64);
    const field = this.schema.fields[c] as Field;
    if (!rawWriter(batch.data.children[c] as Data, field.type)(r, out)) return '';
    return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos).toString('utf8');
  }

  /** Writes value `i` as one CSV field, quoted where the text needs it. */
  private fieldWriter(data: Data, type: DataType): ((i: number, out: TextOut) => void) {
    if (isText(type)) {
      const raw = rawWriter(data, type);
      const scratch = this.scratch;
      const dialect = this.dialect;
      const { delimiter, quote } = dialect;
      // Written in place, then checked: most strings need no quotes, and are copied once.
      return (i, out) => {
        const start = out.pos;
        if (!raw(i, out)) return;
        const end = out.pos;
        const buf = out.buf;
        let plain = end > start;
        for (let k = start; k < end && plain; k++) {
          const b = buf[k];
          plain = b !== delimiter && b !== quote && b !== LF && b !== CR;
        }
        if (plain) return;
        scratch.clear();
        scratch.bytes(buf, start, end);
        out.pos = start;
        writeQuoted(scratch.buf, 0, scratch.pos, dialect, out);
      };
    }
    if (type.typeId === Type.List || type.typeId === Type.LargeList || type.typeId === Type.FixedSizeList) return this.listWriter(data, type);
    const raw = rawWriter(data, type);
    return (i, out) => void raw(i, out);
  }

  private listWriter(data: Data, type: DataType): (i: number, out: TextOut) => void {
    const childType = (type.children as Field[])[0].type;
    const child = data.children[0] as Data;
    const element = rawWriter(child, childType);
    const stringList = isText(childType);
    const offsets = listOffsets(data, type);
    const delim = this.dialect.arrayDelimiter;
    const dialect = this.dialect;
    const nul = nullTest(data);
    const scratch = this.scratch;
    const delimText = String.fromCharCode(delim);
    return (i, out) => {
      if (nul(i)) return;
      const s = offsets(i);
      const e = offsets(i + 1);
      if (s === e) {
        out.byte(dialect.quote);
        out.byte(dialect.quote);
        return;
      }
      scratch.clear();
      for (let k = s; k < e; k++) {
        if (k > s) scratch.byte(delim);
        const from = scratch.pos;
        const present = element(k, scratch);
        if (!present && (stringList || e - s === 1)) {
          throw new Unrepresentable('a list holds a null element, which a CSV array field cannot carry', 'replace null list elements before writing the file');
        }
        if (present && stringList && scratch.pos === from && e - s === 1) {
          throw new Unrepresentable('a list holds only the empty string, which reads back as an empty list', 'drop empty strings from lists before writing the file');
        }
        if (scratch.buf.subarray(from, scratch.pos).includes(delim)) {
          throw new Unrepresentable(`a list element contains the array delimiter "${delimText}"`, 'choose another --array-delimiter');
        }
      }
      writeQuoted(scratch.buf, 0, scratch.pos, dialect, out);
    };
  }
}

/** Writes text as a CSV field: as is, or quoted with doubled quotes when it holds a delimiter, quote or line end; '' as `""`. */
function writeQuoted(src: Uint8Array, s: number, e: number, dialect: TextDialect, out: TextOut): void {
  const quote = dialect.quote;
  if (s === e) {
    out.byte(quote);
    out.byte(quote);
    return;
  }
  let plain = true;
  for (let k = s; k < e; k++) {
    const b = src[k];
    if (b === dialect.delimiter || b === quote || b === LF || b === CR) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.bytes(src, s, e);
    return;
  }
  out.byte(quote);
  for (let k = s; k < e; k++) {
    if (src[k] === quote) out.byte(quote);
    out.byte(src[k]);
  }
  out.byte(quote);
}

function isText(type: DataType): boolean {
  if (type.typeId === Type.Dictionary) return isText((type as unknown as { dictionary: DataType }).dictionary);
  return type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8 || type.typeId === Type.Utf8View || type.typeId === Type.Null;
}

/**
 * A null test specialised to the chunk: columns without nulls (most) skip the bitmap, as the per-value writers are
 * the hot loop of a conversion.
 */
function nullTest(data: Data): (i: number) => boolean {
  const bits = data.nullBitmap;
  if (data.typeId === Type.Null) return () => true;
  if (bits === undefined || bits.length === 0 || data.nullCount === 0) return () => false;
  const offset = data.offset;
  return (i) => (bits[(offset + i) >> 3] & (1 << ((offset + i) & 7))) === 0;
}

function listOffsets(data: Data, type: DataType): (i: number) => number {
  if (type.typeId === Type.FixedSizeList) {
    const size = (type as unknown as { listSize: number }).listSize;
    return (i) => i * size;
  }
  const off = data.valueOffsets as Int32Array | BigInt64Array;
  if (off instanceof BigInt64Array) return (i) => Number(off[i]);
  return (i) => off[i];
}

/** Raw text writer for one Arrow column chunk (scalars and dictionaries; lists go through listWriter). */
function rawWriter(data: Data, type: DataType): RawWriter {
  const nul = nullTest(data);
  switch (type.typeId) {
    case Type.Null:
      return () => false;
    case Type.Int: {
      const t = type as unknown as { bitWidth: number; isSigned: boolean };
      if (t.bitWidth === 64) {
        const h = int64Words(data)!;
        const signed = t.isSigned;
        return (i, out) => {
          if (nul(i)) return false;
          if (signed) out.int64(h[2 * i], h[2 * i + 1]);
          else out.uint64(h[2 * i], h[2 * i + 1]);
          return true;
        };
      }
      const values = data.values as ArrayLike<number>;
      return (i, out) => {
        if (nul(i)) return false;
        out.int(values[i]);
        return true;
      };
    }
    case Type.Float: {
      const half = data.values instanceof Uint16Array;
      const values = data.values as ArrayLike<number>;
      return (i, out) => {
        if (nul(i)) return false;
        out.double(half ? float16(values[i]) : values[i]);
        return true;
      };
    }
    case Type.Bool: {
      const values = data.values as Uint8Array;
      return (i, out) => {
        if (nul(i)) return false;
        const bit = data.offset + i;
        out.ascii((values[bit >> 3] & (1 << (bit & 7))) !== 0 ? 'true' : 'false');
        return true;
      };
    }
    case Type.Utf8: case Type.LargeUtf8: {
      const bytes = data.values as Uint8Array;
      const off = data.valueOffsets as Int32Array | BigInt64Array;
      const big = off instanceof BigInt64Array;
      return (i, out) => {
        if (nul(i)) return false;
        const s = big ? Number(off[i]) : (off as Int32Array)[i];
        const e = big ? Number(off[i + 1]) : (off as Int32Array)[i + 1];
        // Offsets come from the file: damaged ones must not make the writer copy (or allocate) wild ranges.
        if (!(s >= 0 && s <= e && e <= bytes.length)) throw new DamagedArrowData(`string offsets ${s}..${e} outside the ${bytes.length} data bytes`);
        out.bytes(bytes, s, e);
        return true;
      };
    }
    case Type.Decimal: {
      // Whole decimals of at most 18 digits only (see propertyTypeOf), stored in 32, 64, 128 or 256 bits: the low
      // 64 bits (sign-extended from 32) are the value.
      const words = data.values as Uint32Array;
      const stride = (type as unknown as { bitWidth: number }).bitWidth / 32;
      return (i, out) => {
        if (nul(i)) return false;
        const lo = words[stride * i] | 0;
        out.int64(lo, stride === 1 ? (lo < 0 ? -1 : 0) : words[stride * i + 1] | 0);
        return true;
      };
    }
    case Type.Utf8View: {
      // polars writes string views to Arrow IPC; Arrow's own getter assembles each string from its views.
      const v = makeVector(data);
      return (i, out) => {
        const s = v.get(i) as string | null;
        if (s === null) return false;
        out.utf8(s);
        return true;
      };
    }
    case Type.Date: {
      if (isDateMillis(type)) {
        const h = int64Words(data)!;
        return (i, out) => {
          if (nul(i)) return false;
          const ms = h[2 * i + 1] * 4294967296 + (h[2 * i] >>> 0);
          writeDate(Math.floor(ms / 86400000), out);
          return true;
        };
      }
      const values = data.values as Int32Array;
      return (i, out) => {
        if (nul(i)) return false;
        writeDate(values[i], out);
        return true;
      };
    }
    case Type.Timestamp: {
      const unit = (type as unknown as { unit: TimeUnit }).unit;
      const perSecond = unit === TimeUnit.SECOND ? 1 : unit === TimeUnit.MILLISECOND ? 1e3 : unit === TimeUnit.MICROSECOND ? 1e6 : 1e9;
      const digits = unit === TimeUnit.SECOND ? 0 : unit === TimeUnit.MILLISECOND ? 3 : unit === TimeUnit.MICROSECOND ? 6 : 9;
      const h = int64Words(data)!;
      return (i, out) => {
        if (nul(i)) return false;
        writeTimestamp(h[2 * i], h[2 * i + 1], perSecond, digits, out);
        return true;
      };
    }
    case Type.Dictionary: {
      const dict = (data.dictionary as Vector | undefined);
      if (dict === undefined) return () => false;
      const valueType = (type as unknown as { dictionary: DataType }).dictionary;
      const chunks = dict.data.map((d) => rawWriter(d, valueType));
      const starts: number[] = [];
      let n = 0;
      for (const d of dict.data) { starts.push(n); n += d.length; }
      const idx = data.values as ArrayLike<number | bigint>;
      const single = chunks.length === 1 ? chunks[0] : undefined;
      return (i, out) => {
        if (nul(i)) return false;
        const k = Number(idx[i]);
        if (single !== undefined) return single(k, out);
        let c = starts.length - 1;
        while (starts[c] > k) c--;
        return chunks[c](k - starts[c], out);
      };
    }
    default:
      throw new Unrepresentable(`type ${String(type)} cannot be written as text`, 'cast the column to a supported type');
  }
}

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Proleptic Gregorian date of a day number (Howard Hinnant's civil_from_days), into `ymd`. */
const ymd = { y: 0, m: 0, d: 0 };
function civil(days: number): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  ymd.d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  ymd.m = mp < 10 ? mp + 3 : mp - 9;
  ymd.y = era * 400 + yoe + (ymd.m <= 2 ? 1 : 0);
}

/** Writes 0 <= v < 100 as two digits. */
function two(out: TextOut, v: number): void {
  out.byte(0x30 + ((v / 10) | 0));
  out.byte(0x30 + (v % 10));
}

/** YYYY-MM-DD; a year outside 0-9999 is written as it is (and refused by the date parser, naming the row). */
function writeDate(days: number, out: TextOut): void {
  civil(days);
  const { y, m, d } = ymd;
  if (y >= 0 && y <= 9999) {
    two(out, (y / 100) | 0);
    two(out, y % 100);
  } else out.ascii(String(y));
  out.byte(0x2d);
  two(out, m);
  out.byte(0x2d);
  two(out, d);
}

/** Writes an instant given in `perSecond` units as ISO 8601 UTC with `digits` fraction digits (trailing zeros cut). */
function writeTimestamp(lo: number, hi: number, perSecond: number, digits: number, out: TextOut): void {
  let seconds: number;
  let frac: number;
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + (lo >>> 0);
    seconds = Math.floor(v / perSecond);
    frac = v - seconds * perSecond;
  } else {
    const v = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
    const p = BigInt(perSecond);
    let s = v / p;
    let f = v % p;
    if (f < 0n) { f += p; s -= 1n; }
    seconds = Number(s);
    frac = Number(f);
  }
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  writeDate(days, out);
  out.byte(0x54);
  two(out, Math.floor(rest / 3600));
  out.byte(0x3a);
  two(out, Math.floor((rest % 3600) / 60));
  out.byte(0x3a);
  two(out, rest % 60);
  if (digits > 0 && frac !== 0) {
    // `digits` fraction digits, leading zeros kept, trailing zeros dropped: no string per value.
    out.byte(0x2e);
    out.reserve(digits);
    let end = out.pos + digits;
    for (let k = end - 1; k >= out.pos; k--) {
      out.buf[k] = 0x30 + (frac % 10);
      frac = Math.floor(frac / 10);
    }
    while (out.buf[end - 1] === 0x30) end--;
    out.pos = end;
  }
  out.byte(0x5a);
}
