import {
  Bool, type Data, DateDay, Field, Float32, Float64, Int32, Int64, List, TimestampMicrosecond, type DataType, Utf8, makeData,
} from 'apache-arrow';
import { FIELD_ESCAPED } from '../input/scanner.js';
import {
  int64Out, isNaNLiteral, parseBoolean, parseDate, parseDatetime, parseDouble, parseInt64, parseSafeInt,
} from '../input/value-parsers.js';
import type { BaseType, PropertyType } from '../schema/types.js';

const INITIAL_ROWS = 1024;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Accumulates one column: values, a validity bitmap (allocated at the first null) and, for variable-width types,
 * offsets. Values come straight from field bytes (`appendBytes`) so the hot path makes no JS strings. Lifecycle
 * after Arrow's builders: append -> toData (an Arrow Data over the builder's memory) -> reset.
 */
export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  protected validity: Uint8Array | null = null;

  abstract readonly arrowType: DataType;
  /** Appends the value in `buf[s, e)`; false when the bytes are not a value of this type (nothing appended). */
  abstract appendBytes(buf: Uint8Array, s: number, e: number, flags: number): boolean;
  protected abstract appendEmptyValue(): void;
  protected abstract buffers(): { data?: ArrayBufferView; valueOffsets?: Int32Array; child?: Data };
  /** A new builder of the same type holding rows `perm[0..n)` of this one, in that order. */
  abstract gather(perm: Uint32Array): ColumnBuilder;
  protected abstract clearValues(): void;

  /** Appends a null. */
  appendNull(): void {
    if (this.validity === null) this.validity = allOnes(Math.max(this.length + 1, INITIAL_ROWS));
    ensureBits(this, this.length + 1);
    this.validity![this.length >> 3] &= ~(1 << (this.length & 7));
    this.nullCount++;
    this.appendEmptyValue();
  }

  /** Appends `n` nulls (used when a column starts after rows already exist). */
  appendNulls(n: number): void {
    for (let i = 0; i < n; i++) this.appendNull();
  }

  /** True when row `i` is not null. */
  isValid(i: number): boolean {
    return this.validity === null || (this.validity[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** The column as Arrow Data sharing this builder's memory: valid until the next append or reset. */
  toData(): Data {
    const { data, valueOffsets, child } = this.buffers();
    const nullBitmap = this.nullCount > 0 && this.validity !== null ? this.validity.subarray(0, (this.length + 7) >> 3) : undefined;
    return makeData({ type: this.arrowType, length: this.length, nullCount: this.nullCount, data, valueOffsets, child, nullBitmap } as never);
  }

  /**
   * Forgets all rows and takes fresh memory of the same capacity. The old memory is never reused: Arrow's writer
   * queues views of these buffers, not copies, until the bytes reach the file.
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

  protected gatherValidity(target: ColumnBuilder, perm: Uint32Array): void {
    if (this.validity === null || this.nullCount === 0) return;
    target.validity = allOnes(perm.length);
    for (let i = 0; i < perm.length; i++) {
      if (!this.isValid(perm[i])) {
        target.validity[i >> 3] &= ~(1 << (i & 7));
        target.nullCount++;
      }
    }
  }
}

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
abstract class FixedBuilder<T extends NumericArray> extends ColumnBuilder {
  protected values: T;
  constructor(protected readonly make: (n: number) => T, protected readonly slotsPerRow = 1) {
    super();
    this.values = make(INITIAL_ROWS * slotsPerRow);
  }
  protected reserve(): void {
    if ((this.length + 1) * this.slotsPerRow <= this.values.length) return;
    const bigger = this.make(this.values.length * 2);
    bigger.set(this.values as never);
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
  protected clearValues(): void {
    this.values = this.make(this.values.length);
  }
  protected gatherInto<B extends FixedBuilder<T>>(target: B, perm: Uint32Array): B {
    const k = this.slotsPerRow;
    target.values = this.make(Math.max(perm.length * k, k));
    for (let i = 0; i < perm.length; i++) {
      for (let j = 0; j < k; j++) target.values[i * k + j] = this.values[perm[i] * k + j];
    }
    target.length = perm.length;
    this.gatherValidity(target, perm);
    return target;
  }
  protected buffers(): { data: ArrayBufferView } {
    return { data: this.values.subarray(0, this.length * this.slotsPerRow) };
  }
}

/** 32-bit signed integers (`int`). */
export class Int32ColumnBuilder extends FixedBuilder<Int32Array> {
  readonly arrowType = new Int32();
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
abstract class Int64LikeBuilder extends FixedBuilder<Int32Array> {
  constructor() { super((n) => new Int32Array(n), 2); }
  /** Appends the value currently in `int64Out`. */
  protected pushInt64Out(): void {
    this.reserve();
    this.markValid();
    this.values[this.length * 2] = int64Out.lo;
    this.values[this.length * 2 + 1] = int64Out.hi;
    this.length++;
  }
  protected override buffers(): { data: ArrayBufferView } {
    return { data: new BigInt64Array(this.values.buffer, this.values.byteOffset, this.length) };
  }
}

/** 64-bit signed integers (`long`). */
export class Int64ColumnBuilder extends Int64LikeBuilder {
  readonly arrowType = new Int64();
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    if (!parseInt64(buf, s, e)) return false;
    this.pushInt64Out();
    return true;
  }
  /** Appends (lo, hi) halves of an int64. */
  appendHalves(lo: number, hi: number): void {
    int64Out.lo = lo;
    int64Out.hi = hi;
    this.pushInt64Out();
  }
  gather(perm: Uint32Array): Int64ColumnBuilder { return this.gatherInto(new Int64ColumnBuilder(), perm); }
}

/** Date-times as microseconds since the epoch, UTC. */
export class TimestampColumnBuilder extends Int64LikeBuilder {
  readonly arrowType = new TimestampMicrosecond('UTC');
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    if (!parseDatetime(buf, s, e)) return false;
    this.pushInt64Out();
    return true;
  }
  gather(perm: Uint32Array): TimestampColumnBuilder { return this.gatherInto(new TimestampColumnBuilder(), perm); }
}

/** IEEE doubles (`double`) or singles (`float`). */
export class FloatColumnBuilder extends FixedBuilder<Float64Array | Float32Array> {
  readonly arrowType: DataType;
  constructor(readonly single: boolean) {
    super(single ? (n) => new Float32Array(n) : (n) => new Float64Array(n));
    this.arrowType = single ? new Float32() : new Float64();
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
  readonly arrowType = new DateDay();
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
  readonly arrowType = new Bool();
  constructor() { super((n) => new Uint8Array(n)); }
  appendBytes(buf: Uint8Array, s: number, e: number): boolean {
    const v = parseBoolean(buf, s, e);
    if (v < 0) return false;
    this.push(v);
    return true;
  }
  gather(perm: Uint32Array): BoolColumnBuilder { return this.gatherInto(new BoolColumnBuilder(), perm); }
  protected override buffers(): { data: ArrayBufferView } {
    const packed = new Uint8Array((this.length + 7) >> 3);
    for (let i = 0; i < this.length; i++) if (this.values[i] !== 0) packed[i >> 3] |= 1 << (i & 7);
    return { data: packed };
  }
}

/** UTF-8 strings: the field's bytes are copied as they are, doubled quotes collapsed when the field had them. */
export class Utf8ColumnBuilder extends ColumnBuilder {
  readonly arrowType = new Utf8();
  private offsets = new Int32Array(INITIAL_ROWS + 1);
  private bytes = new Uint8Array(INITIAL_ROWS * 16);
  private used = 0;
  constructor(private readonly quote = 0x22) { super(); }

  appendBytes(buf: Uint8Array, s: number, e: number, flags: number): boolean {
    this.reserveBytes(e - s);
    if ((flags & FIELD_ESCAPED) === 0) {
      this.bytes.set(buf.subarray(s, e), this.used);
      this.used += e - s;
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
  private endRow(): void {
    this.reserveRow();
    this.markValid();
    this.length++;
    this.offsets[this.length] = this.used;
  }
  private reserveRow(): void {
    if (this.length + 2 <= this.offsets.length) return;
    const bigger = new Int32Array(this.offsets.length * 2);
    bigger.set(this.offsets);
    this.offsets = bigger;
  }
  private reserveBytes(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    bigger.set(this.bytes.subarray(0, this.used));
    this.bytes = bigger;
  }
  protected clearValues(): void {
    this.used = 0;
    this.offsets = new Int32Array(this.offsets.length);
    this.bytes = new Uint8Array(this.bytes.length);
  }
  gather(perm: Uint32Array): Utf8ColumnBuilder {
    const out = new Utf8ColumnBuilder(this.quote);
    out.offsets = new Int32Array(perm.length + 1);
    let total = 0;
    for (let i = 0; i < perm.length; i++) total += this.offsets[perm[i] + 1] - this.offsets[perm[i]];
    out.bytes = new Uint8Array(Math.max(total, 1));
    for (let i = 0; i < perm.length; i++) {
      const s = this.offsets[perm[i]];
      const e = this.offsets[perm[i] + 1];
      out.bytes.set(this.bytes.subarray(s, e), out.used);
      out.used += e - s;
      out.offsets[i + 1] = out.used;
    }
    out.length = perm.length;
    this.gatherValidity(out, perm);
    return out;
  }
  protected buffers(): { data: Uint8Array; valueOffsets: Int32Array } {
    return { data: this.bytes.subarray(0, this.used), valueOffsets: this.offsets.subarray(0, this.length + 1) };
  }
}

/** Arrays (`type[]`): a field split at the array delimiter, each element appended to the child builder. */
export class ListColumnBuilder extends ColumnBuilder {
  readonly arrowType: DataType;
  private offsets = new Int32Array(INITIAL_ROWS + 1);
  constructor(readonly child: ColumnBuilder, private readonly arrayDelimiter: number) {
    super();
    this.arrowType = new List(new Field('item', child.arrowType, true));
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
  private reserveRow(): void {
    if (this.length + 2 <= this.offsets.length) return;
    const bigger = new Int32Array(this.offsets.length * 2);
    bigger.set(this.offsets);
    this.offsets = bigger;
  }
  protected clearValues(): void {
    this.child.reset();
    this.offsets = new Int32Array(this.offsets.length);
  }
  gather(perm: Uint32Array): ListColumnBuilder {
    let total = 0;
    for (let i = 0; i < perm.length; i++) total += this.offsets[perm[i] + 1] - this.offsets[perm[i]];
    const elements = new Uint32Array(total);
    const out = new ListColumnBuilder(this.child, this.arrayDelimiter);
    out.offsets = new Int32Array(perm.length + 1);
    let k = 0;
    for (let i = 0; i < perm.length; i++) {
      for (let j = this.offsets[perm[i]]; j < this.offsets[perm[i] + 1]; j++) elements[k++] = j;
      out.offsets[i + 1] = k;
    }
    (out as { child: ColumnBuilder }).child = this.child.gather(elements);
    out.length = perm.length;
    this.gatherValidity(out, perm);
    return out;
  }
  protected buffers(): { valueOffsets: Int32Array; child: Data } {
    return { valueOffsets: this.offsets.subarray(0, this.length + 1), child: this.child.toData() };
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
