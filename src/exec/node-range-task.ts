import { ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import { readBatches } from '../input/batch-reader.js';
import { FIELD_ESCAPED, ScanBatch } from '../input/scanner.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import { type ByteRange, type RangeExtent, endExtent, noteFirstRow } from '../plan/split-ranges.js';
import { type InferredKind, fitsInferredKind } from '../schema/infer-types.js';
import type { PropertyType } from '../schema/types.js';
import { Int64ColumnBuilder } from '../store/column-builders.js';
import { APPENDED, KIND_CHANGED, appendInferred } from './append-field.js';
import { nodeChunkBuilders, parseNodeColumns } from './node-columns.js';
import { findRowStartGuess } from './rel-range-task.js';
import { castError, duplicateIdError, fieldCountError, idCastError, inferenceRestart, missingIdError } from './row-errors.js';
import { type TextFileSpec, rangeRead } from './text-file-spec.js';
import { unescapeInto } from './unescape.js';

/**
 * One node file as a node range task sees it (plain data: posted to worker threads). Only files whose every row
 * goes to one table without a labels column are read in ranges (see loadNodeRanges); the rest load row by row.
 */
export interface NodeFileSpec extends TextFileSpec {
  /** Rows with more fields than the header are read (--ignore-extra-columns). */
  extraOk: boolean;
  /** ID column, its kind and name, or -1 / null for a table without IDs. */
  idColumn: number;
  idKind: 'int' | 'string' | null;
  idName: string;
  /** An integer ID space inferred from a sample: every ID must still be a plain int64. */
  verifyId: boolean;
  /** Per file column: the table property it feeds (-1: none), its type and the kind a sample inferred (or null). */
  target: number[];
  columnTypes: (PropertyType | undefined)[];
  columnNames: string[];
  verifyKinds: (InferredKind | null)[];
  /** Types of the table's properties, in table order, and those the file does not feed (null on every row). */
  propertyTypes: PropertyType[];
  missing: number[];
}

/** What a node range task reads; shared by every task of a file. */
export interface NodeTaskInit {
  file: NodeFileSpec;
  batchRows: number;
  arrayDelimiter: number;
}

/** The rows of one range, parsed: IDs for the index and the table's columns, ready to append in file order. */
export interface NodeRangeReport extends RangeExtent {
  /** The range's number (results are consumed in this order). */
  id: number;
  rows: number;
  /**
   * The ID column and each table property, encoded (ColumnBuilder.encode), `rows` rows each; the ID column has one
   * more when the failing row's ID was read before its error: it must still be checked for a duplicate first, as the
   * row-by-row read would.
   */
  idColumn?: Uint8Array;
  columns: Uint8Array[];
  /** The first data error (its line relative to scanStart); rows before it are in the report. */
  error?: ImportErrorJSON;
  /** File bytes the range consumed, for progress. */
  bytes: number;
  /** True when the read stopped early (an interrupt): the report covers part of the range and must not be used. */
  stopped?: boolean;
}

/** Reused from range to range by the thread that reads them. */
export interface NodeTaskContext {
  init: NodeTaskInit;
  /** Reused by every range the context reads (one at a time). */
  scan: ScanBatch;
  readBuffer: { buf?: Buffer };
}

/** A context for reading ranges of `init.file`. */
export function nodeTaskContext(init: NodeTaskInit): NodeTaskContext {
  return { init, scan: new ScanBatch(init.batchRows), readBuffer: {} };
}

/** Which row's ID to report as a duplicate on a re-read (the ID index, on the main thread, found it). */
export interface DuplicateAt {
  row: number;
  space: string;
  firstTable: string;
}

/**
 * Reads the rows of one range of a node file into column chunks, with the checks loadNodeFile makes row by row
 * except the duplicate check, which needs the ID index: the main thread makes it when it appends the range, in
 * file order. `from` forces the scan start (a re-read after a wrong guess); `duplicate` turns the named row into
 * its GI_DUPLICATE_NODE_ID error, with the row's exact position.
 */
export async function runNodeRange(
  ctx: NodeTaskContext, range: ByteRange, from: number | undefined, shouldStop: () => boolean, duplicate?: DuplicateAt,
): Promise<NodeRangeReport> {
  const spec = ctx.init.file;
  const scanStart = from ?? (range.first ? range.start : await findRowStartGuess(spec.dataPath, range.start, spec.size));
  const cursor = { next: scanStart, line: 0 };
  const report: NodeRangeReport = {
    id: range.id, scanStart, firstRow: -1, next: scanStart, linesBefore: 0, lines: 0, rows: 0, columns: [], bytes: 0,
  };
  const { width, idColumn, idKind, quote, target, columnTypes, verifyKinds, missing } = spec;
  const { id: idBuilder, props: builders } = nodeChunkBuilders(spec, ctx.init.arrayDelimiter);
  const scratch = { bytes: new Uint8Array(256) };
  try {
    for await (const batch of readBatches(rangeRead(spec, range, scanStart, ctx.init.batchRows, cursor, ctx.scan, ctx.readBuffer))) {
      if (shouldStop()) {
        report.stopped = true;
        break;
      }
      const { buf, scan } = batch;
      noteFirstRow(report, batch);
      // Positions are built only for errors: no allocation per row on the hot path.
      const at = (row: number) => ({ file: spec.path, batch, row });
      // A re-read for a duplicate stops at a row the column path does not look for.
      if (duplicate === undefined) {
        const before = report.rows;
        if (parseNodeColumns(spec, batch, scan.rows, idBuilder, builders)) {
          report.rows += scan.rows;
          report.bytes = batch.bytesDone;
          continue;
        }
        idBuilder?.truncate(before);
        for (const b of builders) b.truncate(before);
      }
      for (let r = 0; r < scan.rows; r++) {
        const got = scan.fieldCount(r);
        if (got !== width && !(spec.extraOk && got > width)) throw fieldCountError(at(r), width);
        const base = scan.rowField[r];
        if (idBuilder !== undefined) {
          const f = base + idColumn;
          let ks = scan.fieldStart[f];
          let ke = scan.fieldEnd[f];
          let key: Uint8Array = buf;
          if (ks === ke) throw missingIdError(at(r), idColumn);
          if ((scan.fieldFlags[f] & FIELD_ESCAPED) !== 0) {
            ke = unescapeInto(scratch, buf, ks, ke, quote);
            ks = 0;
            key = scratch.bytes;
          }
          if (idKind === 'int') {
            if (spec.verifyId && !fitsInferredKind('long', key, ks, ke)) throw inferenceRestart(at(r), idColumn, spec.idName, 'long');
            if (!parseInt64(key, ks, ke)) throw idCastError(at(r), f, idColumn, spec.idName);
          }
          if (duplicate !== undefined && report.rows === duplicate.row) throw duplicateIdError(at(r), idColumn, duplicate.space, duplicate.firstTable);
          if (idBuilder instanceof Int64ColumnBuilder) idBuilder.appendHalves(int64Out.lo, int64Out.hi);
          else idBuilder.appendBytes(key, ks, ke, 0);
        }
        for (let c = 0; c < width; c++) {
          const p = target[c];
          if (p < 0) continue;
          const s = scan.fieldStart[base + c];
          const e = scan.fieldEnd[base + c];
          const outcome = appendInferred(builders[p], columnTypes[c]!, verifyKinds[c], buf, s, e, scan.fieldFlags[base + c]);
          if (outcome === KIND_CHANGED) throw inferenceRestart(at(r), c, spec.columnNames[c], verifyKinds[c]!);
          if (outcome !== APPENDED) throw castError(at(r), base + c, c, spec.columnNames[c], columnTypes[c]!);
        }
        for (const p of missing) builders[p].appendNull();
        report.rows++;
      }
      report.bytes = batch.bytesDone;
    }
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    report.error = err.toJSON();
    // The failing row may have appended some columns: the report holds whole rows only (and its ID, when read).
    for (const b of builders) b.truncate(report.rows);
  }
  endExtent(report, cursor);
  report.columns = builders.map((b) => b.encode());
  if (idBuilder !== undefined) report.idColumn = idBuilder.encode();
  return report;
}

/** The buffers of a report, to transfer rather than copy to the main thread. */
export function reportTransfer(r: NodeRangeReport): ArrayBuffer[] {
  const views = [r.idColumn, ...r.columns];
  return views.filter((v) => v !== undefined).map((v) => v!.buffer as ArrayBuffer);
}
