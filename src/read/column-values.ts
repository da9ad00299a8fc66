import { type Data, Type, type Vector } from 'apache-arrow';

/** A property value as the reader returns it (see docs/FORMAT.md, "Reading values"). */
export type Value = number | bigint | boolean | string | null | Value[];

/** Days since the epoch -> `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  return new Date(days * 86400000).toISOString().slice(0, 10);
}

/** Microseconds since the epoch (UTC) -> ISO 8601 with as many fraction digits as needed, `Z` suffix. */
export function formatDatetime(micros: bigint): string {
  let ms = micros / 1000n;
  let rest = micros % 1000n;
  if (rest < 0n) { rest += 1000n; ms -= 1n; }
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const fraction = (iso.slice(20, 23) + String(rest).padStart(3, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/** Reads row `i` of one Arrow Data chunk as a reader Value. */
function dataValue(data: Data, i: number): Value {
  if (data.nullCount > 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0) {
    const bit = data.offset + i;
    if ((data.nullBitmap[bit >> 3] & (1 << (bit & 7))) === 0) return null;
  }
  const j = data.offset + i;
  switch (data.type.typeId) {
    case Type.Timestamp: return formatDatetime((data.values as BigInt64Array)[j]);
    case Type.Date: return formatDate((data.values as Int32Array)[j]);
    case Type.Bool: return ((data.values as Uint8Array)[j >> 3] & (1 << (j & 7))) !== 0;
    case Type.Utf8: {
      const off = data.valueOffsets as Int32Array;
      return Buffer.from((data.values as Uint8Array).buffer, (data.values as Uint8Array).byteOffset + off[j], off[j + 1] - off[j]).toString('utf8');
    }
    case Type.List: {
      const off = data.valueOffsets as Int32Array;
      const child = data.children[0];
      const out: Value[] = [];
      for (let k = off[j]; k < off[j + 1]; k++) out.push(dataValue(child, k));
      return out;
    }
    default:
      return (data.values as ArrayLike<number | bigint>)[j];
  }
}

/** Returns a function reading row `i` of a (possibly chunked) Arrow vector as a reader Value. */
export function columnReader(vector: Vector): (i: number) => Value {
  const chunks = vector.data;
  const starts: number[] = [];
  let n = 0;
  for (const c of chunks) { starts.push(n); n += c.length; }
  if (chunks.length === 1) return (i) => dataValue(chunks[0], i);
  return (i) => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid; else hi = mid - 1;
    }
    return dataValue(chunks[lo], i - starts[lo]);
  };
}
