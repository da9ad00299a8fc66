import { closeSync } from 'node:fs';
import { Field } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { type PropertySchema, mergeProperty } from '../schema/graph-schema.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { type PropertyType, formatType } from '../schema/types.js';
import { arrowType } from '../store/arrow-columns.js';
import { createColumnBuilder } from '../store/column-builders.js';
import { type ManifestRelTable, typeToManifest } from '../store/manifest.js';
import {
  DST_COLUMN, EDGE_COLUMN, EdgeRowsWriter, OffsetsWriter, type PathResolver, REL_RECORD_BATCH_ROWS, SRC_COLUMN, type StoreFileEntry,
} from '../store/rel-table-writer.js';
import {
  type BackwardResult, type BackwardSource, type BackwardTask, type CsrInit, type CsrResult, type CsrTableSpec, type CsrTask, addBackwardRecords,
  backwardSource, recordsOf, runBackwardPartition, runCsrPartition, sortBackward,
} from './csr-partition-task.js';
import type { BlockStore } from './block-store.js';
import { reclaim } from './reclaim.js';
import { SpillFile } from './spill-io.js';
import type { Partitioning } from '../plan/partitioning.js';
import { type OrderedResults, orderedResults } from './ordered-results.js';
import type { WorkerPool } from './worker-pool.js';

/** Inputs of the CSR build. */
export interface RelTablesInput {
  blocks: BlockStore;
  /** Spill file per worker id, for blocks that were spilled. */
  spillFiles: string[];
  files: InputFile[];
  /** Column types per file (schema.columnTypes). */
  columnTypes: (PropertyType | undefined)[][];
  nodeCounts: number[];
  labels: string[];
  /** Per node table: partitions of the edges leaving it (forward) and of those entering it (backward). */
  srcPartitions: Partitioning[];
  dstPartitions: Partitioning[];
  quote: number;
  arrayDelimiter: number;
  resolvePath: PathResolver;
  /** Where to spill the backward direction's partitions, or undefined to keep them in memory. */
  backwardSpill?: string;
  /** Worker threads for the partitions; with fewer than `inlineEdges` edges (default INLINE_CSR_EDGES) the build runs on this thread. */
  threads: number;
  inlineEdges?: number;
  /** The import's worker pool, started on first use. */
  pool: () => WorkerPool;
  signal?: AbortSignal;
  /** Called after each partition with the edges written so far. */
  onProgress?: (edges: number) => void;
}

/** Below this many edges the CSR build runs on the calling thread: starting workers would cost more than it saves. */
export const INLINE_CSR_EDGES = 200_000;

/**
 * Builds the CSR of every relationship table from the blocks of the relationship phase, one source partition at a
 * time, so memory holds a few partitions, not whole tables. Worker threads build the forward part of partitions
 * in parallel (see runCsrPartition); this thread appends them to the store files strictly in order, so the bytes
 * do not depend on the number of threads. Backward: each partition's (target, source, edge id) records go to the
 * target's partition (spilled when streaming); each target partition is then counting-sorted the same way, which
 * orders a node's incoming edges by (source, input order), exactly as sorting the whole table would.
 */
