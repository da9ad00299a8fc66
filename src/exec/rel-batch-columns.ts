import type { RowBatch } from '../input/batch-reader.js';
import type { InferredKind } from '../schema/infer-types.js';
import type { PropertyType } from '../schema/types.js';
import { type ColumnBuilder, type FloatColumnBuilder, type Int64ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';
import { int64Out, plainDecimal, safeIntToInt64Out } from '../input/value-parsers.js';
import { APPENDED, appendInferred } from './append-field.js';
import { type Group, bucketAt } from './edge-buckets.js';
import type { IdIndex } from './id-index.js';

/**
 * The column-at-a-time path of a relationship range: a batch whose rows are all well-formed is parsed one property
 * column at a time into batch builders, its rows are counting-sorted by CSR partition, and each partition's rows are
 * gathered into its buffer in bulk. A row-by-row loop routes every field of every edge through a per-row partition
 * lookup and a property call that sees every column type; on the 10M-edge benchmark that loop cost as much as
 * scanning the bytes. Any batch with something to report (a bad value, a missing endpoint, more than one group) is
 * left to the row-by-row path untouched, so errors, rejects and their order stay exactly as that path makes them.
 */
export class ColumnBatch {
  /** One builder per property column, emptied at each batch. */
  private readonly props: ColumnBuilder[];
  private readonly srcRows: Int32Array;
  private readonly dstRows: Int32Array;
  private readonly partOfRow: Uint16Array;
  private readonly perm: Uint32Array;
  private counts = new Uint32Array(0);

  constructor(rows: number, private readonly types: PropertyType[], quote: number, arrayDelimiter: number) {
    this.props = types.map((t) => createColumnBuilder(t, quote, arrayDelimiter));
    this.srcRows = new Int32Array(rows);
    this.dstRows = new Int32Array(rows);
    this.partOfRow = new Uint16Array(rows);
    this.perm = new Uint32Array(rows);
  }

  /**
   * Appends rows [0, rows) of the batch to the partition buffers of their group and returns true, or returns false
   * having appended nothing when a row needs the row-by-row path. Endpoint ordinals are resolved already (-1: not
   * found); every row has an acceptable field count and the same relationship type, whose group for a (source table,
   * target table) pair `groupOf` gives; `firstRow` numbers the batch's first row within the range.
   */
  appendClean(
    batch: RowBatch, rows: number, srcOrds: Int32Array, dstOrds: Int32Array, startIndex: IdIndex, endIndex: IdIndex,
    groupOf: (srcTable: number, dstTable: number) => Group, columns: readonly number[], verifyKinds: readonly (InferredKind | null)[],
    firstRow: number,
  ): boolean {
    if (rows === 0) return true;
    const { srcRows, dstRows } = this;
    const src0 = srcOrds[0];
    const dst0 = dstOrds[0];
    if (src0 < 0 || dst0 < 0) return false;
    const srcTable = startIndex.tableOf(src0);
    const dstTable = endIndex.tableOf(dst0);
    for (let r = 0; r < rows; r++) {
      const s = srcOrds[r];
      const d = dstOrds[r];
      if (s < 0 || d < 0 || startIndex.tableOf(s) !== srcTable || endIndex.tableOf(d) !== dstTable) return false;
      srcRows[r] = startIndex.rowOf(s);
      dstRows[r] = endIndex.rowOf(d);
    }
    const group = groupOf(srcTable, dstTable);
    const { buf, scan } = batch;
    for (let p = 0; p < columns.length; p++) {
      const out = this.props[p];
      out.truncate(0);
      if (!parseColumn(out, this.types[p], buf, scan.rowField, scan.fieldStart, scan.fieldEnd, scan.fieldFlags, columns[p], rows, verifyKinds[p])) return false;
    }
    const { blockShift, partOf, bounds } = group.part;
    const parts = bounds.length - 1;
    if (this.counts.length < parts + 1) this.counts = new Uint32Array(parts + 1);
    const counts = this.counts;
    counts.fill(0);
    const partOfRow = this.partOfRow;
    for (let r = 0; r < rows; r++) {
      const k = partOf[srcRows[r] >>> blockShift];
      partOfRow[r] = k;
      counts[k + 1]++;
    }
    for (let k = 0; k < parts; k++) counts[k + 1] += counts[k];
    const perm = this.perm;
    // counts[k] walks from partition k's start to its end, which is partition k + 1's start: after the scatter,
    // partition k's rows are perm[counts[k - 1], counts[k]) (with counts[-1] = 0).
    for (let r = 0; r < rows; r++) perm[counts[partOfRow[r]]++] = r;
    let from = 0;
    for (let k = 0; k < parts; k++) {
      const to = counts[k];
      if (to === from) continue;
      const bb = bucketAt(group, k);
      if (bb.firstRow < 0) bb.firstRow = firstRow + perm[from];
      bb.src.appendGathered(srcRows, perm, from, to);
      bb.dst.appendGathered(dstRows, perm, from, to);
      for (let p = 0; p < this.props.length; p++) bb.props[p].appendGathered(this.props[p], perm, from, to);
      from = to;
    }
    return true;
  }
}

/**
 * Parses one property column of a batch into `out`; false at the first value that is not of its type or kind.
 * A long or double column checked against the same sampled kind reads plain decimals in one pass (see
 * plainDecimal); every other value takes the kind check and the type's parser, as the row-by-row path does.
 */
export function parseColumn(
  out: ColumnBuilder, type: PropertyType, buf: Uint8Array, rowField: Uint32Array, fieldStart: Uint32Array, fieldEnd: Uint32Array,
  fieldFlags: Uint8Array, column: number, rows: number, expected: InferredKind | null,
): boolean {
  if (!type.array && ((expected === 'long' && type.base === 'long') || (expected === 'double' && type.base === 'double'))) {
    const fraction = expected === 'double';
    for (let r = 0; r < rows; r++) {
      const f = rowField[r] + column;
      const s = fieldStart[f];
      const e = fieldEnd[f];
      const v = s === e ? NaN : plainDecimal(buf, s, e, fraction);
      if (v === v) {
        if (fraction) (out as FloatColumnBuilder).appendValue(v);
        else {
          safeIntToInt64Out(v);
          (out as Int64ColumnBuilder).appendHalves(int64Out.lo, int64Out.hi);
        }
      } else if (appendInferred(out, type, expected, buf, s, e, fieldFlags[f]) !== APPENDED) {
        return false;
      }
    }
    return true;
  }
  return parseColumnChecked(out, type, buf, rowField, fieldStart, fieldEnd, fieldFlags, column, rows, expected);
}

/** parseColumn for every value the general way (appendInferred); the reference of the plain-decimal pass. */
export function parseColumnChecked(
  out: ColumnBuilder, type: PropertyType, buf: Uint8Array, rowField: Uint32Array, fieldStart: Uint32Array, fieldEnd: Uint32Array,
  fieldFlags: Uint8Array, column: number, rows: number, expected: InferredKind | null,
): boolean {
  for (let r = 0; r < rows; r++) {
    const f = rowField[r] + column;
    if (appendInferred(out, type, expected, buf, fieldStart[f], fieldEnd[f], fieldFlags[f]) !== APPENDED) return false;
  }
  return true;
}
