import { type Data, RecordBatch, type Schema, Struct, makeData } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import type { ArrowUnit, ColumnarSource } from '../input/arrow-source.js';
import { firstInvalidUtf8Value } from '../input/arrow-native.js';

/** Rows [from, to) of one record batch of an Arrow file read in place, and where they are. */
export interface ArrowPiece {
  /** The rows' batch (a slice read on its own, or the whole record batch): for the rows' text in errors. */
  batch: RecordBatch;
  columns: Data[];
  /** The rows, as indexes into `columns`. */
  from: number;
  to: number;
  /** File row (0-based) of row `from`. */
  fileRow: number;
  /** The rows' share of their record batch's stored bytes (what progress counts). */
  bytes: number;
  /**
   * The first row (and column) whose string value is not UTF-8, or undefined. Text is checked as UTF-8 when it is
   * read; rows read in place get the same check here, once for every loader.
   */
  badUtf8: { row: number; column: number } | undefined;
}

/** File row of the first row of each unit, and the total after the last. */
export function unitStarts(units: ArrowUnit[]): number[] {
  const starts = [0];
  for (const u of units) starts.push(starts[starts.length - 1] + u.rows);
  return starts;
}

/**
 * The rows [startRow, endRow) of an Arrow file in pieces of at most `maxRows` rows. With `sliced`, each piece is read
 * from only its own bytes (uncompressed batches, see input/arrow-slices.ts), so memory holds one piece; otherwise
 * each record batch is read whole and handed on in pieces.
 */
export async function* arrowPieces(
  file: string, source: ColumnarSource, schema: Schema, units: ArrowUnit[], sliced: boolean, startRow: number, endRow: number, maxRows: number,
): AsyncGenerator<ArrowPiece> {
  const starts = unitStarts(units);
  let u = 0;
  while (u < units.length && starts[u + 1] <= startRow) u++;
  for (; u < units.length && starts[u] < endRow; u++) {
    const a = Math.max(startRow, starts[u]) - starts[u];
    const b = Math.min(endRow, starts[u + 1]) - starts[u];
    const rows = units[u].rows;
    const share = (x: number): number => Math.floor((units[u].bytes * x) / Math.max(1, rows));
    if (sliced) {
      for (let from = a; from < b; from += maxRows) {
        const to = Math.min(b, from + maxRows);
        const columns = await source.slice!(u, from, to);
        const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: to - from, nullCount: 0, children: columns }));
        yield { batch, columns, from: 0, to: to - from, fileRow: starts[u] + from, bytes: share(to) - share(from), badUtf8: firstInvalidUtf8Value(columns, 0, to - from) };
      }
      continue;
    }
    let batch: RecordBatch | undefined;
    for await (const got of source.unit(u)) batch = got;
    if (batch === undefined || batch.numRows !== rows) {
      throw new ImportError('GI_COLUMNAR_UNREADABLE', `record batch ${u} holds ${batch?.numRows ?? 0} rows, and its header said ${rows}`, { file });
    }
    const columns = batch.data.children as Data[];
    for (let from = a; from < b; from += maxRows) {
      const to = Math.min(b, from + maxRows);
      yield { batch, columns, from, to, fileRow: starts[u] + from, bytes: share(to) - share(from), badUtf8: firstInvalidUtf8Value(columns, from, to) };
    }
  }
}