export async function buildRelTables(input: RelTablesInput): Promise<{ tables: ManifestRelTable[]; files: StoreFileEntry[] }> {
  const store = input.blocks;
  const groups = groupTables(store);
  const typeProps = relationshipProperties(store, groups, input.files, input.columnTypes);
  const specs: CsrTableSpec[] = groups.map((g) => {
    const fileProps: Record<number, string[]> = {};
    for (const b of g.blocks) {
      const f = store.fileIndex(b);
      fileProps[f] ??= input.files[f].layout.columns.filter((c) => c.kind === 'property').map((c) => (c as { name: string }).name);
    }
    return {
      props: typeProps.get(g.type)!.map((p) => ({ name: p.name, type: p.type })),
      nSrc: input.nodeCounts[g.srcTable], nDst: input.nodeCounts[g.dstTable],
      dstBlockShift: input.dstPartitions[g.dstTable].blockShift, dstPartOf: input.dstPartitions[g.dstTable].partOf,
      dstPartitions: input.dstPartitions[g.dstTable].bounds.length - 1, fileProps,
    };
  });
  const partitioned = partitionTasks(store, groups, input.srcPartitions);
  const tasks = partitioned.tasks;
  const blocks = store.table(partitioned.ordered);
  store.release();
  partitioned.ordered = [];
  for (const g of groups) g.blocks = [];
  const init: CsrInit = {
    tables: specs, blocks, spillFiles: input.spillFiles, quote: input.quote, arrayDelimiter: input.arrayDelimiter, batchRows: REL_RECORD_BATCH_ROWS,
    backwardSpill: input.backwardSpill,
  };
  const fds = new Map<number, number>();
  // Partitions built on this thread (small tables) spill their backward records as a worker's do.
  const ownSpill = input.backwardSpill === undefined ? undefined : new SpillFile(`${input.backwardSpill}.main`);
  const results = forwardResults(init, tasks, input, fds, ownSpill);
  const tables: ManifestRelTable[] = [];
  // Per table: forward files, then backward files; listed in table order whatever order they were written in.
  const tableFiles: StoreFileEntry[][] = [];
  const spilled: BackwardInput[] = [];
  let written = 0;
  await consumeInOrder(results, fds, async () => {
    for (const [t, g] of groups.entries()) {
      if (input.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
      const dir = `rels/${t}`;
      const props = typeProps.get(g.type)!;
      const fwd = await writeForward(input, g, t, props, dir, tasks.filter((k) => k.table === t), results, (n) => input.onProgress?.((written += n)));
      tableFiles[t] = fwd.files;
      // In memory, a table's backward records are sorted here at once (one partition per table); spilled ones are
      // sorted by the workers once every forward partition is written.
      if (input.backwardSpill === undefined) tableFiles[t].push(...await writeBackward(input, fwd.backward, undefined));
      else spilled.push(fwd.backward);
      tables.push({
        type: g.type, from: input.labels[g.srcTable], to: input.labels[g.dstTable], count: fwd.edges,
        properties: props.map((p) => ({ name: p.name, type: typeToManifest(p.type) })),
        files: { fwdOffsets: `${dir}/fwd_offsets.arrow`, fwd: `${dir}/fwd.arrow`, bwdOffsets: `${dir}/bwd_offsets.arrow`, bwd: `${dir}/bwd.arrow` },
      });
    }
  }, () => ownSpill?.close());
  if (spilled.length > 0) {
    const bwdTasks = backwardTasks(spilled);
    const idOf = new Map(bwdTasks.map((k) => [`${k.table}:${k.bucket}`, k.id]));
    await withBackwardSource(input, bwdTasks, spilled.map((b) => b.source), async (results) => {
      for (const b of spilled) {
        tableFiles[b.table].push(...await writeBackward(input, b, async (bucket) => {
          const id = idOf.get(`${b.table}:${bucket}`);
          if (id === undefined) return undefined;
          const r = await results.get(id);
          results.written(id);
          return r;
        }));
      }
    });
  }
  const files = tableFiles.flat();
  return { tables, files };
}

/** One task per non-empty source partition, in store order, each knowing its first forward position. */
function partitionTasks(store: BlockStore, groups: TableGroup[], srcPartitions: Partitioning[]): { tasks: CsrTask[]; ordered: number[] } {
  const tasks: CsrTask[] = [];
  const ordered: number[] = [];
  groups.forEach((g, table) => {
    const byBucket = new Map<number, number[]>();
    for (const b of g.blocks) {
      const bucket = store.bucket(b);
      const list = byBucket.get(bucket) ?? [];
      list.push(b);
      byBucket.set(bucket, list);
    }
    let fwdBase = 0;
    for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
      // Input order: by range, then by the order a range flushed its blocks.
      const blocks = byBucket.get(bucket)!.sort((a, b) => store.range(a) - store.range(b) || store.seq(a) - store.seq(b));
      const { bounds } = srcPartitions[g.srcTable];
      const edges = blocks.reduce((n, b) => n + store.edges(b), 0);
      tasks.push({
        id: tasks.length, table, bucket, lo: bounds[bucket], width: bounds[bucket + 1] - bounds[bucket], fwdBase,
        blockFrom: ordered.length, blockTo: ordered.length + blocks.length, edges,
      });
      for (const b of blocks) ordered.push(b);
      fwdBase += edges;
    }
  });
  return { tasks, ordered };
}

