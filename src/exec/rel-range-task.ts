import { open } from 'node:fs/promises';
import { ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import { type RowBatch, readBatches } from '../input/batch-reader.js';
import { UNDECIDED, nextLineStart } from '../input/line-start.js';
import { FieldTextCache } from '../input/field-text.js';
import { ScanBatch } from '../input/scanner.js';
import type { Partitioning } from '../plan/partitioning.js';
import { type ByteRange, type RangeExtent, endExtent, noteFirstRow } from '../plan/split-ranges.js';
import type { InferredKind } from '../schema/infer-types.js';
import type { PropertyType } from '../schema/types.js';
import { APPENDED, KIND_CHANGED, appendInferred } from './append-field.js';
import type { ArrowUnit, ColumnarSource } from '../input/arrow-source.js';
import { type BucketBuffer, FLUSH_ROWS, type Group, bucketAt, encodeBlocks, groupLookup, rangeGroups } from './edge-buckets.js';
import { IdIndex, type SharedIdIndex } from './id-index.js';
import { type TextFileSpec, rangeRead } from './text-file-spec.js';
import { castError, endpointNotFoundError, fieldCountError, inferenceRestart } from './row-errors.js';
import { EndpointScratch, resolveColumn } from './resolve-endpoints.js';
import { isRepeatedHeader } from '../input/repeated-header.js';
import { ColumnBatch } from './rel-batch-columns.js';
import { type BadRowPolicy, type RejectSpill, type SkippedCounts, rangeRowRejecter, toleratesBadRows } from './bad-rows.js';

/** What a task needs to know about one relationship file (plain data: it is posted to worker threads). */
export interface RelFileSpec extends TextFileSpec {
  startColumn: number;
  endColumn: number;
  /** :TYPE column, or -1. */
  typeColumn: number;
  startSpace: string;
  endSpace: string;
  /** The type of every row when the file names one (--relationships TYPE=...) or has no :TYPE column. */
  fixedType?: string;
  /** Type of rows whose :TYPE field is empty. */
  fallbackType: string;
  /** File columns that are properties, their names and types. */
  propColumns: number[];
  propNames: string[];
  propTypes: PropertyType[];
  /**
   * Per property: the kind inferred from a sample of the file, which every value must still fit, or null. A value
   * that does not fit stops the import with GI_INFERENCE_RESTART and the file is re-inferred from all its rows.
   */
  verifyKinds: (InferredKind | null)[];
  /** The header line's bytes, when repeated headers are passed over (--auto-skip-subsequent-headers). */
  header?: Uint8Array;
  /** An Arrow IPC file read in place (`path` is the Arrow file): its record batches' rows and stored bytes. */
  native?: { units: ArrowUnit[]; sliced: boolean };
}

/** Everything a relationship task reads; shared by all tasks of an import. */
export interface RelTaskInit {
  files: Record<number, RelFileSpec>;
  indexes: Record<string, SharedIdIndex>;
  /** Per node table: how edges leaving it are partitioned by source row. */
  partitions: Partitioning[];
  batchRows: number;
  policy: BadRowPolicy;
}

/** Edges of one range for one (type, source table, target table, bucket): endpoints and property columns. */
export interface BlockMeta {
  range: number;
  fileIndex: number;
  type: string;
  srcTable: number;
  dstTable: number;
  bucket: number;
  /** Row (within the range) of the block's first edge: orders relationship tables by first appearance. */
  firstRow: number;
  /** Order of the block among the range's blocks of the same partition (a range flushes its buffers as it goes). */
  seq: number;
  count: number;
  /** Encoded byte length of each of the file's property columns. */
  propBytes: number[];
  /** Total bytes: 4·count source rows, 4·count target rows, then the property columns. */
  length: number;
  /** The bytes, when blocks are kept in memory. */
  bytes?: Uint8Array;
  /** Where the bytes are, when blocks are spilled: spill file number and offset. */
  spill?: number;
  offset?: number;
}

/** What one range task reports. */
export interface RangeReport extends RangeExtent {
  range: number;
  rows: number;
  blocks: BlockMeta[];
  /** The first data error in the range (its line relative to scanStart, 0-based). */
  error?: ImportErrorJSON;
  /** True when the task stopped early (interrupt, or another range's error): the report covers part of the range. */
  stopped?: boolean;
  /** Rows skipped (see bad-rows.ts), by reason; those counted against --max-bad-rows, and the first of them. */
  rejected: SkippedCounts;
  /** Lines repeating the header, passed over (--auto-skip-subsequent-headers). */
  headersSkipped: number;
  counted: number;
  firstCounted?: ImportErrorJSON;
  /** Where this range's reject records are (a byte span of a RejectSpill), when a rejects report is written. */
  records?: { path: string; start: number; end: number };
  durationMs: number;
}

/** Where finished blocks go: written by `spill` (which returns where), or, without it, kept in shared memory. */
export interface BlockSink {
  spill?: (bytes: Uint8Array) => { spill: number; offset: number };
  /** Where records of rejected rows go, when the import writes a rejects report. */
  rejects?: RejectSpill;
}

/** Per-task state built once from RelTaskInit: index views and reusable buffers. */
export interface RelTaskContext {
  init: RelTaskInit;
  indexes: Map<string, IdIndex>;
  /** Reused by every range the context reads (ranges of one context run one at a time). */
  scan: ScanBatch;
  readBuffer: { buf?: Buffer };
  endpoints: EndpointScratch;
  srcOrds: Int32Array;
  dstOrds: Int32Array;
  /** Per row of a batch: 1 when its field count is acceptable (tolerant imports). */
  rowOk: Uint8Array;
  /** Per relationship file: its groups and their partition buffers, kept from range to range. */
  groups: Map<number, Map<string, Group>>;
  /** Where a block is assembled before it is spilled (written synchronously, so one buffer serves every block). */
  blockScratch: { bytes: Uint8Array };
  /** Arrow files read in place, opened on first use (see closeRelTaskContext). */
  arrow: Map<number, Promise<ColumnarSource>>;
  /** Per relationship file: batch builders of the column-at-a-time path, kept from range to range. */
  columnBatches: Map<number, ColumnBatch>;
}

/** Closes the files a task context opened. */
export async function closeRelTaskContext(ctx: RelTaskContext): Promise<void> {
  const sources = [...ctx.arrow.values()];
  ctx.arrow.clear();
  for (const s of await Promise.allSettled(sources)) if (s.status === 'fulfilled') await s.value.close();
}

/** Builds a task context (in a worker, or on the main thread for re-reads). */
export function relTaskContext(init: RelTaskInit): RelTaskContext {
  const rows = init.batchRows;
  return {
    init, indexes: new Map(Object.entries(init.indexes).map(([k, v]) => [k, IdIndex.fromShared(v)])), scan: new ScanBatch(rows), readBuffer: {},
    endpoints: new EndpointScratch(rows), srcOrds: new Int32Array(rows), dstOrds: new Int32Array(rows), rowOk: new Uint8Array(rows),
    groups: new Map(), blockScratch: { bytes: new Uint8Array(1 << 16) }, arrow: new Map(), columnBatches: new Map(),
  };
}

/**
 * Reads the rows of one range of a relationship file, resolves both endpoints through the ID index and
 * partitions the edges into blocks. `from` forces the scan start (a re-read after a wrong guess).
 */
export async function runRelRange(
  ctx: RelTaskContext, range: ByteRange, from: number | undefined, arrayDelimiter: number, sink: BlockSink, shouldStop: () => boolean,
  onBatch?: (rows: number, bytes: number) => void,
): Promise<RangeReport> {
  const spec = ctx.init.files[range.fileIndex];
  if (spec.native !== undefined) {
    // Loaded on first use: it brings in Apache Arrow, ~0.1 s of start-up a worker that reads only CSV need not pay.
    const { runArrowRelRange } = await import('./arrow-rel-range.js');
    return runArrowRelRange(ctx, range, arrayDelimiter, sink, shouldStop, onBatch);
  }
  const started = performance.now();
  const scanStart = from ?? (range.first ? range.start : await findRowStartGuess(spec.dataPath, range.start, spec.size));
  const cursor = { next: scanStart, line: 0 };
  const report: RangeReport = {
    range: range.id, scanStart, firstRow: -1, next: scanStart, linesBefore: 0, lines: 0, rows: 0, blocks: [], durationMs: 0, rejected: {}, counted: 0,
    headersSkipped: 0,
  };
  const groups = rangeGroups(ctx, range.fileIndex);
  const typeNames = new FieldTextCache((text) => text.trim() || spec.fallbackType);
  const flushed: BlockMeta[] = [];
  let flushes = 0;
  let buffered = 0;
  let reported = 0;
  /** Rows read so far in the range, kept or not: orders blocks by where their first edge was. */
  let scanned = 0;
  const policy = ctx.init.policy;
  const tolerant = toleratesBadRows(policy);
  const extraOk = policy.ignoreExtraColumns;
  const header = spec.header;
  // Row checks per batch take the masked path when a row may be passed over instead of failing the range.
  const masked = tolerant || header !== undefined;
  const recordsFrom = sink.rejects?.offset ?? 0;
  const rejectRow = rangeRowRejecter(policy, report, sink.rejects);
  const startIndex = ctx.indexes.get(spec.startSpace)!;
  const endIndex = ctx.indexes.get(spec.endSpace)!;
  const endpoints = ctx.endpoints;
  const srcOrds = ctx.srcOrds;
  const dstOrds = ctx.dstOrds;
  const { propColumns, propTypes, verifyKinds, width } = spec;
  const nProps = propColumns.length;
  const groupFor = groupLookup(groups, ctx.init.partitions, propTypes, spec.quote, arrayDelimiter);
  let columnBatch = ctx.columnBatches.get(range.fileIndex);
  if (columnBatch === undefined) {
    ctx.columnBatches.set(range.fileIndex, (columnBatch = new ColumnBatch(ctx.init.batchRows, propTypes, spec.quote, arrayDelimiter)));
  }
  try {
    for await (const batch of readBatches(rangeRead(spec, range, scanStart, ctx.init.batchRows, cursor, ctx.scan, ctx.readBuffer))) {
      if (buffered >= FLUSH_ROWS) {
        // Bound what a worker holds however large the range: flush the buffered edges as blocks and go on.
        for (const b of encodeBlocks(range, groups, sink, flushes++, ctx.blockScratch)) flushed.push(b);
        buffered = 0;
      }
      if (shouldStop()) {
        report.stopped = true;
        break;
      }
      const { buf, scan } = batch;
      noteFirstRow(report, batch);
      // Positions are built only for errors: no allocation per row on the hot path.
      const at = (row: number) => ({ file: spec.path, batch, row });
      // Fail fast: rows before the first one of the wrong width are processed, then that row's error is thrown (the
      // same first error, in row order, as a row-by-row loop). Tolerant: rows of the wrong width are marked, not
      // resolved, and rejected in their turn.
      let rows = scan.rows;
      let ok: Uint8Array | undefined;
      let allOk = true;
      if (masked) {
        // 1: a row to read; 0: wrong field count (rejected in its turn); 2: a repeated header line (passed over).
        ok = ctx.rowOk;
        for (let r = 0; r < rows; r++) {
          const got = scan.fieldCount(r);
          ok[r] = header !== undefined && isRepeatedHeader(buf, scan, r, header) ? 2 : got === width || (extraOk && got > width) ? 1 : 0;
          if (ok[r] !== 1) allOk = false;
        }
      } else {
        for (let r = 0; r < rows; r++) {
          const got = scan.fieldCount(r);
          if (got !== width && !(extraOk && got > width)) rows = r;
        }
      }
      resolveColumn(startIndex, batch, spec.startColumn, rows, spec.quote, endpoints, srcOrds, ok);
      resolveColumn(endIndex, batch, spec.endColumn, rows, spec.quote, endpoints, dstOrds, ok);
      const type = allOk && rows === scan.rows ? batchType(spec, typeNames, batch, rows) : undefined;
      if (
        type !== undefined &&
        columnBatch.appendClean(batch, rows, srcOrds, dstOrds, startIndex, endIndex, (s, d) => groupFor(type, s, d), propColumns, verifyKinds, scanned)
      ) {
        report.rows += rows;
        scanned += rows;
        buffered += rows;
        onBatch?.(rows, batch.bytesDone - reported);
        reported = batch.bytesDone;
        continue;
      }
      let skipped = 0;
      for (let r = 0; r < rows; r++) {
        let bb: BucketBuffer | undefined;
        if (ok !== undefined && ok[r] === 2) {
          report.headersSkipped++;
          skipped++;
          continue;
        }
        try {
          if (ok !== undefined && ok[r] === 0) throw fieldCountError(at(r), width);
          const base = scan.rowField[r];
          const type = spec.fixedType ?? typeNames.get(buf, scan, base + spec.typeColumn, spec.quote);
          const src = srcOrds[r];
          if (src < 0) throw endpointNotFoundError(at(r), spec.startColumn, spec.startSpace, 'start');
          const dst = dstOrds[r];
          if (dst < 0) throw endpointNotFoundError(at(r), spec.endColumn, spec.endSpace, 'end');
          const srcRow = startIndex.rowOf(src);
          const group = groupFor(type, startIndex.tableOf(src), endIndex.tableOf(dst));
          bb = bucketAt(group, group.part.partOf[srcRow >>> group.part.blockShift]);
          for (let p = 0; p < nProps; p++) {
            const c = propColumns[p];
            const f = base + c;
            const s = scan.fieldStart[f];
            const e = scan.fieldEnd[f];
            const outcome = appendInferred(bb.props[p], propTypes[p], verifyKinds[p], buf, s, e, scan.fieldFlags[f]);
            if (outcome === KIND_CHANGED) throw inferenceRestart(at(r), c, spec.propNames[p], verifyKinds[p]!);
            if (outcome !== APPENDED) throw castError(at(r), f, c, spec.propNames[p], propTypes[p]);
          }
          if (bb.firstRow < 0) bb.firstRow = scanned + r;
          bb.src.push(srcRow);
          bb.dst.push(endIndex.rowOf(dst));
        } catch (err) {
          if (!tolerant || !(err instanceof ImportError) || err.code === 'GI_INFERENCE_RESTART') throw err;
          // Undo the columns appended before the bad field: the buffer holds whole rows only.
          if (bb !== undefined) for (const p of bb.props) p.truncate(bb.src.length);
          rejectRow(err);
          skipped++;
        }
      }
      if (rows < scan.rows) throw fieldCountError(at(rows), width);
      report.rows += scan.rows - skipped;
      scanned += scan.rows;
      buffered += scan.rows;
      onBatch?.(scan.rows, batch.bytesDone - reported);
      reported = batch.bytesDone;
    }
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    report.error = err.toJSON();
  }
  endExtent(report, cursor);
  if (report.error === undefined) report.blocks = [...flushed, ...encodeBlocks(range, groups, sink, flushes, ctx.blockScratch)];
  if (sink.rejects !== undefined) report.records = { path: sink.rejects.path, start: recordsFrom, end: sink.rejects.offset };
  report.durationMs = performance.now() - started;
  return report;
}

/** The relationship type of every row of the batch, or undefined when its rows have more than one. */
function batchType(spec: RelFileSpec, typeNames: FieldTextCache<string>, batch: RowBatch, rows: number): string | undefined {
  if (spec.fixedType !== undefined) return spec.fixedType;
  if (rows === 0) return undefined;
  const { buf, scan } = batch;
  const first = typeNames.get(buf, scan, scan.rowField[0] + spec.typeColumn, spec.quote);
  for (let r = 1; r < rows; r++) if (typeNames.get(buf, scan, scan.rowField[r] + spec.typeColumn, spec.quote) !== first) return undefined;
  return first;
}

const PROBE_BYTES = 64 << 10;

/**
 * The first offset after a line end at or past `nominal - 1`: where a row would start if that line end is not
 * inside a quoted field. A guess; verifyRangeChain checks it.
 */
export async function findRowStartGuess(path: string, nominal: number, size: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(PROBE_BYTES);
    let at = nominal - 1;
    while (at < size) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
      if (bytesRead === 0) break;
      const next = nextLineStart(buf, 0, bytesRead);
      if (next >= 0) return at + next;
      if (next === UNDECIDED) {
        if (at + bytesRead >= size) return size;
        // The next read starts at that CR and decides CR vs CRLF.
        at += bytesRead - 1;
      } else {
        at += bytesRead;
      }
    }
    return size;
  } finally {
    await handle.close();
  }
}
