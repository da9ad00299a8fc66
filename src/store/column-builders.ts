import { FIELD_ESCAPED } from '../input/scanner.js';
import {
  int64Out, isNaNLiteral, parseBoolean, parseDate, parseDatetime, parseDouble, parseInt64, parseSafeInt,
} from '../input/value-parsers.js';
import type { BaseType, PropertyType } from '../schema/types.js';

/** How a column is stored: each maps to one Arrow type (arrow-columns.ts). */
export type Storage = 'int32' | 'int64' | 'timestamp' | 'float32' | 'float64' | 'date' | 'bool' | 'utf8' | 'list';

const INITIAL_ROWS = 1024;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Encoding header: builder tag, rows, nulls (u32 little-endian each). */
const HEADER_BYTES = 12;
/** The tag of each storage in an encoding's header (see ColumnBuilder): fixed numbers, written to spill files. */
const ENCODING_TAGS: Record<Storage, number> = {
  int32: 1, int64: 2, timestamp: 3, float32: 4, float64: 5, date: 6, bool: 7, utf8: 8, list: 9,
};
const NO_ROWS = new Uint32Array(0);

/**
 * Accumulates one column: values, a validity bitmap (allocated at the first null) and, for variable-width types,
 * offsets. Values come straight from field bytes (`appendBytes`) so the hot path makes no JS strings. Lifecycle
 * after Arrow's builders: append -> hand over the Arrow-layout buffers (see arrow-columns.ts) -> reset. The module
 * does not load Arrow itself: worker threads build, encode and gather columns, and only the store writers on the
 * main thread turn them into Arrow data (loading Arrow costs a worker ~0.1 s of start-up).
 *
 * The parallel engine also moves rows between builders: `encode`/`appendEncoded` carry them through worker messages
 * and spill files, `appendGathered` reorders them into CSR order. Encoding, all integers little-endian:
 *   u32 tag (the builder type), u32 rows, u32 nulls, [bitmap: ceil(rows / 8) bytes, only when nulls > 0], body.
 * Bodies: fixed-width types hold the value memory as it is (rows * 1, 4 or 8 bytes; booleans one byte per row);
 * strings hold u32 byte count, rows int32 end offsets (the start is 0) and the bytes; lists hold rows int32 end
 * offsets into the child and then the child's own encoding.
 */
