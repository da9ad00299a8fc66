import type { RowBatch } from '../input/batch-reader.js';
import { FIELD_ESCAPED } from '../input/scanner.js';
import { int64Out, parseInt64, plainDecimal, safeIntToInt64Out } from '../input/value-parsers.js';
import { type InferredKind, fitsInferredKind } from '../schema/infer-types.js';
import type { PropertyType } from '../schema/types.js';
import { type ColumnBuilder, Int64ColumnBuilder, Utf8ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';
import { parseColumn } from './rel-batch-columns.js';

/** What the column-at-a-time path needs to know about a node file whose rows all go to one table (see NodeFileSpec). */
export interface NodeColumnsSpec {
  width: number;
  quote: number;
  extraOk: boolean;
  /** ID column and its kind, or -1 / null when the table keeps no IDs. */
  idColumn: number;
  idKind: 'int' | 'string' | null;
  /** An integer ID space inferred from a sample: every ID must still be a plain int64. */
  verifyId: boolean;
  /** Per file column: the table property it feeds (-1: none), its type and the kind a sample inferred (or null). */
  target: readonly number[] | Int32Array;
  columnTypes: readonly (PropertyType | undefined)[];
  verifyKinds: readonly (InferredKind | null)[];
  /** Types of the table's properties, in table order, and those the file does not feed (null on every row). */
  propertyTypes: readonly PropertyType[];
  missing: readonly number[];
}

/**
 * Builders for a chunk of a file's rows: the ID column when the table keeps IDs, then one per table property;
 * `sources` is both, in the order NodeTableWriter.appendRows takes them.
 */
export function nodeChunkBuilders(spec: NodeColumnsSpec, arrayDelimiter: number): { id: ColumnBuilder | undefined; props: ColumnBuilder[]; sources: ColumnBuilder[] } {
  const id = spec.idKind === null ? undefined : spec.idKind === 'int' ? new Int64ColumnBuilder() : new Utf8ColumnBuilder(spec.quote);
  const props = spec.propertyTypes.map((t) => createColumnBuilder(t, spec.quote, arrayDelimiter));
  return { id, props, sources: id === undefined ? props : [id, ...props] };
}

/**
 * The column-at-a-time path of a node batch: appends rows [0, rows) to `id` (when the table keeps IDs) and to
 * `props` (one builder per table property) one column at a time, and returns true; or returns false, with some
 * columns partly appended (the caller truncates them), when a row needs the row-by-row path: a field count off, an
 * ID that is empty, escaped, not an int64 of an int space or not of its sampled kind, or a value not of its type or
 * sampled kind. The duplicate check
 * is the caller's: it needs the ID index, and is made once the whole batch has read cleanly.
 *
 * A row-by-row loop sends every field of every row through one property call that sees every column type, and
 * inserts each ID into the index between parses, a cache miss the CPU cannot overlap with anything; a batch of IDs
 * is inserted in table order instead (IdIndex.insertIntBatch). Since any batch with something to report is read
 * again row by row from its start, errors and their order are exactly those of the row-by-row path.
 */
export function parseNodeColumns(spec: NodeColumnsSpec, batch: RowBatch, rows: number, id: ColumnBuilder | undefined, props: ColumnBuilder[]): boolean {
  const { buf, scan } = batch;
  const { width, extraOk } = spec;
  for (let r = 0; r < rows; r++) {
    const got = scan.fieldCount(r);
    if (got !== width && !(extraOk && got > width)) return false;
  }
  const { rowField, fieldStart, fieldEnd, fieldFlags } = scan;
  if (id !== undefined && !parseIds(spec, batch, rows, id)) return false;
  const { target, columnTypes, verifyKinds } = spec;
  for (let c = 0; c < width; c++) {
    const p = target[c];
    if (p >= 0 && !parseColumn(props[p], columnTypes[c]!, buf, rowField, fieldStart, fieldEnd, fieldFlags, c, rows, verifyKinds[c])) return false;
  }
  for (const p of spec.missing) props[p].appendNulls(rows);
  return true;
}

/** The ID column of rows [0, rows) into `id`; false at the first ID the row-by-row path must read. */
function parseIds(spec: NodeColumnsSpec, batch: RowBatch, rows: number, id: ColumnBuilder): boolean {
  const { buf, scan } = batch;
  const { rowField, fieldStart, fieldEnd, fieldFlags } = scan;
  const column = spec.idColumn;
  if (spec.idKind === 'int') {
    // The row-by-row checks of an int ID (a sampled kind it must still fit, then parseInt64), with plain decimals of
    // at most 15 digits, which fit any int kind and parse to the same halves, in one pass.
    const ids = id as Int64ColumnBuilder;
    for (let r = 0; r < rows; r++) {
      const f = rowField[r] + column;
      const s = fieldStart[f];
      const e = fieldEnd[f];
      if (s === e || (fieldFlags[f] & FIELD_ESCAPED) !== 0) return false;
      const v = plainDecimal(buf, s, e, false);
      if (v === v) safeIntToInt64Out(v);
      else if ((spec.verifyId && !fitsInferredKind('long', buf, s, e)) || !parseInt64(buf, s, e)) return false;
      ids.appendHalves(int64Out.lo, int64Out.hi);
    }
    return true;
  }
  for (let r = 0; r < rows; r++) {
    const f = rowField[r] + column;
    const s = fieldStart[f];
    const e = fieldEnd[f];
    if (s === e || (fieldFlags[f] & FIELD_ESCAPED) !== 0) return false;
    id.appendBytes(buf, s, e, 0);
  }
  return true;
}
