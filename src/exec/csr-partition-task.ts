import { openSync } from 'node:fs';
import type { PropertyType } from '../schema/types.js';
import { type ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';
import { type SpillFile, readSpill } from './spill-io.js';

/** One relationship table as a CSR task sees it (plain data: posted to worker threads). */
export interface CsrTableSpec {
  /** The type's property columns. */
  props: { name: string; type: PropertyType }[];
  nSrc: number;
  nDst: number;
  /** Target partitions of the backward direction: partition of row d is dstPartOf[d >>> dstBlockShift]. */
  dstBlockShift: number;
  dstPartOf: Uint16Array;
  dstPartitions: number;
  /** Property column names of each file feeding the table, in file column order (the order in its blocks). */
  fileProps: Record<number, string[]>;
}

/**
 * Where every block is, in shared memory (posted to workers without a copy): block i is at `meta[i * stride]`:
 * file index, edge count, spill file (-1: in `bytes`), offset, byte length, then the byte length of each of the
 * file's property columns. A streaming import has hundreds of thousands of blocks; as objects, cloned to each
 * worker, they would cost more memory than the partitions themselves.
 */
export interface BlockTable {
  meta: Float64Array;
  stride: number;
  /** Bytes of blocks kept in (shared) memory, by block number; absent when every block is spilled. */
  bytes?: (Uint8Array | undefined)[];
}

/** Shared by every CSR task of an import. */
export interface CsrInit {
  tables: CsrTableSpec[];
  blocks: BlockTable;
  spillFiles: string[];
  quote: number;
  arrayDelimiter: number;
  /** Output record batch size: segments are cut on this grid of forward positions. */
  batchRows: number;
  /**
   * Where the backward records of partitions are spilled, or undefined to keep them with the result: each thread
   * building partitions appends them to its own `<backwardSpill>.<thread>` (see runCsrPartition). Written by the
   * worker that sorted them, the records (12 bytes an edge, 600 MB at 50M edges) never cross to the main thread,
   * whose appends to the store are what the CSR phase waits on.
   */
  backwardSpill?: string;
}

/** One source partition of one table. */
export interface CsrTask {
  id: number;
  table: number;
  bucket: number;
  /** Source rows [lo, lo + width) of the partition. */
  lo: number;
  width: number;
  /** Forward position (edge id) of the partition's first edge: edges of earlier partitions, counted from blocks. */
  fwdBase: number;
  /** The partition's blocks, in range order: numbers [blockFrom, blockTo) of the BlockTable. */
  blockFrom: number;
  blockTo: number;
  edges: number;
}

/** The forward part of a partition, ready to append to the store files in order. */
export interface CsrResult {
  id: number;
  /** Out-degree of each source row of the partition. */
  degrees: Uint32Array;
  /** Target row of each edge, in forward order. */
  dst: Uint32Array;
  /** Rows of each segment (segments end on record batch boundaries), and each segment's encoded property columns. */
  segmentRows: number[];
  segments: Uint8Array[][];
  /** Backward records (target, source, edge id), grouped by target partition; group d is records[3·counts[d], 3·counts[d+1]). */
  records: Uint32Array;
  counts: Uint32Array;
  /** Where the records were written instead (see CsrInit.backwardSpill); `records` is then empty. */
  spilled?: { path: string; offset: number };
}

/**
 * Builds the forward CSR of one source partition: concatenates its blocks in range order, counting-sorts the edges
 * by source row (stable, so a node's edges keep input order), gathers targets and properties into forward order,
 * and groups each edge's backward record by target partition in edge id order. With `spill` the records go there,
 * in the same grouping, and the result says where (see CsrInit.backwardSpill).
 */
export function runCsrPartition(init: CsrInit, task: CsrTask, fds: Map<number, number>, spill?: SpillFile): CsrResult {
  const spec = init.tables[task.table];
  const { lo, width } = task;
  const part = loadPartition(init, spec, task, fds);
  const n = part.src.length;
  const { perm, degrees } = countingSort(part.src, lo, width);
  const dst = new Uint32Array(n);
  for (let i = 0; i < n; i++) dst[i] = part.dst[perm[i]];

  const segmentRows: number[] = [];
  const segments: Uint8Array[][] = [];
  for (let i = 0; i < n;) {
    const k = Math.min(n - i, init.batchRows - ((task.fwdBase + i) % init.batchRows));
    segmentRows.push(k);
    segments.push(part.props.map((source, p) => {
      const out = createColumnBuilder(spec.props[p].type, init.quote, init.arrayDelimiter);
      out.appendGathered(source, perm, i, i + k);
      return out.encode();
    }));
    i += k;
  }

  const dstBuckets = spec.dstPartitions;
  const { dstPartOf, dstBlockShift } = spec;
  const counts = new Uint32Array(dstBuckets + 1);
  for (let i = 0; i < n; i++) counts[dstPartOf[dst[i] >>> dstBlockShift] + 1]++;
  for (let b = 0; b < dstBuckets; b++) counts[b + 1] += counts[b];
  const cursor = counts.slice(0, dstBuckets);
  const records = new Uint32Array(3 * n);
  // Forward order is source order: edge i's source is the row whose run of degrees holds i, counted here rather
  // than gathered through the permutation (a random read per edge), except for a few edges over many rows.
  const sparse = n < width >>> SPARSE_SHIFT;
  for (let i = 0, r = 0, runEnd = sparse ? n : degrees[0]; i < n; i++) {
    if (!sparse) while (i === runEnd) runEnd += degrees[++r];
    const d = dst[i];
    const k = 3 * cursor[dstPartOf[d >>> dstBlockShift]]++;
    records[k] = d;
    records[k + 1] = sparse ? part.src[perm[i]] : lo + r;
    records[k + 2] = task.fwdBase + i;
  }
  if (spill === undefined) return { id: task.id, degrees, dst, segmentRows, segments, records, counts };
  const offset = spill.append(new Uint8Array(records.buffer, records.byteOffset, records.byteLength));
  return { id: task.id, degrees, dst, segmentRows, segments, records: new Uint32Array(0), counts, spilled: { path: spill.path, offset } };
}

/** Keys fewer than the range width >> this take the comparison sort in countingSort. */
const SPARSE_SHIFT = 4;

/** Stable counting sort of `keys` (all in [lo, lo + width)): the permutation, and the count per key. */
export function countingSort(keys: Uint32Array, lo: number, width: number): { perm: Uint32Array; degrees: Uint32Array } {
  const degrees = new Uint32Array(width);
  for (let i = 0; i < keys.length; i++) degrees[keys[i] - lo]++;
  if (keys.length < width >>> SPARSE_SHIFT) {
    // Few keys over a wide range (a large node table with few relationships: 20M nodes, 1000 edges): a comparison
    // sort of the keys, instead of a second array as wide as the range (80 MB at 20M nodes). Ties keep their
    // order, so the permutation is the counting sort's.
    const order = Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
    return { perm: Uint32Array.from(order), degrees };
  }
  const cursor = startsOf(degrees);
  const perm = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) perm[cursor[keys[i] - lo]++] = i;
  return { perm, degrees };
}

