import { ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import { rangeBytesFor, splitRanges, startedRight } from '../plan/split-ranges.js';
import { idColumnSpec } from '../schema/file-layout.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { toleratesBadRows } from './bad-rows.js';
import { type BatchProgress, type NodeSinks, insertIds, nodeFileSpec } from './load-nodes.js';
import { nodeChunkBuilders } from './node-columns.js';
import { type NodeRangeReport, nodeTaskContext, runNodeRange } from './node-range-task.js';
import { orderedResults } from './ordered-results.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Node files smaller than this load row by row: measured with 2 workers, a 47 MB file (1M nodes) loaded no faster
 * in ranges and left the relationship phase slower, a 143 MB file (3M nodes) loaded 25% faster, 470 MB (10M) 33%.
 */
export const RANGED_NODE_BYTES = 64 << 20;

/** How the node phase may use worker threads. */
export interface NodeRangeOptions {
  threads: number;
  /** Smallest node file read in ranges (default RANGED_NODE_BYTES). */
  minBytes?: number;
  pool: () => WorkerPool;
  batchRows: number;
  /** Average bytes per row of the file, from the sample. */
  bytesPerRow: number;
  signal?: AbortSignal;
}

/**
 * True when `file` is worth reading in parallel ranges: a large text file of more than one range whose rows all go to one
 * table without a labels column, on an import that fails at the first bad row (tolerant imports and repeated
 * headers decide row by row, in file order, what is kept: they load with loadNodeFile).
 */
export function rangeLoadable(file: InputFile, fileIndex: number, sinks: NodeSinks, o: NodeRangeOptions): boolean {
  const routing = sinks.schema.nodeRouting[fileIndex]!;
  if (file.native !== undefined || routing.byLabel !== undefined || routing.fixedTable < 0) return false;
  if (sinks.writers[routing.fixedTable].labels !== null || sinks.skipHeaders !== undefined) return false;
  if (sinks.rejects !== undefined && toleratesBadRows(sinks.rejects.policy)) return false;
  const bytes = file.size - file.dataStart;
  return o.threads > 0 && bytes >= (o.minBytes ?? RANGED_NODE_BYTES) && bytes > rangeBytesFor(o.batchRows, o.bytesPerRow);
}

/**
 * Loads a node file read in ranges by worker threads (see runNodeRange): workers scan and parse ranges into column
 * chunks, at most a few ranges ahead; this thread takes them in file order, checks that each range started where
 * the previous one ended (re-reading it here when its start guess was wrong), adds its IDs to the ID index, and
 * appends its rows. The store and every error are those of loadNodeFile.
 */
export async function loadNodeRanges(
  file: InputFile, fileIndex: number, sinks: NodeSinks, o: NodeRangeOptions, progress: BatchProgress,
): Promise<{ rows: number; ranges: number; reread: number }> {
  const table = sinks.schema.nodeRouting[fileIndex]!.fixedTable;
  const writer = sinks.writers[table];
  const spec = nodeFileSpec(file, fileIndex, sinks, writer);
  const idSpec = idColumnSpec(file.layout);
  const index = spec.idKind !== null && idSpec !== undefined ? sinks.indexes.get(idSpec.space)! : undefined;
  const init = { file: spec, batchRows: o.batchRows, arrayDelimiter: sinks.arrayDelimiter.charCodeAt(0) };
  const ranges = splitRanges(fileIndex, file.dataStart, file.size, rangeBytesFor(o.batchRows, o.bytesPerRow), 0);
  const results = orderedResults<NodeRangeReport>({ pool: o.pool(), task: 'nodes', threads: Math.min(o.threads, ranges.length), data: { init, ranges } });
  const ctx = nodeTaskContext(init);
  const stop = (): boolean => o.signal?.aborted === true;
  // Decoded chunks, one builder per table column (ID first), reused from range to range.
  const { sources } = nodeChunkBuilders(spec, init.arrayDelimiter);
  let expected = file.dataStart;
  let lineAtExpected = file.dataLine;
  let loaded = 0;
  let reread = 0;
  try {
    for (let i = 0; i < ranges.length; i++) {
      // While workers start (or when they fall behind) this thread reads the range it needs next itself.
      let rep = results.claim(i) ? await runNodeRange(ctx, ranges[i], undefined, stop) : await results.get(i);
      // A range is right exactly when its first row is where the previous one stopped (see verifyRangeChain).
      if (rep.stopped !== true && !startedRight(i, rep, expected)) {
        rep = await runNodeRange(ctx, ranges[i], expected, stop);
        reread++;
      }
      if (rep.stopped === true || stop()) throw interrupted();
      const lineAtScanStart = i === 0 ? file.dataLine : lineAtExpected - rep.linesBefore;
      const absolute = (e: ImportErrorJSON): ImportError => ImportError.fromJSON(e.line === undefined ? e : { ...e, line: lineAtScanStart + e.line });
      const chunks = [...(rep.idColumn === undefined ? [] : [rep.idColumn]), ...rep.columns];
      sources.forEach((s, c) => {
        s.truncate(0);
        s.appendEncoded(chunks[c]);
      });
      if (index !== undefined) {
        const dup = insertIds(index, sources[0], table, writer.rowCount);
        if (dup !== undefined) {
          // The index found it; a re-read of the range here builds the error with the row's exact position.
          const again = await runNodeRange(ctx, ranges[i], rep.scanStart, stop, { row: dup.row, space: idSpec!.space, firstTable: sinks.writers[index.tableOf(dup.existing)].schema.label });
          if (again.stopped === true) throw interrupted();
          if (again.error === undefined) throw new ImportError('GI_INTERNAL', `a duplicate ID in ${file.path} was not found again on a re-read`, { file: file.path });
          throw absolute(again.error);
        }
      }
      if (rep.error !== undefined) throw absolute(rep.error);
      if (rep.rows > 0) writer.appendRows(sources, rep.rows);
      loaded += rep.rows;
      results.written(i);
      progress(rep.rows, rep.next - file.dataStart);
      expected = rep.next;
      lineAtExpected = lineAtScanStart + rep.lines;
    }
    if (expected < file.size) throw new ImportError('GI_RANGE_MISMATCH', `ranges of ${file.path} ended at byte ${expected} of ${file.size}`, { file: file.path });
    await results.finished();
    return { rows: loaded, ranges: ranges.length, reread };
  } catch (err) {
    results.cancel();
    await results.finished().catch(() => undefined);
    throw err;
  }
}

function interrupted(): ImportError {
  return new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
}
