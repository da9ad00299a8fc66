import type { FileHandle } from 'node:fs/promises';
import { type Data, type DataType, DateUnit, type Field, Message, MessageHeader, Precision, type Schema, Type, type Vector, makeData } from 'apache-arrow';
import { DamagedArrowData } from './arrow-native.js';

/**
 * Rows [from, to) of an uncompressed Arrow IPC record batch, read from the file without reading the batch: only
 * the byte ranges of those rows in each column's buffers (validity bits, values, string offsets and their bytes).
 * A batch of any size (polars writes a whole frame as one) is then read in slices, by several workers at once, in
 * the memory of a slice. Compressed batches cannot be cut this way (their buffers are compressed whole).
 */

/** A record batch's message header: what slicing needs. */
export interface BatchHeader {
  rows: number;
  compressed: boolean;
  /** File offset of the batch's body (buffer offsets count from it) and its length. */
  bodyStart: number;
  bodyLength: number;
  nodes: { length: number; nullCount: number }[];
  buffers: { offset: number; length: number }[];
}

/** Parses a record batch's message (the bytes at its block's offset, `metaLength` of them). */
export function parseBatchHeader(bytes: Uint8Array, blockOffset: number, metaLength: number, bodyLength: number, unit: number): BatchHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A message starts with its length, after a 0xFFFFFFFF continuation marker (files from Arrow >= 0.15).
  let at = 4;
  let length = view.getInt32(0, true);
  if (length === -1) {
    length = view.getInt32(4, true);
    at = 8;
  }
  if (length <= 0 || at + length > metaLength) throw new Error(`record batch ${unit} has a damaged message header`);
  const message = Message.decode(bytes.subarray(at, at + length));
  if (message.headerType !== MessageHeader.RecordBatch) throw new Error(`block ${unit} of the footer is not a record batch`);
  const h = message.header() as unknown as {
    length: number | bigint; compression: unknown;
    nodes: { length: number | bigint; nullCount: number | bigint }[]; buffers: { offset: number | bigint; length: number | bigint }[];
  };
  return {
    rows: Number(h.length),
    compressed: h.compression !== null && h.compression !== undefined,
    bodyStart: blockOffset + metaLength,
    bodyLength,
    nodes: h.nodes.map((n) => ({ length: Number(n.length), nullCount: Number(n.nullCount) })),
    buffers: h.buffers.map((b) => ({ offset: Number(b.offset), length: Number(b.length) })),
  };
}

/** Bytes per value of a fixed-width type this module slices, or 0 for variable-width ones. */
function valueWidth(type: DataType): number {
  switch (type.typeId) {
    case Type.Int: return (type as unknown as { bitWidth: number }).bitWidth / 8;
    case Type.Float: {
      const p = (type as unknown as { precision: Precision }).precision;
      return p === Precision.HALF ? 2 : p === Precision.SINGLE ? 4 : 8;
    }
    case Type.Date: return (type as unknown as { unit: DateUnit }).unit === DateUnit.DAY ? 4 : 8;
    case Type.Timestamp: return 8;
    case Type.Dictionary: return (type as unknown as { indices: { bitWidth: number } }).indices.bitWidth / 8;
    default: return 0;
  }
}

/**
 * True when every column of `schema` has a flat layout this module reads (one field node and two or three buffers
 * each): integers, floats, bools, dates, timestamps, utf8, large_utf8 and dictionaries. Others (lists, structs,
 * views) shift the buffer numbering in ways slicing does not follow: such files are read batch by batch.
 */
export function sliceable(schema: Schema): boolean {
  return (schema.fields as Field[]).every((f) => {
    const t = f.type;
    return valueWidth(t) > 0 || t.typeId === Type.Bool || t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
  });
}