/** Where each key's run starts in the sorted order: the running totals of `degrees` before it. */
function startsOf(degrees: Uint32Array): Uint32Array {
  const starts = new Uint32Array(degrees.length);
  for (let k = 0, sum = 0; k < degrees.length; k++) {
    starts[k] = sum;
    sum += degrees[k];
  }
  return starts;
}

/** Concatenates a partition's blocks (in range order) into endpoint arrays and the type's property builders. */
function loadPartition(init: CsrInit, spec: CsrTableSpec, task: CsrTask, fds: Map<number, number>): { src: Uint32Array; dst: Uint32Array; props: ColumnBuilder[] } {
  const { meta, stride } = init.blocks;
  const src = new Uint32Array(task.edges);
  const dst = new Uint32Array(task.edges);
  const builders = spec.props.map((p) => createColumnBuilder(p.type, init.quote, init.arrayDelimiter));
  let at = 0;
  for (let i = task.blockFrom; i < task.blockTo; i++) {
    const m = i * stride;
    const fileIndex = meta[m];
    const count = meta[m + 1];
    const bytes = blockBytes(init, i, fds);
    src.set(new Uint32Array(bytes.buffer, bytes.byteOffset, count), at);
    dst.set(new Uint32Array(bytes.buffer, bytes.byteOffset + 4 * count, count), at);
    // The file's property columns follow the endpoints, in file order; the type's columns are matched by name.
    const fileProps = spec.fileProps[fileIndex];
    const partAt: number[] = [];
    let off = 8 * count;
    for (let k = 0; k < fileProps.length; k++) {
      partAt.push(off);
      off += meta[m + 5 + k];
    }
    spec.props.forEach((p, j) => {
      const k = fileProps.indexOf(p.name);
      if (k < 0) builders[j].appendNulls(count);
      else builders[j].appendEncoded(bytes.subarray(partAt[k], partAt[k] + meta[m + 5 + k]));
    });
    at += count;
  }
  return { src, dst, props: builders };
}

/** A block's bytes, from memory or from its spill file. */
function blockBytes(init: CsrInit, i: number, fds: Map<number, number>): Uint8Array {
  const { meta, stride } = init.blocks;
  const spill = meta[i * stride + 2];
  if (spill < 0) return init.blocks.bytes![i]!;
  const offset = meta[i * stride + 3];
  const length = meta[i * stride + 4];
  let fd = fds.get(spill);
  if (fd === undefined) fds.set(spill, (fd = openSync(init.spillFiles[spill], 'r')));
  const bytes = new Uint8Array(length);
  readSpill(fd, bytes, offset, init.spillFiles[spill]);
  return bytes;
}

