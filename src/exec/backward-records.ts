/**
 * The spilled form of backward records. A forward partition's (target, source, edge id) records are grouped by
 * target partition and, within a group, in edge id order: sources never decrease and edge ids always increase. Each
 * group is written as LEB128 varints of, per record, the target's zigzag difference from the previous target, the
 * source's difference and the edge id's difference (each group starts from 0, so it decodes on its own). At 50M
 * edges that is about 6 bytes a record instead of 12: the spill is most of what the CSR build writes besides the
 * store, and on this machine's disk the build waits on its writes.
 */

/** Bytes a record can take at most: three varints of up to five bytes. */
export const MAX_RECORD_BYTES = 15;

/**
 * Encodes the records of each group d (`records[3 * counts[d], 3 * counts[d + 1])`) into `out` (room for
 * MAX_RECORD_BYTES a record); returns the cumulative byte end of each group (`ends[0]` is 0).
 */
export function encodeRecords(records: Uint32Array, counts: Uint32Array, out: Uint8Array): Uint32Array {
  const groups = counts.length - 1;
  const ends = new Uint32Array(groups + 1);
  let at = 0;
  for (let d = 0; d < groups; d++) {
    let target = 0;
    let source = 0;
    let edge = 0;
    for (let k = 3 * counts[d], end = 3 * counts[d + 1]; k < end; k += 3) {
      const diff = (records[k] - target) | 0;
      at = putVarint(out, at, ((diff << 1) ^ (diff >> 31)) >>> 0);
      at = putVarint(out, at, records[k + 1] - source);
      at = putVarint(out, at, records[k + 2] - edge);
      target = records[k];
      source = records[k + 1];
      edge = records[k + 2];
    }
    ends[d + 1] = at;
  }
  return ends;
}

/** Decodes the `n` records of one group from `bytes[from]` into `out` as triples from index `at`; returns the end. */
export function decodeRecords(bytes: Uint8Array, from: number, n: number, out: Uint32Array, at: number): number {
  cursor = from;
  let target = 0;
  let source = 0;
  let edge = 0;
  for (let k = at, end = at + 3 * n; k < end; k += 3) {
    const zz = getVarint(bytes);
    target = (target + ((zz >>> 1) ^ -(zz & 1))) >>> 0;
    source = (source + getVarint(bytes)) >>> 0;
    edge = (edge + getVarint(bytes)) >>> 0;
    out[k] = target;
    out[k + 1] = source;
    out[k + 2] = edge;
  }
  return cursor;
}

/** Read position of getVarint (a module variable, so the hot loop allocates nothing). */
let cursor = 0;

function getVarint(bytes: Uint8Array): number {
  let v = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[cursor++];
    v |= (b & 0x7f) << shift;
    shift += 7;
  } while (b >= 0x80);
  return v >>> 0;
}

function putVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}