export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  protected validity: Uint8Array | null = null;

  /** The stored column type (see arrow-columns.ts for its Arrow type); lists give their element type by `child`. */
  abstract readonly storage: Storage;
  /** Appends the value in `buf[s, e)`; false when the bytes are not a value of this type (nothing appended). */
  abstract appendBytes(buf: Uint8Array, s: number, e: number, flags: number): boolean;
  protected abstract appendEmptyValue(): void;
  /** The rows' memory in Arrow's layout (values, offsets, child column): views, valid until the next append or reset. */
  abstract buffers(): { data?: ArrayBufferView; valueOffsets?: Int32Array; child?: ColumnBuilder };
  /** A new builder of the same type holding rows `perm[0..n)` of this one, in that order. */
  abstract gather(perm: Uint32Array): ColumnBuilder;
  protected abstract clearValues(): void;
  /** Bytes the type-specific part of `encode` takes. */
  protected abstract bodySize(): number;
  /** Writes the type-specific part at `out[at]`; returns the end. */
  protected abstract writeBody(out: Uint8Array, at: number): number;
  /** Appends `n` rows' values (not validity) from `bytes[at]`, length included; returns the end. */
  protected abstract readBody(bytes: Uint8Array, at: number, n: number): number;
  /** Appends the values (not validity) of `source[perm[from..to)]`, length included; `source` has this type. */
  protected abstract gatherValues(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void;

  /** Appends a null. */
  appendNull(): void {
    if (this.validity === null) this.validity = allOnes(Math.max(this.length + 1, INITIAL_ROWS));
    ensureBits(this, this.length + 1);
    this.validity![this.length >> 3] &= ~(1 << (this.length & 7));
    this.nullCount++;
    this.appendEmptyValue();
  }

  /** Drops the rows from `n` on: undoes the part of a row appended before the row turned out bad. */
  truncate(n: number): void {
    if (n >= this.length) return;
    if (this.validity !== null) {
      // Restore the invariant that bits past `length` are set.
      for (let i = n; i < this.length; i++) {
        if ((this.validity[i >> 3] & (1 << (i & 7))) === 0) {
          this.nullCount--;
          this.validity[i >> 3] |= 1 << (i & 7);
        }
      }
    }
    this.truncateValues(n);
    this.length = n;
  }

  /** Type-specific part of truncate (fixed-width values past `length` are simply ignored). */
  protected truncateValues(n: number): void {
    void n;
  }

  /** Appends `n` nulls (used when a column starts after rows already exist). */
  appendNulls(n: number): void {
    for (let i = 0; i < n; i++) this.appendNull();
  }

  /** True when row `i` is not null. */
  isValid(i: number): boolean {
    return this.validity === null || (this.validity[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** The validity bitmap of the rows (a view), or undefined when none is null. */
  nullBitmap(): Uint8Array | undefined {
    return this.nullCount > 0 && this.validity !== null ? this.validity.subarray(0, (this.length + 7) >> 3) : undefined;
  }

  /**
   * Forgets all rows and keeps the memory for the next ones: views from buffers() are invalid afterwards (the store
   * writers call this once their sink has written those views out; see ArrowFileSink).
   */
  reset(): void {
    this.length = 0;
    this.nullCount = 0;
    this.validity = null;
    this.clearValues();
  }

  /** Marks row `length` valid in an existing bitmap (called by subclasses after appending a value). */
  protected markValid(): void {
    if (this.validity !== null) {
      ensureBits(this, this.length + 1);
      this.validity[this.length >> 3] |= 1 << (this.length & 7);
    }
  }

  /** Rows [0, length) in one new byte array that shares no memory with the builder: safe to transfer to another thread. */
  encode(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.encodedSize());
    this.encodeAt(out, 0);
    return out;
  }

  /** Bytes `encode` would return. */
  encodedLength(): number {
    return this.encodedSize();
  }

  /** Writes what `encode` returns into `out` at `at` (room for encodedLength() bytes); returns the end. */
  encodeInto(out: Uint8Array, at: number): number {
    return this.encodeAt(out, at);
  }

  /** Appends all rows of an `encode()` of a builder of this type, after the rows held: how chunks come back. */
  appendEncoded(bytes: Uint8Array): void {
    if (this.decodeAt(bytes, 0) !== bytes.length) throw new RangeError('column encoding has trailing bytes');
  }

  /** Appends `source[perm[from]], ..., source[perm[to - 1]]` (same type): the CSR build's reorder, chunk by chunk. */
  appendGathered(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void {
    if (source.storage !== this.storage) throw new TypeError('cannot gather from a builder of another type');
    if (!(from >= 0 && from <= to && to <= perm.length)) {
      throw new RangeError(`gather range [${from}, ${to}) is outside a permutation of ${perm.length}`);
    }
    this.gatherBits(source, perm, from, to);
    this.gatherValues(source, perm, from, to);
  }

  /**
   * Appends rows [from, to) of `source` (same type) in order: appendGathered through the identity, with the values
   * copied in bulk (a node table takes a worker's range of rows this way).
   */
  appendRange(source: ColumnBuilder, from: number, to: number): void {
    if (source.storage !== this.storage) throw new TypeError('cannot copy rows from a builder of another type');
    if (!(from >= 0 && from <= to && to <= source.length)) throw new RangeError(`row range [${from}, ${to}) is outside ${source.length} rows`);
    this.gatherBits(source, identityTo(to), from, to);
    this.copyValues(source, from, to);
  }

  /** Appends the values (not validity) of rows [from, to) of `source`; types with a bulk copy override it. */
  protected copyValues(source: ColumnBuilder, from: number, to: number): void {
    this.gatherValues(source, identityTo(to), from, to);
  }

  /** Bytes `encode` takes (a list adds its child's, encoded in place rather than through a copy). */
  protected encodedSize(): number {
    return HEADER_BYTES + (this.nullCount > 0 ? (this.length + 7) >> 3 : 0) + this.bodySize();
  }

  /** Writes the encoding at `out[at]`; returns the end. */
  protected encodeAt(out: Uint8Array, at: number): number {
    // The tag identifies the storage, so bytes of another type are refused instead of misread.
    writeU32(out, at, ENCODING_TAGS[this.storage]);
    writeU32(out, at + 4, this.length);
    writeU32(out, at + 8, this.nullCount);
    at += HEADER_BYTES;
    if (this.nullCount > 0) {
      const size = (this.length + 7) >> 3;
      out.set(this.validity!.subarray(0, size), at);
      at += size;
    }
    return this.writeBody(out, at);
  }

  /** Appends the rows encoded at `bytes[at]`; returns the end. */
  protected decodeAt(bytes: Uint8Array, at: number): number {
    need(bytes, at, HEADER_BYTES);
    if (readU32(bytes, at) !== ENCODING_TAGS[this.storage]) throw new TypeError('column encoding is of another type');
    const n = readU32(bytes, at + 4);
    const nulls = readU32(bytes, at + 8);
    at += HEADER_BYTES;
    const start = this.length;
    let bits: Uint8Array | null = null;
    if (nulls > 0) {
      const size = (n + 7) >> 3;
      need(bytes, at, size);
      bits = bytes.subarray(at, at + size);
      at += size;
    }
    at = this.readBody(bytes, at, n);
    // After the values: a malformed body throws before the null count changes.
    if (bits !== null) {
      this.takeBitmap(start + n);
      copyBits(bits, n, this.validity!, start);
      this.nullCount += nulls;
    } else if (this.validity !== null) {
      ensureBits(this, start + n);
    }
    return at;
  }

  /** Validity of the rows `gatherValues` is about to append at `length`. */
  private gatherBits(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void {
    const start = this.length;
    const end = start + to - from;
    if (source.validity === null || source.nullCount === 0) {
      // No nulls to copy, the common case: at most room in this column's bitmap, whose new bits are already set.
      if (this.validity !== null) ensureBits(this, end);
      return;
    }
    this.takeBitmap(end);
    const dst = this.validity!;
    const src = source.validity; // read after takeBitmap: `source` may be this builder
    let nulls = 0;
    for (let i = from, j = start; i < to; i++, j++) {
      const p = perm[i];
      if ((src[p >> 3] & (1 << (p & 7))) === 0) {
        dst[j >> 3] &= ~(1 << (j & 7));
        nulls++;
      }
    }
    this.nullCount += nulls;
  }

  /** Makes the bitmap exist (all rows held valid) with room for `bits` rows. */
  private takeBitmap(bits: number): void {
    if (this.validity === null) this.validity = allOnes(Math.max(bits, INITIAL_ROWS));
    else ensureBits(this, bits);
  }

  /** Fills a fresh `target` with rows `perm[0..n)` of this builder: `gather` for every type. */
  protected gatherInto<B extends ColumnBuilder>(target: B, perm: Uint32Array): B {
    target.appendGathered(this, perm, 0, perm.length);
    return target;
  }
}

/** A builder's encoding hooks, for a list to encode its child in place (protected calls are allowed only on `this`). */
interface Codec {
  encodedSize(): number;
  encodeAt(out: Uint8Array, at: number): number;
  decodeAt(bytes: Uint8Array, at: number): number;
}

function codec(b: ColumnBuilder): Codec {
  return b as unknown as Codec;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v;
  out[at + 1] = v >>> 8;
  out[at + 2] = v >>> 16;
  out[at + 3] = v >>> 24;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** Refuses an encoding too short for the next `n` bytes (a truncated spill file reads as an error, not as zeros). */
function need(bytes: Uint8Array, at: number, n: number): void {
  if (at + n > bytes.length) throw new RangeError('column encoding is truncated');
}

/** 0, 1, 2, ...: the permutation appendRange gathers validity (and values without a bulk copy) through. */
let identity = new Uint32Array(0);

/** The identity permutation, at least `n` long. */
function identityTo(n: number): Uint32Array {
  if (identity.length < n) identity = Uint32Array.from({ length: Math.max(n, 2 * identity.length) }, (_, i) => i);
  return identity;
}

/** A byte view of `n` bytes of `a` from byte `from`, for bulk copies between typed arrays of any element type. */
function byteView(a: ArrayBufferView, from: number, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset + from, n);
}

/** Copies bits [0, n) of `src` to bits [at, at + n) of `dst` a byte (or shifted byte) at a time, keeping other bits. */
function copyBits(src: Uint8Array, n: number, dst: Uint8Array, at: number): void {
  const whole = n >> 3;
  const shift = at & 7;
  if (shift === 0) {
    dst.set(src.subarray(0, whole), at >> 3);
  } else {
    const low = (1 << shift) - 1;
    for (let i = 0, d = at >> 3; i < whole; i++, d++) {
      const b = src[i];
      dst[d] = (dst[d] & low) | ((b << shift) & 0xff);
      dst[d + 1] = (dst[d + 1] & ~low) | (b >> (8 - shift));
    }
  }
  for (let i = whole << 3; i < n; i++) {
    const j = at + i;
    if ((src[i >> 3] & (1 << (i & 7))) === 0) dst[j >> 3] &= ~(1 << (j & 7));
    else dst[j >> 3] |= 1 << (j & 7);
  }
}

// Bits past `length` are always set (only appendNull clears one, at `length`): appended valid rows need only room.
function allOnes(bits: number): Uint8Array {
  return new Uint8Array((bits + 7) >> 3).fill(0xff);
}

function ensureBits(b: ColumnBuilder, bits: number): void {
  const v = (b as unknown as { validity: Uint8Array }).validity;
  if (v.length * 8 >= bits) return;
  const bigger = new Uint8Array(Math.max(v.length * 2, (bits + 7) >> 3)).fill(0xff);
  bigger.set(v);
  (b as unknown as { validity: Uint8Array }).validity = bigger;
}

type NumericArray = Int32Array | Float32Array | Float64Array | Uint8Array;

/** Fixed-width columns: one slot per row (two int32 slots for 64-bit types). */
export abstract class FixedBuilder<T extends NumericArray> extends ColumnBuilder {
  protected values: T;
  /** 1, 4 or 8: the width the bulk paths copy in, whatever the element type. */
  private readonly bytesPerRow: number;
  constructor(protected readonly make: (n: number) => T, protected readonly slotsPerRow = 1) {
    super();
    this.values = make(INITIAL_ROWS * slotsPerRow);
    this.bytesPerRow = this.values.BYTES_PER_ELEMENT * slotsPerRow;
  }
  protected reserve(): void {
    this.reserveRows(this.length + 1);
  }
  /** Room for `rows` rows in one step, so a bulk append copies the values at most once. */
  protected reserveRows(rows: number): void {
    if (rows * this.slotsPerRow <= this.values.length) return;
    const bigger = this.make(Math.max(this.values.length * 2, rows * this.slotsPerRow));
    bigger.set(this.values.subarray(0, this.length * this.slotsPerRow) as never);
    this.values = bigger;
  }
  protected appendEmptyValue(): void {
    this.reserve();
    this.values.fill(0 as never, this.length * this.slotsPerRow, (this.length + 1) * this.slotsPerRow);
    this.length++;
  }
  protected push(v: number): void {
    this.reserve();
    this.markValid();
    this.values[this.length++] = v;
  }
  /** Appends a value already in the column's representation (a typed value read from an Arrow buffer, say). */
  appendValue(v: number): void {
    this.push(v);
  }
  protected clearValues(): void {
    // Nothing to clear: rows past `length` are never read.
  }
  protected bodySize(): number {
    return this.length * this.bytesPerRow;
  }
  protected writeBody(out: Uint8Array, at: number): number {
    const size = this.length * this.bytesPerRow;
    out.set(byteView(this.values, 0, size), at);
    return at + size;
  }
  protected readBody(bytes: Uint8Array, at: number, n: number): number {
    const size = n * this.bytesPerRow;
    need(bytes, at, size);
    this.reserveRows(this.length + n);
    byteView(this.values, this.length * this.bytesPerRow, size).set(bytes.subarray(at, at + size));
    this.length += n;
    return at + size;
  }
  protected gatherValues(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void {
    this.reserveRows(this.length + to - from);
    const src = (source as FixedBuilder<T>).values; // read after reserveRows: `source` may be this builder
    // One loop per width over Uint8Array or Int32Array (floats as their bits), so each loop sees one element kind.
    if (this.bytesPerRow === 1) gather8Bit(this.values as Uint8Array, this.length, src as Uint8Array, perm, from, to);
    else if (this.bytesPerRow === 4) gather32Bit(int32View(this.values), this.length, int32View(src), perm, from, to);
    else gather64Bit(int32View(this.values), this.length, int32View(src), perm, from, to);
    this.length += to - from;
  }
  protected override copyValues(source: ColumnBuilder, from: number, to: number): void {
    this.reserveRows(this.length + to - from);
    const src = (source as FixedBuilder<T>).values; // read after reserveRows: `source` may be this builder
    const size = (to - from) * this.bytesPerRow;
    byteView(this.values, this.length * this.bytesPerRow, size).set(byteView(src, from * this.bytesPerRow, size));
    this.length += to - from;
  }
  buffers(): { data: ArrayBufferView } {
    return { data: this.values.subarray(0, this.length * this.slotsPerRow) };
  }
}

function int32View(a: NumericArray): Int32Array {
  return a instanceof Int32Array ? a : new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}

function gather8Bit(dst: Uint8Array, at: number, src: Uint8Array, perm: Uint32Array, from: number, to: number): void {
  for (let i = from, j = at; i < to; i++, j++) dst[j] = src[perm[i]];
}

function gather32Bit(dst: Int32Array, at: number, src: Int32Array, perm: Uint32Array, from: number, to: number): void {
  for (let i = from, j = at; i < to; i++, j++) dst[j] = src[perm[i]];
}

function gather64Bit(dst: Int32Array, at: number, src: Int32Array, perm: Uint32Array, from: number, to: number): void {
  for (let i = from, j = at * 2; i < to; i++, j += 2) {
    const p = perm[i] * 2;
    dst[j] = src[p];
    dst[j + 1] = src[p + 1];
  }
}

/** 32-bit signed integers (`int`). */
export class Int32ColumnBuilder extends FixedBuilder<Int32Array> {
  readonly storage = 'int32';
  constructor() { super((n) => new Int32Array(n)); }
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    const v = parseSafeInt(buf, s, e);
    if (!(v >= INT32_MIN && v <= INT32_MAX)) return false;
    this.push(v);
    return true;
  }
  gather(perm: Uint32Array): Int32ColumnBuilder { return this.gatherInto(new Int32ColumnBuilder(), perm); }
}

/** 64-bit integers held as little-endian int32 halves, so parsing never makes a BigInt on the fast path. */
export abstract class Int64LikeBuilder extends FixedBuilder<Int32Array> {
  constructor() { super((n) => new Int32Array(n), 2); }
  /** Appends the value currently in `int64Out`. */
  protected pushInt64Out(): void {
    this.reserve();
    this.markValid();
    this.values[this.length * 2] = int64Out.lo;
    this.values[this.length * 2 + 1] = int64Out.hi;
    this.length++;
  }
  override buffers(): { data: ArrayBufferView } {
    return { data: new BigInt64Array(this.values.buffer, this.values.byteOffset, this.length) };
  }
  /** The values held, as (lo, hi) int32 halves per row: a view, valid until the next append. */
  halves(): Int32Array {
    return this.values.subarray(0, 2 * this.length);
  }
  /** Appends (lo, hi) int32 halves of an int64. */
  appendHalves(lo: number, hi: number): void {
    int64Out.lo = lo;
    int64Out.hi = hi;
    this.pushInt64Out();
  }
}

/** 64-bit signed integers (`long`). */
export class Int64ColumnBuilder extends Int64LikeBuilder {
  readonly storage = 'int64';
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    if (!parseInt64(buf, s, e)) return false;
    this.pushInt64Out();
    return true;
  }
  gather(perm: Uint32Array): Int64ColumnBuilder { return this.gatherInto(new Int64ColumnBuilder(), perm); }
}

/** Date-times as microseconds since the epoch, UTC. */
export class TimestampColumnBuilder extends Int64LikeBuilder {
  readonly storage = 'timestamp';
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    if (!parseDatetime(buf, s, e)) return false;
    this.pushInt64Out();
    return true;
  }
  gather(perm: Uint32Array): TimestampColumnBuilder { return this.gatherInto(new TimestampColumnBuilder(), perm); }
}

/** IEEE doubles (`double`) or singles (`float`). */
export class FloatColumnBuilder extends FixedBuilder<Float64Array | Float32Array> {
  readonly storage: Storage;
  constructor(readonly single: boolean) {
    super(single ? (n) => new Float32Array(n) : (n) => new Float64Array(n));
    this.storage = single ? 'float32' : 'float64';
  }
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    const v = parseDouble(buf, s, e);
    if (v !== v && !isNaNLiteral(buf, s, e)) return false;
    this.push(v);
    return true;
  }
  gather(perm: Uint32Array): FloatColumnBuilder { return this.gatherInto(new FloatColumnBuilder(this.single), perm); }
}

/** Calendar dates as days since the epoch. */
export class DateColumnBuilder extends FixedBuilder<Int32Array> {
  readonly storage = 'date';
  constructor() { super((n) => new Int32Array(n)); }
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    const v = parseDate(buf, s, e);
    if (v !== v) return false;
    this.push(v);
    return true;
  }
  gather(perm: Uint32Array): DateColumnBuilder { return this.gatherInto(new DateColumnBuilder(), perm); }
}