/**
 * Where the backward records of one table's forward partitions are, as numbers (posted to workers as they are): row p
 * is the p-th forward partition written. Its records are grouped by target partition; `counts` holds, per row,
 * `stride` cumulative counts (records of target partition d are [counts[p * stride + d], counts[p * stride + d + 1])
 * of the row), and a spilled row's records start at byte `offsets[p]` of spill file `paths[files[p]]`.
 */
export interface BackwardSource {
  rows: number;
  stride: number;
  counts: Uint32Array;
  files: Int32Array;
  offsets: Float64Array;
  paths: string[];
}

/** An empty BackwardSource for up to `partitions` forward partitions over `dstBuckets` target partitions. */
export function backwardSource(partitions: number, dstBuckets: number): BackwardSource {
  const stride = dstBuckets + 1;
  return { rows: 0, stride, counts: new Uint32Array(partitions * stride), files: new Int32Array(partitions).fill(-1), offsets: new Float64Array(partitions), paths: [] };
}

/** Records the next forward partition's backward records (their grouping, and where they were spilled if they were). */
export function addBackwardRecords(source: BackwardSource, r: CsrResult): void {
  const p = source.rows++;
  source.counts.set(r.counts, p * source.stride);
  if (r.spilled === undefined) return;
  let f = source.paths.indexOf(r.spilled.path);
  if (f < 0) f = source.paths.push(r.spilled.path) - 1;
  source.files[p] = f;
  source.offsets[p] = r.spilled.offset;
}

/** Records of target partition `bucket`, over all forward partitions. */
export function recordsOf(source: BackwardSource, bucket: number): number {
  let n = 0;
  for (let p = 0; p < source.rows; p++) n += source.counts[p * source.stride + bucket + 1] - source.counts[p * source.stride + bucket];
  return n;
}

/** One target partition of one table's backward direction, whose records were spilled (see BackwardSource). */
export interface BackwardTask {
  id: number;
  table: number;
  /** The table's BackwardSource, by position in the list posted with the tasks. */
  source: number;
  /** The target partition, and its target rows [lo, lo + width). */
  bucket: number;
  lo: number;
  width: number;
  /** Records over all forward partitions. */
  edges: number;
}

/** The backward part of a target partition, ready to append in order: in-degrees, then (source, edge id) rows. */
export interface BackwardResult {
  id: number;
  degrees: Uint32Array;
  src: Uint32Array;
  edge: Uint32Array;
}

/**
 * Sorts one target partition's (target, source, edge id) records by target row, stably: the records arrive in
 * edge id order, so a node's incoming edges end up ordered by (source, input order), as a sort of the whole table
 * would order them.
 */
export function sortBackward(id: number, records: Uint32Array, lo: number, width: number): BackwardResult {
  const n = records.length / 3;
  if (n < width >>> SPARSE_SHIFT) {
    // Few records over a wide range: countingSort's comparison path, without a cursor array as wide as the range.
    const keys = new Uint32Array(n);
    for (let i = 0; i < n; i++) keys[i] = records[3 * i];
    const { perm, degrees } = countingSort(keys, lo, width);
    const src = new Uint32Array(n);
    const edge = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const r = 3 * perm[i];
      src[i] = records[r + 1];
      edge[i] = records[r + 2];
    }
    return { id, degrees, src, edge };
  }
  // Each record goes straight to its place (reading them in order keeps the sort stable): no permutation array,
  // and the records are read once, in order, instead of gathered at random.
  const degrees = new Uint32Array(width);
  for (let r = 0; r < 3 * n; r += 3) degrees[records[r] - lo]++;
  const cursor = startsOf(degrees);
  const src = new Uint32Array(n);
  const edge = new Uint32Array(n);
  for (let r = 0; r < 3 * n; r += 3) {
    const at = cursor[records[r] - lo]++;
    src[at] = records[r + 1];
    edge[at] = records[r + 2];
  }
  return { id, degrees, src, edge };
}

/** Reads a backward task's records from the spill files of the forward partitions and sorts them (see sortBackward). */
export function runBackwardPartition(task: BackwardTask, source: BackwardSource, fds: Map<string, number>): BackwardResult {
  const records = new Uint32Array(3 * task.edges);
  let at = 0;
  for (let p = 0; p < source.rows; p++) {
    const from = source.counts[p * source.stride + task.bucket];
    const n = source.counts[p * source.stride + task.bucket + 1] - from;
    if (n === 0) continue;
    const path = source.paths[source.files[p]];
    let fd = fds.get(path);
    if (fd === undefined) fds.set(path, (fd = openSync(path, 'r')));
    readSpill(fd, new Uint8Array(records.buffer, at * 4, n * 12), source.offsets[p] + 12 * from, 'of the backward direction');
    at += 3 * n;
  }
  return sortBackward(task.id, records, task.lo, task.width);
}