/** Forward partition results, from the pool or, with few edges, built here (see orderedResults). */
function forwardResults(init: CsrInit, tasks: CsrTask[], input: RelTablesInput, fds: Map<number, number>, spill: SpillFile | undefined): OrderedResults<CsrResult> {
  const edges = tasks.reduce((n, t) => n + t.edges, 0);
  if (edges < (input.inlineEdges ?? INLINE_CSR_EDGES)) return orderedResults({ inline: (id) => runCsrPartition(init, tasks[id], fds, spill) });
  return orderedResults({ pool: input.pool(), task: 'csr', threads: Math.min(input.threads, tasks.length), data: { init, tasks } });
}

/** One relationship table: a type between one source table and one target table. */
interface TableGroup {
  type: string;
  srcTable: number;
  dstTable: number;
  /** (range, row) of its first edge, for ordering tables by first appearance. */
  first: [number, number];
  /** Its blocks: row numbers in the BlockStore. */
  blocks: number[];
}

function groupTables(store: BlockStore): TableGroup[] {
  const byId: TableGroup[] = store.groups.map((g) => ({ ...g, first: [Infinity, Infinity], blocks: [] }));
  for (let i = 0; i < store.count; i++) {
    if (!store.alive(i)) continue;
    const g = byId[store.group(i)];
    const at: [number, number] = [store.range(i), store.firstRow(i)];
    if (before(at, g.first)) g.first = at;
    g.blocks.push(i);
  }
  const used = byId.filter((g) => g.blocks.length > 0);
  // Types in order of first appearance, and a type's (source, target) tables likewise: the order a single
  // sequential reader would meet them, whatever the number of threads.
  const typeFirst = new Map<string, [number, number]>();
  for (const g of used) {
    const t = typeFirst.get(g.type);
    if (t === undefined || before(g.first, t)) typeFirst.set(g.type, g.first);
  }
  return used.sort((a, b) => {
    if (a.type !== b.type) return before(typeFirst.get(a.type)!, typeFirst.get(b.type)!) ? -1 : 1;
    return before(a.first, b.first) ? -1 : 1;
  });
}

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** Property columns of each type: the union over the files feeding it, in file order; a type disagreement fails. */
function relationshipProperties(
  store: BlockStore, groups: TableGroup[], files: InputFile[], columnTypes: (PropertyType | undefined)[][],
): Map<string, PropertySchema[]> {
  const feeding = new Map<string, Set<number>>();
  for (const g of groups) {
    const set = feeding.get(g.type) ?? new Set<number>();
    for (const b of g.blocks) set.add(store.fileIndex(b));
    feeding.set(g.type, set);
  }
  const out = new Map<string, PropertySchema[]>();
  for (const [type, set] of feeding) {
    const props: PropertySchema[] = [];
    const order = [...set].sort((a, b) => a - b);
    for (const f of order) {
      files[f].layout.columns.forEach((c, i) => {
        if (c.kind !== 'property') return;
        const inferred = c.type === undefined && files[f].layout.style === 'plain';
        mergeProperty(props, { name: c.name, type: columnTypes[f][i]!, inferred }, `relationship type ${type}`, files[f].path);
      });
    }
    for (const f of order) {
      files[f].layout.columns.forEach((c, i) => {
        if (c.kind !== 'property') return;
        const merged = props.find((p) => p.name === c.name)!;
        if (formatType(merged.type) !== formatType(columnTypes[f][i]!)) {
          // Values were parsed as this file's type in parallel; widening them afterwards is not supported.
          throw new ImportError('GI_SCHEMA_CONFLICT', `property "${c.name}" of relationship type ${type} is ${formatType(columnTypes[f][i]!)} in this file and ${formatType(merged.type)} in another`, {
            file: files[f].path, line: 1, hint: `declare the type in the headers, e.g. ${c.name}:${formatType(merged.type)}`,
          });
        }
      });
    }
    out.set(type, props);
  }
  return out;
}

