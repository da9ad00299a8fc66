import { join } from 'node:path';
import { type ErrorCode, ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import type { Partitioning } from '../plan/partitioning.js';
import { type ByteRange, type RangeExtent, nativeRangeRows, nativeRanges, rangeBytesFor, splitRanges, startedRight, verifyRangeChain } from '../plan/split-ranges.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import type { InferredKind } from '../schema/infer-types.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import type { IdIndex } from './id-index.js';
import { textFileSpec } from './text-file-spec.js';
import { BlockStore } from './block-store.js';
import { type BlockSink, type RangeReport, type RelFileSpec, type RelTaskInit, closeRelTaskContext, relTaskContext, runRelRange } from './rel-range-task.js';
import { type RejectLog, RejectSpill, readRejectSpan } from './bad-rows.js';
import { CONTROL, type WorkerPool, createControl } from './worker-pool.js';

/** How the relationship phase runs. */
export interface RelPhaseOptions {
  files: InputFile[];
  schema: GraphSchema;
  indexes: Map<string, IdIndex>;
  /** Per file: kinds a sample inferred that every value must fit (see RelFileSpec.verifyKinds). */
  verifyKinds: ((InferredKind | null)[] | undefined)[];
  /** Per file: average bytes per row, from the sample. */
  bytesPerRow: (number | undefined)[];
  /** Per node table: partitioning of the edges leaving it. */
  partitions: Partitioning[];
  /** Total CSR partitions and relationship bytes: large inputs get larger ranges (see rangeBytesFor). */
  partitionCount: number;
  relationshipBytes: number;
  /** Relationship rows, counted or estimated (sizes the ranges of Arrow files read in place). */
  relationshipRows: number;
  threads: number;
  batchRows: number;
  arrayDelimiter: number;
  /** Directory for spill files (streaming path), or undefined to keep blocks in memory. */
  spillDir?: string;
  signal?: AbortSignal;
  /** Called at every batch boundary of every range (in any order): rows, input bytes, and the file's path. */
  onBatch: (rows: number, bytes: number, file: string) => void;
  /** The import's worker pool, started on first use. */
  pool: () => WorkerPool;
  /** Decides and records bad rows (the node phase's count included); see bad-rows.ts. */
  rejects: RejectLog;
  /** Directory for the ranges' reject records when a rejects report is written, else undefined. */
  rejectsDir?: string;
  /** Pass over lines repeating the header (--auto-skip-subsequent-headers). */
  skipHeaders: boolean;
}

/** The relationship phase's output: every edge, as blocks in range order. */
export interface RelPhaseResult {
  blocks: BlockStore;
  rows: number;
  /** Spill file per worker id (empty in memory mode). */
  spillFiles: string[];
  ranges: number;
  redone: number;
  /** Lines repeating a header that were passed over. */
  headersSkipped: number;
  /** Task time summed over workers, and per-worker task counts (the parallel part's aggregate). */
  taskMs: number;
  tasksPerWorker: number[];
}

/** Reads all relationship files in parallel, resolving endpoints and partitioning edges into blocks. */
export async function loadRelationships(o: RelPhaseOptions): Promise<RelPhaseResult> {
  const specs: Record<number, RelFileSpec> = {};
  const ranges: ByteRange[] = [];
  o.files.forEach((file, i) => {
    if (file.kind !== 'relationship') return;
    specs[i] = relFileSpec(file, i, o.schema, o.verifyKinds[i]);
    if (o.skipHeaders && file.headerText !== '') specs[i].header = Buffer.from(file.headerText);
    // An Arrow file read in place is cut into runs of record batches; a text file into byte ranges.
    const own = file.native !== undefined ? nativeRanges(i, file.native, nativeRangeRows(o.batchRows, o.relationshipRows, o.partitionCount), ranges.length)
      : splitRanges(i, file.dataStart, file.size, rangeBytesFor(o.batchRows, o.bytesPerRow[i] ?? 64, o.relationshipBytes, o.partitionCount), ranges.length);
    for (const r of own) ranges.push(r);
  });
  const init: RelTaskInit = {
    files: specs,
    indexes: Object.fromEntries([...o.indexes].map(([k, v]) => [k, v.share()])),
    partitions: o.partitions,
    batchRows: o.batchRows,
    policy: o.rejects.policy,
  };
  const reports: (RangeReport | undefined)[] = new Array(ranges.length);
  // Block metadata goes into a compact store as reports arrive; the report objects keep only their extents.
  const blocks = new BlockStore(Math.max(0, ...Object.values(specs).map((f) => f.propColumns.length)));
  const threads = Math.max(1, Math.min(o.threads, ranges.length));
  const spillFiles = o.spillDir === undefined ? [] : Array.from({ length: threads }, (_, w) => join(o.spillDir!, `rel-${w}.spill`));
  const tasksPerWorker = new Array<number>(ranges.length > 1 ? threads : 0).fill(0);
  const control = createControl();
  // Reports arrive out of order; each file's ranges are checked in order as far as they can be. An error in a range
  // known to have started right is real: stop all workers (fail fast). An error after a wrong start guess is an
  // artefact of the misread, so the workers go on and the range is re-read afterwards.
  const fileIndexes = Object.keys(specs).map(Number);
  const rangesOf = new Map(fileIndexes.map((f) => [f, ranges.filter((r) => r.fileIndex === f)]));
  const walk = new Map(fileIndexes.map((f) => [f, { i: 0, expected: extentOf(o.files[f]).start, blocked: false }]));
  // Bad rows counted in ranges known to have started right: past the limit, the import fails (fail fast).
  let confirmedCounted = o.rejects.counted;
  const confirm = (fileIndex: number): void => {
    const st = walk.get(fileIndex)!;
    const own = rangesOf.get(fileIndex)!;
    while (!st.blocked && st.i < own.length) {
      const rep = reports[own[st.i].id];
      if (rep === undefined || rep.stopped === true) return;
      if (!startedRight(st.i, rep, st.expected)) {
        st.blocked = true;
        return;
      }
      confirmedCounted += rep.counted;
      if (rep.error !== undefined || confirmedCounted > o.rejects.policy.maxCount) {
        Atomics.store(control, CONTROL.STOP, 1);
        return;
      }
      st.expected = rep.next;
      st.i++;
    }
  };
  const ctx = relTaskContext(init);
  const mainRejects = o.rejectsDir === undefined ? undefined : new RejectSpill(join(o.rejectsDir, 'main.ndjson'));
  const keep: BlockSink = { rejects: mainRejects };
  try {
    return await runPhase();
  } finally {
    mainRejects?.close();
    await closeRelTaskContext(ctx);
  }

  /** The phase proper; the main thread's reject spill is closed around it whatever happens. */
  async function runPhase(): Promise<RelPhaseResult> {
    if (ranges.length === 0) return { blocks, rows: 0, spillFiles: [], ranges: 0, redone: 0, taskMs: 0, tasksPerWorker: [], headersSkipped: 0 };
    if (ranges.length === 1) {
      // A single range is not worth starting threads: it is read here, and checked like any other.
      const path = specs[ranges[0].fileIndex].path;
      const report = await runRelRange(ctx, ranges[0], undefined, o.arrayDelimiter, keep, () => o.signal?.aborted === true, (rows, bytes) => o.onBatch(rows, bytes, path));
      reports[0] = report;
      blocks.addRange(0, report.blocks);
      report.blocks = [];
    } else await o.pool().run<RangeReport>({
      threads, task: 'relationships', control,
      data: (w) => ({
        init, ranges, arrayDelimiter: o.arrayDelimiter, spillPath: spillFiles[w],
        rejectsPath: o.rejectsDir === undefined ? undefined : join(o.rejectsDir, `rel-${w}.ndjson`),
      }),
      onReport: (report, w) => {
        reports[report.range] = report;
        blocks.addRange(report.range, report.blocks);
        report.blocks = [];
        tasksPerWorker[w]++;
        confirm(ranges[report.range].fileIndex);
      },
      onProgress: (rows, bytes, file) => o.onBatch(rows, bytes, specs[file].path),
    });

    // Check that the ranges of each file met end to end; re-read (here, on this thread) any that guessed wrong, or
    // that never ran because a confirmed error stopped the pool. The first data error in file order is reported.
    let redone = 0;
    const lineAt: number[] = new Array(ranges.length).fill(0);
    for (const fileIndex of Object.keys(specs).map(Number)) {
      const own = ranges.filter((r) => r.fileIndex === fileIndex);
      const missing = { scanStart: -1, firstRow: -1, next: -1, linesBefore: 0, lines: 0 };
      const extents: RangeExtent[] = own.map((r) => {
        const rep = reports[r.id];
        return rep === undefined || rep.stopped === true ? missing : rep;
      });
      const file = o.files[fileIndex];
      await verifyRangeChain(extents, file.dataLine, async (i, from) => {
        const report = await runRelRange(ctx, own[i], from, o.arrayDelimiter, keep, () => o.signal?.aborted === true);
        reports[own[i].id] = report;
        blocks.addRange(own[i].id, report.blocks);
        report.blocks = [];
        redone++;
        return report;
      }, (i, lineAtScanStart) => {
        const rep = reports[own[i].id]!;
        lineAt[own[i].id] = lineAtScanStart;
        // An error without a line (a damaged file) keeps none.
        const absolute = (e: ImportErrorJSON): ImportErrorJSON => (e.line === undefined ? e : { ...e, line: lineAtScanStart + e.line });
        // In file order: the first range that takes the count past the limit fails the import, naming the first bad row.
        o.rejects.addCounted(rep.counted, rep.firstCounted === undefined ? undefined : absolute(rep.firstCounted));
        if (rep.error !== undefined) throw ImportError.fromJSON(absolute(rep.error));
      }, extentOf(file).start);
      const last = reports[own[own.length - 1].id]!;
      if (last.next < extentOf(file).end) {
        const unit = file.native !== undefined ? 'row' : 'byte';
        throw new ImportError('GI_RANGE_MISMATCH', `ranges of ${file.path} ended at ${unit} ${last.next} of ${extentOf(file).end}`, { file: file.path });
      }
    }
    let rows = 0;
    let taskMs = 0;
    let headersSkipped = 0;
    for (const r of reports) {
      rows += r!.rows;
      taskMs += r!.durationMs;
      headersSkipped += r!.headersSkipped;
    }
    // Every range is final now: tally its skipped rows and copy its reject records, in file order, with exact lines.
    for (const r of ranges) {
      const rep = reports[r.id]!;
      for (const [code, n] of Object.entries(rep.rejected)) o.rejects.addSkipped(code as ErrorCode, specs[r.fileIndex].path, n ?? 0);
      if (rep.records === undefined) continue;
      for (const rec of readRejectSpan(rep.records.path, rep.records.start, rep.records.end)) {
        o.rejects.writeRecord({ ...rec, line: lineAt[r.id] + (rec.line ?? 0) });
      }
    }
    return { blocks, rows, spillFiles, ranges: ranges.length, redone, taskMs, tasksPerWorker, headersSkipped };
  }
}

/** Where a file's ranges must start and end: data bytes of a text file, record batches of an Arrow file read in place. */
function extentOf(file: InputFile): { start: number; end: number } {
  return file.native !== undefined ? { start: 0, end: file.native.rows } : { start: file.dataStart, end: file.size };
}

function relFileSpec(file: InputFile, fileIndex: number, schema: GraphSchema, verify: (InferredKind | null)[] | undefined): RelFileSpec {
  const { layout } = file;
  const startSpec = layout.columns[layout.startColumn];
  const endSpec = layout.columns[layout.endColumn];
  const types = schema.columnTypes[fileIndex];
  const propColumns: number[] = [];
  layout.columns.forEach((c, i) => {
    if (c.kind === 'property') propColumns.push(i);
  });
  return {
    ...textFileSpec(file, fileIndex),
    startColumn: layout.startColumn,
    endColumn: layout.endColumn,
    typeColumn: layout.typeColumn,
    startSpace: startSpec.kind === 'start' ? startSpec.space : '',
    endSpace: endSpec.kind === 'end' ? endSpec.space : '',
    fixedType: file.fixedName !== undefined || layout.typeColumn < 0 ? (file.fixedName ?? file.stem) : undefined,
    fallbackType: file.fixedName ?? file.stem,
    propColumns,
    propNames: propColumns.map((c) => (layout.columns[c] as { name: string }).name),
    propTypes: propColumns.map((c) => types[c]!),
    verifyKinds: propColumns.map((c) => verify?.[c] ?? null),
    ...(file.native === undefined ? {} : { native: { units: file.native.units, sliced: file.native.sliced } }),
  };
}