/** Reads rows [from, to) of every column of an uncompressed batch; `dictionaries` are the file's (by id). */
export async function readSlice(
  handle: FileHandle, schema: Schema, header: BatchHeader, dictionaries: Map<number, Vector>, from: number, to: number,
): Promise<Data[]> {
  const n = to - from;
  const read = async (buffer: number, start: number, end: number): Promise<Uint8Array> => {
    const region = header.buffers[buffer];
    if (region === undefined || start < 0 || end < start || end > region.length || region.offset + region.length > header.bodyLength) {
      throw new DamagedArrowData(`buffer ${buffer} of the record batch does not hold bytes ${start}..${end}`);
    }
    // Fresh, 8-byte aligned memory, so typed arrays can view it.
    const out = new Uint8Array(new ArrayBuffer((end - start + 7) & ~7), 0, end - start);
    if (end > start) {
      const { bytesRead } = await handle.read(out, 0, end - start, header.bodyStart + region.offset + start);
      if (bytesRead !== end - start) throw new DamagedArrowData(`the file ends inside buffer ${buffer} of a record batch`);
    }
    return out;
  };
  const bits = async (buffer: number, present: boolean): Promise<Uint8Array | undefined> => {
    if (!present || n === 0) return undefined;
    return read(buffer, from >> 3, (to + 7) >> 3);
  };
  const bitOffset = from & 7;
  // Each column's first buffer, numbered before any read: the columns are read concurrently.
  const fields = schema.fields as Field[];
  const firstBuffer: number[] = [];
  let next = 0;
  for (const f of fields) {
    firstBuffer.push(next);
    next += f.type.typeId === Type.Utf8 || f.type.typeId === Type.LargeUtf8 ? 3 : 2;
  }
  return Promise.all(fields.map(async (field, c) => {
    let b = firstBuffer[c];
    const node = header.nodes[c];
    if (node === undefined || node.length !== header.rows) throw new DamagedArrowData(`column ${c + 1} has no field node of ${header.rows} rows`);
    const type = field.type;
    const validityAt = b++;
    const hasNulls = node.nullCount > 0 && (header.buffers[validityAt]?.length ?? 0) > 0;
    const nullBitmap = await bits(validityAt, hasNulls);
    const nullCount = nullBitmap === undefined ? 0 : countZeros(nullBitmap, bitOffset, n);
    const base = { type, offset: bitOffset, length: n, nullCount, nullBitmap };
    if (type.typeId === Type.Bool) {
      const data = (await bits(b++, true)) ?? new Uint8Array(0);
      return makeData({ ...base, data } as never);
    }
    if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) {
      const wide = type.typeId === Type.LargeUtf8;
      const w = wide ? 8 : 4;
      const rawOffsets = await read(b++, from * w, (to + 1) * w);
      const dataAt = b++;
      let offsets: Int32Array | BigInt64Array;
      let first: number;
      let last: number;
      if (wide) {
        const big = new BigInt64Array(rawOffsets.buffer, 0, n + 1);
        first = Number(big[0]);
        last = Number(big[n]);
        const shift = big[0];
        for (let i = 0; i <= n; i++) big[i] -= shift;
        offsets = big;
      } else {
        const small = new Int32Array(rawOffsets.buffer, 0, n + 1);
        first = small[0];
        last = small[n];
        for (let i = n; i >= 0; i--) small[i] -= first;
        offsets = small;
      }
      const data = await read(dataAt, first, last);
      // Values hold only this slice's bytes: the rebased offsets point into them (utf8Span checks each).
      return makeData({ ...base, offset: 0, nullBitmap: nullBitmap === undefined ? undefined : rebit(nullBitmap, bitOffset, n), valueOffsets: offsets, data } as never);
    }
    const width = valueWidth(type);
    const raw = await read(b++, from * width, to * width);
    const data = typedView(type, raw, n);
    const dictionary = type.typeId === Type.Dictionary ? dictionaries.get((type as unknown as { id: number }).id) : undefined;
    if (type.typeId === Type.Dictionary && dictionary === undefined) throw new DamagedArrowData(`column ${c + 1} refers to a dictionary the file does not hold`);
    return makeData({ ...base, data, dictionary } as never);
  }));
}

/** Zero bits among `n` bits from bit `at` of `bits`: the slice's nulls. */
function countZeros(bits: Uint8Array, at: number, n: number): number {
  let zeros = 0;
  for (let i = at; i < at + n; i++) if (((bits[i >> 3] >> (i & 7)) & 1) === 0) zeros++;
  return zeros;
}

/**
 * A validity bitmap moved to bit 0 (string columns' values start at the slice's first row, so their data offset is
 * 0, and the bitmap must start there too).
 */
function rebit(bits: Uint8Array, at: number, n: number): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (((bits[(at + i) >> 3] >> ((at + i) & 7)) & 1) === 1) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** The typed array an Arrow column of `type` keeps its values in, over `raw`. */
function typedView(type: DataType, raw: Uint8Array, n: number): ArrayBufferView {
  const buf = raw.buffer;
  const t = type.typeId === Type.Dictionary ? (type as unknown as { indices: DataType }).indices : type;
  switch (t.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth === 8) return isSigned ? new Int8Array(buf, 0, n) : new Uint8Array(buf, 0, n);
      if (bitWidth === 16) return isSigned ? new Int16Array(buf, 0, n) : new Uint16Array(buf, 0, n);
      if (bitWidth === 32) return isSigned ? new Int32Array(buf, 0, n) : new Uint32Array(buf, 0, n);
      return isSigned ? new BigInt64Array(buf, 0, n) : new BigUint64Array(buf, 0, n);
    }
    case Type.Float: {
      const p = (t as unknown as { precision: Precision }).precision;
      return p === Precision.HALF ? new Uint16Array(buf, 0, n) : p === Precision.SINGLE ? new Float32Array(buf, 0, n) : new Float64Array(buf, 0, n);
    }
    case Type.Date: return (t as unknown as { unit: DateUnit }).unit === DateUnit.DAY ? new Int32Array(buf, 0, n) : new BigInt64Array(buf, 0, n);
    default: return new BigInt64Array(buf, 0, n);
  }
}