/**
 * What the forward pass of a table leaves for its backward pass: the (target, source, edge id) records of each
 * forward partition, grouped by target partition, in memory or in a spill file. Kept as numbers, not an object per
 * (forward, target) partition pair: at 125M edges there are 410 x 410 such pairs.
 */
interface BackwardInput {
  table: number;
  dir: string;
  bounds: Uint32Array | number[];
  source: BackwardSource;
  /** Per forward partition, its records when they are kept in memory (empty when spilled). */
  records: Uint32Array[];
}

/** Writes a table's forward CSR from the partition results, in order, and returns its backward records. */
async function writeForward(
  input: RelTablesInput, g: TableGroup, t: number, props: PropertySchema[], dir: string, tasks: CsrTask[], results: OrderedResults<CsrResult>,
  progress: (edges: number) => void,
): Promise<{ edges: number; files: StoreFileEntry[]; backward: BackwardInput }> {
  const srcBounds = input.srcPartitions[g.srcTable].bounds;
  const propFields = props.map((p) => new Field(p.name, arrowType(createColumnBuilder(p.type, input.quote, input.arrayDelimiter)), true));
  const byBucket = new Map(tasks.map((k) => [k.bucket, k]));
  const dstBounds = input.dstPartitions[g.dstTable].bounds;
  const source = backwardSource(tasks.length, dstBounds.length - 1);
  const records: Uint32Array[] = [];

  const fwdOffsets = await OffsetsWriter.open(input.resolvePath, `${dir}/fwd_offsets.arrow`);
  const fwd = await EdgeRowsWriter.open(input.resolvePath, `${dir}/fwd.arrow`, [DST_COLUMN], propFields,
    props.map((p) => createColumnBuilder(p.type, input.quote, input.arrayDelimiter)));
  let edges = 0;
  try {
    for (let bucket = 0; bucket + 1 < srcBounds.length; bucket++) {
      const width = srcBounds[bucket + 1] - srcBounds[bucket];
      const task = byBucket.get(bucket);
      if (task === undefined) {
        fwdOffsets.appendEmpty(width);
        continue;
      }
      const r = await results.get(task.id);
      fwdOffsets.appendDegrees(r.degrees, 0, width);
      let i = 0;
      for (const [s, rows] of r.segmentRows.entries()) {
        fwd.appendSegment(r.dst, i, rows, r.segments[s]);
        i += rows;
      }
      addBackwardRecords(source, r);
      records.push(r.records); // empty when spilled
      results.written(task.id);
      reclaim();
      edges += r.dst.length;
      progress(r.dst.length);
      if (input.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
    }
    const files = [await fwdOffsets.close(), await fwd.close()];
    return { edges, files, backward: { table: t, dir, bounds: dstBounds, source, records } };
  } catch (err) {
    fwdOffsets.abort();
    fwd.abort();
    throw err;
  }
}

/** Backward tasks of tables whose records were spilled: one per non-empty target partition, in table order. */
function backwardTasks(inputs: BackwardInput[]): BackwardTask[] {
  const tasks: BackwardTask[] = [];
  inputs.forEach((b, source) => {
    for (let bucket = 0; bucket + 1 < b.bounds.length; bucket++) {
      const edges = recordsOf(b.source, bucket);
      if (edges === 0) continue;
      tasks.push({ id: tasks.length, table: b.table, source, bucket, lo: b.bounds[bucket], width: b.bounds[bucket + 1] - b.bounds[bucket], edges });
    }
  });
  return tasks;
}

/**
 * Writes a table's backward CSR, one target partition at a time, in order: from `sorted` (the partitions sorted by
 * workers, see backwardSource) or, when its records are in memory, sorted here.
 */
async function writeBackward(input: RelTablesInput, b: BackwardInput, sorted: ((bucket: number) => Promise<BackwardResult | undefined>) | undefined): Promise<StoreFileEntry[]> {
  const bwdOffsets = await OffsetsWriter.open(input.resolvePath, `${b.dir}/bwd_offsets.arrow`);
  const bwd = await EdgeRowsWriter.open(input.resolvePath, `${b.dir}/bwd.arrow`, [SRC_COLUMN, EDGE_COLUMN], [], []);
  try {
    for (let bucket = 0; bucket + 1 < b.bounds.length; bucket++) {
      const lo = b.bounds[bucket];
      const width = b.bounds[bucket + 1] - lo;
      let r: BackwardResult | undefined;
      if (sorted !== undefined) r = await sorted(bucket);
      else if (recordsOf(b.source, bucket) > 0) r = sortBackward(bucket, gatherRecords(b.source, b.records, bucket), lo, width);
      if (r === undefined) {
        bwdOffsets.appendEmpty(width);
        continue;
      }
      bwdOffsets.appendDegrees(r.degrees, 0, width);
      const n = r.src.length;
      for (let i = 0; i < n;) {
        const k = Math.min(bwd.room(), n - i);
        const [srcOut, edgeOut] = bwd.u32;
        srcOut.set(r.src.subarray(i, i + k), bwd.filled);
        edgeOut.set(r.edge.subarray(i, i + k), bwd.filled);
        bwd.advance(k);
        i += k;
      }
      if (input.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
    }
    return [await bwdOffsets.close(), await bwd.close()];
  } catch (err) {
    bwdOffsets.abort();
    bwd.abort();
    throw err;
  }
}

/** The in-memory records of target partition `bucket`, from every forward partition, in edge id order. */
function gatherRecords(source: BackwardSource, records: Uint32Array[], bucket: number): Uint32Array {
  const out = new Uint32Array(3 * recordsOf(source, bucket));
  let at = 0;
  for (let p = 0; p < source.rows; p++) {
    const from = source.counts[p * source.stride + bucket];
    const to = source.counts[p * source.stride + bucket + 1];
    out.set(records[p].subarray(3 * from, 3 * to), at);
    at += 3 * (to - from);
  }
  return out;
}

/**
 * Sorted backward partitions for `tasks`, in task order, from the pool or, with few edges, sorted here; `use`
 * consumes them and marks each written.
 */
async function withBackwardSource<T>(
  input: RelTablesInput, tasks: BackwardTask[], sources: BackwardSource[], use: (results: OrderedResults<BackwardResult>) => Promise<T>,
): Promise<T> {
  const fds = new Map<string, number>();
  const edges = tasks.reduce((n, t) => n + t.edges, 0);
  const results = edges < (input.inlineEdges ?? INLINE_CSR_EDGES)
    ? orderedResults<BackwardResult>({ inline: (id) => runBackwardPartition(tasks[id], sources[tasks[id].source], fds) })
    : orderedResults<BackwardResult>({ pool: input.pool(), task: 'csr-backward', threads: Math.min(input.threads, tasks.length), data: { tasks, sources } });
  return consumeInOrder(results, fds, () => use(results));
}

/**
 * Runs `use` over ordered results and waits for their producers: on a failure the producers are stopped and
 * waited for before the error goes on; either way the spill files the results read are closed, and `release` runs.
 */
async function consumeInOrder<T, K>(results: OrderedResults<unknown>, fds: Map<K, number>, use: () => Promise<T>, release?: () => void): Promise<T> {
  try {
    const out = await use();
    await results.finished();
    return out;
  } catch (err) {
    results.cancel();
    await results.finished().catch(() => undefined);
    throw err;
  } finally {
    for (const fd of fds.values()) closeSync(fd);
    release?.();
  }
}
