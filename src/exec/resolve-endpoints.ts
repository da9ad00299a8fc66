import type { RowBatch } from '../input/batch-reader.js';
import { FIELD_ESCAPED } from '../input/scanner.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import type { IdIndex } from './id-index.js';
import { unescapeInto } from './unescape.js';

const ZERO = 0x30;
/** Up to 15 decimal digits always fit a double exactly (and an int64). */
const FAST_DIGITS = 15;
const TWO_32 = 4294967296;

/** Node ordinal of an endpoint field, or -1 when no node has that ID (or the field is empty or not an ID). */
export function resolveEndpoint(index: IdIndex, batch: RowBatch, f: number, quote: number, scratch: { bytes: Uint8Array }): number {
  const { buf, scan } = batch;
  let s = scan.fieldStart[f];
  let e = scan.fieldEnd[f];
  if (s === e) return -1;
  let key: Uint8Array = buf;
  if ((scan.fieldFlags[f] & FIELD_ESCAPED) !== 0) {
    e = unescapeInto(scratch, buf, s, e, quote);
    s = 0;
    key = scratch.bytes;
  }
  if (index.kind === 'int') return parseInt64(key, s, e) ? index.lookupInt(int64Out.lo, int64Out.hi) : -1;
  return index.lookupString(key, s, e);
}

/** Reusable buffers for resolveColumn, sized for one batch. */
export class EndpointScratch {
  lo: Int32Array;
  hi: Int32Array;
  /** Rows the batched lookups leave out (an escaped or empty key, or an int space's key that is no int64): resolved one by one. */
  odd: Int32Array;
  /** String keys: each row's key bytes (start -1: not looked up in the batch), and IdIndex.lookupStrings' scratch. */
  start: Int32Array;
  end: Int32Array;
  hash: Uint32Array;
  keyOffset: Int32Array;
  readonly text = { bytes: new Uint8Array(256) };
  constructor(rows: number) {
    this.lo = new Int32Array(rows);
    this.hi = new Int32Array(rows);
    this.odd = new Int32Array(rows);
    this.start = new Int32Array(rows);
    this.end = new Int32Array(rows);
    this.hash = new Uint32Array(rows);
    this.keyOffset = new Int32Array(rows);
  }
}

/**
 * Resolves column `column` of the batch's first `rows` rows to node ordinals in `out` (-1: no such node).
 * Integer keys are parsed in one pass and looked up in a second, tight one (see IdIndex.lookupInts), string keys
 * looked up in a batch (IdIndex.lookupStrings); quoted-escaped, empty and (int spaces) non-integer keys take the
 * general path, with the same result as resolveEndpoint. With `ok` (row marks), rows not marked 1
 * (too few fields, a repeated header) are not read at all and get -1.
 */
export function resolveColumn(
  index: IdIndex, batch: RowBatch, column: number, rows: number, quote: number, scratch: EndpointScratch, out: Int32Array, ok?: Uint8Array,
): void {
  const { buf, scan } = batch;
  const { lo, hi, odd } = scratch;
  let odds = 0;
  if (index.kind !== 'int') {
    // Keys as they are in the buffer, looked up in one batch; empty and escaped keys one by one.
    const { start, end } = scratch;
    for (let r = 0; r < rows; r++) {
      const f = scan.rowField[r] + column;
      const s = scan.fieldStart[f];
      const e = scan.fieldEnd[f];
      if ((ok !== undefined && ok[r] !== 1) || s === e || (scan.fieldFlags[f] & FIELD_ESCAPED) !== 0) {
        start[r] = -1;
        odd[odds++] = r;
        continue;
      }
      start[r] = s;
      end[r] = e;
    }
    index.lookupStrings(buf, start, end, rows, out, scratch.hash, scratch.keyOffset);
    resolveOdd(index, batch, column, quote, scratch, out, odds, ok);
    return;
  }
  for (let r = 0; r < rows; r++) {
    if (ok !== undefined && ok[r] !== 1) {
      // Resolved to -1 after the lookups, with the other odd rows; its fields may not exist.
      lo[r] = 0;
      hi[r] = 0;
      odd[odds++] = r;
      continue;
    }
    const f = scan.rowField[r] + column;
    const s = scan.fieldStart[f];
    const e = scan.fieldEnd[f];
    let v = 0;
    let plain = e > s && e - s <= FAST_DIGITS && (scan.fieldFlags[f] & FIELD_ESCAPED) === 0;
    for (let i = s; plain && i < e; i++) {
      const d = buf[i] - ZERO;
      if (d < 0 || d > 9) plain = false;
      else v = v * 10 + d;
    }
    if (plain) {
      const h = Math.floor(v / TWO_32);
      lo[r] = (v - h * TWO_32) | 0;
      hi[r] = h;
    } else if (e > s && (scan.fieldFlags[f] & FIELD_ESCAPED) === 0 && parseInt64(buf, s, e)) {
      // Longer, signed or padded keys: what resolveEndpoint would look up, in the same batch.
      lo[r] = int64Out.lo;
      hi[r] = int64Out.hi;
    } else {
      lo[r] = 0;
      hi[r] = 0;
      odd[odds++] = r;
    }
  }
  index.lookupInts(lo, hi, rows, out);
  resolveOdd(index, batch, column, quote, scratch, out, odds, ok);
}

/** Resolves the rows resolveColumn left out of its batched lookups one by one (rows not marked 1 in `ok`: -1). */
function resolveOdd(index: IdIndex, batch: RowBatch, column: number, quote: number, scratch: EndpointScratch, out: Int32Array, odds: number, ok?: Uint8Array): void {
  for (let k = 0; k < odds; k++) {
    const r = scratch.odd[k];
    out[r] = ok !== undefined && ok[r] !== 1 ? -1 : resolveEndpoint(index, batch, batch.scan.rowField[r] + column, quote, scratch.text);
  }
}