/** Booleans, one byte per row while building, bit-packed for Arrow. */
export class BoolColumnBuilder extends FixedBuilder<Uint8Array> {
  readonly storage = 'bool';
  constructor() { super((n) => new Uint8Array(n)); }
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    const v = parseBoolean(buf, s, e);
    if (v < 0) return false;
    this.push(v);
    return true;
  }
  gather(perm: Uint32Array): BoolColumnBuilder { return this.gatherInto(new BoolColumnBuilder(), perm); }
  override buffers(): { data: ArrayBufferView } {
    const packed = new Uint8Array((this.length + 7) >> 3);
    for (let i = 0; i < this.length; i++) if (this.values[i] !== 0) packed[i >> 3] |= 1 << (i & 7);
    return { data: packed };
  }
}

/** UTF-8 strings: the field's bytes are copied as they are, doubled quotes collapsed when the field had them. */
export class Utf8ColumnBuilder extends ColumnBuilder {
  readonly storage = 'utf8';
  private offsets = new Int32Array(INITIAL_ROWS + 1);
  private bytes = new Uint8Array(INITIAL_ROWS * 16);
  private used = 0;
  constructor(private readonly quote = 0x22) { super(); }

  appendBytes(buf: Uint8Array, s: number, e: number, flags: number): boolean {
    this.reserveBytes(e - s);
    if ((flags & FIELD_ESCAPED) === 0) {
      // Short strings by hand: `buf` is usually a Buffer, whose subarray builds a new Buffer object per value (about
      // 90 ns, 6% of a node file with one name column).
      const bytes = this.bytes;
      if (e - s <= 32) {
        let used = this.used;
        for (let i = s; i < e; i++) bytes[used++] = buf[i];
        this.used = used;
      } else {
        bytes.set(Uint8Array.prototype.subarray.call(buf, s, e), this.used);
        this.used += e - s;
      }
    } else {
      for (let i = s; i < e; i++) {
        this.bytes[this.used++] = buf[i];
        if (buf[i] === this.quote && i + 1 < e && buf[i + 1] === this.quote) i++;
      }
    }
    this.endRow();
    return true;
  }
  protected appendEmptyValue(): void {
    this.reserveRow();
    this.length++;
    this.offsets[this.length] = this.used;
  }
  protected override truncateValues(n: number): void {
    this.used = this.offsets[n];
  }
  private endRow(): void {
    this.reserveRow();
    this.markValid();
    this.length++;
    this.offsets[this.length] = this.used;
  }
  private reserveRow(): void {
    this.reserveRows(this.length + 1);
  }
  /** Room for `rows` rows' offsets in one step, so a bulk append copies them at most once. */
  private reserveRows(rows: number): void {
    if (rows + 1 <= this.offsets.length) return;
    const bigger = new Int32Array(Math.max(this.offsets.length * 2, rows + 1));
    bigger.set(this.offsets.subarray(0, this.length + 1));
    this.offsets = bigger;
  }
  private reserveBytes(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    // Arrow's Utf8 offsets are int32: past that they would wrap and silently point at the wrong strings.
    if (this.used + n > INT32_MAX) throw new RangeError('string column chunk over 2 GiB');
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    bigger.set(this.bytes.subarray(0, this.used));
    this.bytes = bigger;
  }
  protected clearValues(): void {
    this.used = 0; // offsets[0] is never written, so it stays 0
  }
  gather(perm: Uint32Array): Utf8ColumnBuilder { return this.gatherInto(new Utf8ColumnBuilder(this.quote), perm); }
  protected bodySize(): number {
    return 4 + this.length * 4 + this.used;
  }
  protected writeBody(out: Uint8Array, at: number): number {
    writeU32(out, at, this.used);
    out.set(byteView(this.offsets, 4, this.length * 4), at + 4);
    at += 4 + this.length * 4;
    out.set(this.bytes.subarray(0, this.used), at);
    return at + this.used;
  }
  protected readBody(bytes: Uint8Array, at: number, n: number): number {
    need(bytes, at, 4);
    const total = readU32(bytes, at);
    at += 4;
    need(bytes, at, n * 4 + total);
    this.reserveRows(this.length + n);
    this.reserveBytes(total);
    const first = this.length + 1;
    byteView(this.offsets, first * 4, n * 4).set(bytes.subarray(at, at + n * 4));
    if (this.used !== 0) for (let i = first, base = this.used; i < first + n; i++) this.offsets[i] += base;
    at += n * 4;
    this.bytes.set(bytes.subarray(at, at + total), this.used);
    this.used += total;
    this.length += n;
    return at + total;
  }
  protected gatherValues(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void {
    const src = source as Utf8ColumnBuilder;
    let total = 0;
    for (let i = from; i < to; i++) total += src.offsets[perm[i] + 1] - src.offsets[perm[i]];
    this.reserveRows(this.length + to - from);
    this.reserveBytes(total);
    const so = src.offsets; // read after reserving: `source` may be this builder
    const sb = src.bytes;
    const offsets = this.offsets;
    const bytes = this.bytes;
    let used = this.used;
    for (let i = from, j = this.length + 1; i < to; i++, j++) {
      const s = so[perm[i]];
      const e = so[perm[i] + 1];
      // Short strings by hand: a subarray per row would allocate in the hottest loop.
      if (e - s <= 32) for (let k = s; k < e; k++) bytes[used++] = sb[k];
      else {
        bytes.set(sb.subarray(s, e), used);
        used += e - s;
      }
      offsets[j] = used;
    }
    this.used = used;
    this.length += to - from;
  }
  protected override copyValues(source: ColumnBuilder, from: number, to: number): void {
    const src = source as Utf8ColumnBuilder;
    const n = to - from;
    const first = src.offsets[from];
    const total = src.offsets[to] - first;
    this.reserveRows(this.length + n);
    this.reserveBytes(total);
    const so = src.offsets; // read after reserving: `source` may be this builder
    this.bytes.set(src.bytes.subarray(first, first + total), this.used);
    const shift = this.used - first;
    for (let i = from + 1, j = this.length + 1; i <= to; i++, j++) this.offsets[j] = so[i] + shift;
    this.used += total;
    this.length += n;
  }
  buffers(): { data: Uint8Array; valueOffsets: Int32Array } {
    return { data: this.bytes.subarray(0, this.used), valueOffsets: this.offsets.subarray(0, this.length + 1) };
  }
  /** The values held: row r is bytes[offsets[r], offsets[r + 1]). Views, valid until the next append. */
  values(): { bytes: Uint8Array; offsets: Int32Array } {
    const { data, valueOffsets } = this.buffers();
    return { bytes: data, offsets: valueOffsets };
  }
}

/** Arrays (`type[]`): a field split at the array delimiter, each element appended to the child builder. */
export class ListColumnBuilder extends ColumnBuilder {
  readonly storage = 'list';
  private offsets = new Int32Array(INITIAL_ROWS + 1);
  constructor(readonly child: ColumnBuilder, private readonly arrayDelimiter: number) {
    super();
  }
  appendBytes(buf: Uint8Array, s: number, e: number, flags: number): boolean {
    const before = this.child.length;
    let from = s;
    for (let i = s; i <= e; i++) {
      if (i < e && buf[i] !== this.arrayDelimiter) continue;
      if (i === s && i === e) break; // "" is the empty list
      // An empty element is null, except in a string array where it is the empty string.
      if (i === from && !(this.child instanceof Utf8ColumnBuilder)) this.child.appendNull();
      else if (!this.child.appendBytes(buf, from, i, flags)) {
        this.truncateChild(before);
        return false;
      }
      from = i + 1;
    }
    this.reserveRow();
    this.markValid();
    this.length++;
    this.offsets[this.length] = this.child.length;
    return true;
  }
  private truncateChild(to: number): void {
    if (this.child.length === to) return;
    // Rare (a cast failure mid-array): rebuild the child without the partial elements.
    const keep = new Uint32Array(to);
    for (let i = 0; i < to; i++) keep[i] = i;
    (this as { child: ColumnBuilder }).child = this.child.gather(keep);
  }
  protected appendEmptyValue(): void {
    this.reserveRow();
    this.length++;
    this.offsets[this.length] = this.child.length;
  }
  protected override truncateValues(n: number): void {
    this.child.truncate(this.offsets[n]);
  }
  private reserveRow(): void {
    this.reserveRows(this.length + 1);
  }
  /** Room for `rows` rows' offsets in one step, so a bulk append copies them at most once. */
  private reserveRows(rows: number): void {
    if (rows + 1 <= this.offsets.length) return;
    const bigger = new Int32Array(Math.max(this.offsets.length * 2, rows + 1));
    bigger.set(this.offsets.subarray(0, this.length + 1));
    this.offsets = bigger;
  }
  protected clearValues(): void {
    this.child.reset(); // offsets[0] is never written, so it stays 0
  }
  gather(perm: Uint32Array): ListColumnBuilder {
    // Gathering no rows is how to get an empty builder of the child's type (and dialect).
    return this.gatherInto(new ListColumnBuilder(this.child.gather(NO_ROWS), this.arrayDelimiter), perm);
  }
  protected bodySize(): number {
    return this.length * 4 + codec(this.child).encodedSize();
  }
  protected writeBody(out: Uint8Array, at: number): number {
    out.set(byteView(this.offsets, 4, this.length * 4), at);
    return codec(this.child).encodeAt(out, at + this.length * 4);
  }
  protected readBody(bytes: Uint8Array, at: number, n: number): number {
    need(bytes, at, n * 4);
    this.reserveRows(this.length + n);
    const first = this.length + 1;
    byteView(this.offsets, first * 4, n * 4).set(bytes.subarray(at, at + n * 4));
    const base = this.child.length;
    if (base !== 0) for (let i = first; i < first + n; i++) this.offsets[i] += base;
    at = codec(this.child).decodeAt(bytes, at + n * 4);
    this.length += n;
    if (this.offsets[this.length] !== this.child.length) throw new RangeError('list encoding disagrees with its child');
    return at;
  }
  protected gatherValues(source: ColumnBuilder, perm: Uint32Array, from: number, to: number): void {
    const src = source as ListColumnBuilder;
    this.reserveRows(this.length + to - from);
    const so = src.offsets; // read after reserveRows: `source` may be this builder
    let total = 0;
    for (let i = from; i < to; i++) total += so[perm[i] + 1] - so[perm[i]];
    const elements = new Uint32Array(total);
    const offsets = this.offsets;
    const base = this.child.length;
    let k = 0;
    for (let i = from, j = this.length + 1; i < to; i++, j++) {
      for (let e = so[perm[i]], end = so[perm[i] + 1]; e < end; e++) elements[k++] = e;
      offsets[j] = base + k;
    }
    this.child.appendGathered(src.child, elements, 0, total);
    this.length += to - from;
  }
  buffers(): { valueOffsets: Int32Array; child: ColumnBuilder } {
    return { valueOffsets: this.offsets.subarray(0, this.length + 1), child: this.child };
  }
}

function scalarBuilder(base: BaseType, quote: number): ColumnBuilder {
  switch (base) {
    case 'int': return new Int32ColumnBuilder();
    case 'long': return new Int64ColumnBuilder();
    case 'float': return new FloatColumnBuilder(true);
    case 'double': return new FloatColumnBuilder(false);
    case 'boolean': return new BoolColumnBuilder();
    case 'string': return new Utf8ColumnBuilder(quote);
    case 'date': return new DateColumnBuilder();
    case 'datetime': return new TimestampColumnBuilder();
  }
}

/** A builder for a property type; `quote` and `arrayDelimiter` are the file dialect's bytes. */
export function createColumnBuilder(type: PropertyType, quote: number, arrayDelimiter: number): ColumnBuilder {
  const scalar = scalarBuilder(type.base, quote);
  return type.array ? new ListColumnBuilder(scalar, arrayDelimiter) : scalar;
}
