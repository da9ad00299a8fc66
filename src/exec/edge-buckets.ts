import type { Partitioning } from '../plan/partitioning.js';
import type { ByteRange } from '../plan/split-ranges.js';
import type { PropertyType } from '../schema/types.js';
import { type ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';
import { GrowableU32 } from './growable.js';
import type { BlockMeta, BlockSink } from './rel-range-task.js';

/**
 * Where a relationship range task keeps its edges until it writes them out: per (type, source table, target table)
 * group, one buffer per CSR partition of the source table, encoded as blocks at each flush.
 */

/**
 * The edges of one (group, partition) buffered by a range task until the next flush. Buffers are kept by the
 * task context and emptied, not dropped, at each flush: a worker allocates them once, not once per range, so its
 * memory does not fill with buffers waiting for a collection.
 */
export class BucketBuffer {
  readonly src = new GrowableU32(256);
  readonly dst = new GrowableU32(256);
  readonly props: ColumnBuilder[];
  /** Row (within the range) of the first edge kept since the last flush, or -1. */
  firstRow = -1;
  /** For Arrow files read in place: appenders from the current piece's columns into `props` (dropped after it). */
  readers: ((i: number) => boolean)[] | undefined;
  constructor(types: PropertyType[], quote: number, arrayDelimiter: number) {
    this.props = types.map((t) => createColumnBuilder(t, quote, arrayDelimiter));
  }

  /** Empties the buffer, keeping its memory. */
  clear(): void {
    this.src.length = 0;
    this.dst.length = 0;
    for (const p of this.props) p.truncate(0);
    this.firstRow = -1;
    // A range that stopped mid-piece left appenders over that piece's columns.
    this.readers = undefined;
  }
}

export interface Group {
  type: string;
  srcTable: number;
  dstTable: number;
  part: Partitioning;
  buckets: (BucketBuffer | undefined)[];
  /** Makes an empty buffer for this group's edges (see bucketAt). */
  newBucket: () => BucketBuffer;
}

/** The buffer of partition `k` of `group`, made on first use (and again after encodeBlocks dropped a large one). */
export function bucketAt(group: Group, k: number): BucketBuffer {
  return (group.buckets[k] ??= group.newBucket());
}

/** The groups a file's range tasks fill, kept by the task context and emptied at the start of each range. */
export function rangeGroups(ctx: { groups: Map<number, Map<string, Group>> }, fileIndex: number): Map<string, Group> {
  let groups = ctx.groups.get(fileIndex);
  if (groups === undefined) ctx.groups.set(fileIndex, (groups = new Map<string, Group>()));
  // A range that stopped early (an error, an interrupt) may have left edges behind: they are not this range's.
  for (const g of groups.values()) for (const bb of g.buckets) bb?.clear();
  return groups;
}

/**
 * Finds (or makes) the group of an edge; rows of a file mostly share one group, so the last one is tried first.
 * Buffers of a file's groups hold its property columns: `propTypes`, read with `quote` and `arrayDelimiter`.
 */
export function groupLookup(
  groups: Map<string, Group>, partitions: Partitioning[], propTypes: PropertyType[], quote: number, arrayDelimiter: number,
): (type: string, srcTable: number, dstTable: number) => Group {
  let last: Group | undefined;
  const newBucket = (): BucketBuffer => new BucketBuffer(propTypes, quote, arrayDelimiter);
  return (type, srcTable, dstTable) => {
    if (last !== undefined && last.type === type && last.srcTable === srcTable && last.dstTable === dstTable) return last;
    const key = `${type}\u0000${srcTable}\u0000${dstTable}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { type, srcTable, dstTable, part: partitions[srcTable], buckets: [], newBucket }));
    return (last = g);
  };
}

/** Buffered rows after which a range task writes its partition buffers out as blocks. */
export const FLUSH_ROWS = 1 << 19;

/** Capacity (rows) up to which a partition buffer is kept from flush to flush (see encodeBlocks). */
export const KEEP_BUCKET_ROWS = 1 << 16;

/** Encodes (and spills, or shares) the buffered edges of every partition as blocks, and empties the buffers. */
export function encodeBlocks(range: ByteRange, groups: Map<string, Group>, sink: BlockSink, seq: number, scratch: { bytes: Uint8Array }): BlockMeta[] {
  const blocks: BlockMeta[] = [];
  for (const g of groups.values()) {
    g.buckets.forEach((bb, bucket) => {
      const n = bb?.src.length ?? 0;
      // A buffer whose rows were all rejected holds nothing: no block (an empty block would still order tables).
      if (bb === undefined || n === 0) return;
      const propBytes = bb.props.map((b) => b.encodedLength());
      const length = 8 * n + propBytes.reduce((t, p) => t + p, 0);
      // Kept blocks live in shared memory: the CSR workers read them where they are, without a copy. Spilled
      // blocks are assembled in one reused buffer, written out at once.
      let bytes: Uint8Array;
      if (sink.spill === undefined) bytes = new Uint8Array(new SharedArrayBuffer(length));
      else {
        if (scratch.bytes.length < length) scratch.bytes = new Uint8Array(Math.max(length, scratch.bytes.length * 2));
        bytes = scratch.bytes.subarray(0, length);
      }
      bytes.set(new Uint8Array(bb.src.values.buffer, 0, 4 * n), 0);
      bytes.set(new Uint8Array(bb.dst.values.buffer, 0, 4 * n), 4 * n);
      let at = 8 * n;
      for (const p of bb.props) at = p.encodeInto(bytes, at);
      const meta: BlockMeta = {
        range: range.id, fileIndex: range.fileIndex, type: g.type, srcTable: g.srcTable, dstTable: g.dstTable, bucket,
        firstRow: bb.firstRow, seq, count: n, propBytes, length,
      };
      if (sink.spill === undefined) meta.bytes = bytes;
      else Object.assign(meta, sink.spill(bytes));
      blocks.push(meta);
      // A buffer is kept for the next flush only at a size an even spread of edges fills; one grown large by a run
      // of edges into one partition (input sorted by source, as database exports are) is dropped. Kept, every
      // partition's buffer would in turn grow to a whole flush, and a worker would hold all of them.
      if (bb.src.values.length > KEEP_BUCKET_ROWS) g.buckets[bucket] = undefined;
      else bb.clear();
    });
  }
  return blocks;
}

