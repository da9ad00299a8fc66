import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { Field } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { type PropertySchema, mergeProperty } from '../schema/graph-schema.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { type PropertyType, formatType } from '../schema/types.js';
import { type ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';
import { type ManifestRelTable, typeToManifest } from '../store/manifest.js';
import {
  DST_COLUMN, EDGE_COLUMN, EdgeRowsWriter, OffsetsWriter, type PathResolver, SRC_COLUMN, type StoreFileEntry,
} from '../store/rel-table-writer.js';
import type { BlockMeta } from './rel-range-task.js';

/** Inputs of the CSR build. */
export interface RelTablesInput {
  blocks: BlockMeta[];
  /** Spill file per worker id, for blocks that were spilled. */
  spillFiles: string[];
  files: InputFile[];
  /** Column types per file (schema.columnTypes). */
  columnTypes: (PropertyType | undefined)[][];
  nodeCounts: number[];
  labels: string[];
  /** Per node table: partition width (rows) is 2^bucketShift; the same partitions serve both directions. */
  bucketShift: number[];
  quote: number;
  arrayDelimiter: number;
  resolvePath: PathResolver;
  /** Where to spill the backward direction's partitions, or undefined to keep them in memory. */
  backwardSpill?: string;
  signal?: AbortSignal;
  /** Called after each partition with the edges written so far. */
  onProgress?: (edges: number) => void;
}

/** One relationship table: a type between one source table and one target table. */
interface TableGroup {
  type: string;
  srcTable: number;
  dstTable: number;
  /** (range, row) of its first edge, for ordering tables by first appearance. */
  first: [number, number];
  blocks: BlockMeta[];
}

/**
 * Builds the CSR of every relationship table from the blocks of the relationship phase, one source partition at a
 * time, so memory holds one partition (not the whole table). Forward: the blocks of a partition, in range order,
 * are counting-sorted by source row (stable, so a node's edges keep input order); edge ids are forward positions.
 * Backward: each forward partition sends (target, source, edge id) to the target's partition (spilled when
 * streaming), and each target partition is counting-sorted the same way, so a node's incoming edges are ordered by
 * (source, input order) — the same result as sorting the whole table at once.
 */
export async function buildRelTables(input: RelTablesInput): Promise<{ tables: ManifestRelTable[]; files: StoreFileEntry[] }> {
  const groups = groupTables(input.blocks);
  const typeProps = relationshipProperties(groups, input.files, input.columnTypes);
  const spillFds = new Map<number, number>();
  const tables: ManifestRelTable[] = [];
  const files: StoreFileEntry[] = [];
  let written = 0;
  try {
    for (const g of groups) {
      if (input.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
      const dir = `rels/${tables.length}`;
      const props = typeProps.get(g.type)!;
      const count = await buildOne(input, g, props, dir, files, spillFds, (n) => input.onProgress?.((written += n)));
      tables.push({
        type: g.type, from: input.labels[g.srcTable], to: input.labels[g.dstTable], count,
        properties: props.map((p) => ({ name: p.name, type: typeToManifest(p.type) })),
        files: { fwdOffsets: `${dir}/fwd_offsets.arrow`, fwd: `${dir}/fwd.arrow`, bwdOffsets: `${dir}/bwd_offsets.arrow`, bwd: `${dir}/bwd.arrow` },
      });
    }
  } finally {
    for (const fd of spillFds.values()) closeSync(fd);
  }
  return { tables, files };
}

function groupTables(blocks: BlockMeta[]): TableGroup[] {
  const byKey = new Map<string, TableGroup>();
  for (const b of blocks) {
    const key = `${b.type}\u0000${b.srcTable}\u0000${b.dstTable}`;
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { type: b.type, srcTable: b.srcTable, dstTable: b.dstTable, first: [b.range, b.firstRow], blocks: [] }));
    if (before([b.range, b.firstRow], g.first)) g.first = [b.range, b.firstRow];
    g.blocks.push(b);
  }
  // Types in order of first appearance, and a type's (source, target) tables likewise: the order a single
  // sequential reader would meet them, whatever the number of threads.
  const typeFirst = new Map<string, [number, number]>();
  for (const g of byKey.values()) {
    const t = typeFirst.get(g.type);
    if (t === undefined || before(g.first, t)) typeFirst.set(g.type, g.first);
  }
  return [...byKey.values()].sort((a, b) => {
    if (a.type !== b.type) return before(typeFirst.get(a.type)!, typeFirst.get(b.type)!) ? -1 : 1;
    return before(a.first, b.first) ? -1 : 1;
  });
}

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** Property columns of each type: the union over the files feeding it, in file order; a type disagreement fails. */
function relationshipProperties(groups: TableGroup[], files: InputFile[], columnTypes: (PropertyType | undefined)[][]): Map<string, PropertySchema[]> {
  const feeding = new Map<string, Set<number>>();
  for (const g of groups) {
    const set = feeding.get(g.type) ?? new Set<number>();
    for (const b of g.blocks) set.add(b.fileIndex);
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

/** A block's bytes, from memory or its spill file. */
function blockBytes(b: BlockMeta, spillFiles: string[], fds: Map<number, number>): Uint8Array {
  if (b.bytes !== undefined) return b.bytes;
  let fd = fds.get(b.spill!);
  if (fd === undefined) fds.set(b.spill!, (fd = openSync(spillFiles[b.spill!], 'r')));
  const bytes = new Uint8Array(b.length);
  let done = 0;
  while (done < b.length) {
    const n = readSync(fd, bytes, done, b.length - done, b.offset! + done);
    if (n === 0) throw new ImportError('GI_STORE_WRITE', `spill file ${spillFiles[b.spill!]} is shorter than expected`);
    done += n;
  }
  return bytes;
}

/** A chunk of backward records (target row, source row, edge id), in edge id order. */
interface BackwardChunk {
  n: number;
  data?: Uint32Array;
  offset?: number;
}

async function buildOne(
  input: RelTablesInput, g: TableGroup, props: PropertySchema[], dir: string, files: StoreFileEntry[], fds: Map<number, number>,
  progress: (edges: number) => void,
): Promise<number> {
  const nSrc = input.nodeCounts[g.srcTable];
  const nDst = input.nodeCounts[g.dstTable];
  const shift = input.bucketShift[g.srcTable];
  const dstShift = input.bucketShift[g.dstTable];
  const newBuilders = (): ColumnBuilder[] => props.map((p) => createColumnBuilder(p.type, input.quote, input.arrayDelimiter));
  const propFields = props.map((p) => new Field(p.name, createColumnBuilder(p.type, input.quote, input.arrayDelimiter).arrowType, true));
  const byBucket = new Map<number, BlockMeta[]>();
  for (const b of g.blocks) {
    const list = byBucket.get(b.bucket) ?? [];
    list.push(b);
    byBucket.set(b.bucket, list);
  }
  const backward: BackwardChunk[][] = [];
  const bwdFd = input.backwardSpill === undefined ? undefined : openSync(`${input.backwardSpill}.${dir.replace('/', '-')}`, 'w+');
  let bwdSpilled = 0;

  const dstBuckets = Math.ceil(nDst / 2 ** dstShift);
  const fwdOffsets = await OffsetsWriter.open(input.resolvePath, `${dir}/fwd_offsets.arrow`);
  const fwd = await EdgeRowsWriter.open(input.resolvePath, `${dir}/fwd.arrow`, [DST_COLUMN], propFields, newBuilders());
  let edges = 0;
  try {
    const size = 2 ** shift;
    for (let bucket = 0; bucket * size < nSrc; bucket++) {
      const lo = bucket * size;
      const width = Math.min(nSrc, lo + size) - lo;
      const blocks = byBucket.get(bucket);
      if (blocks === undefined) {
        await fwdOffsets.appendEmpty(width);
        continue;
      }
      const part = loadPartition(blocks, props, input, fds, newBuilders);
      const { perm, degrees } = countingSort(part.src, lo, width);
      await fwdOffsets.appendDegrees(degrees, 0, width);
      // Forward rows in CSR order.
      const n = part.src.length;
      for (let i = 0; i < n;) {
        const k = Math.min(fwd.room(), n - i);
        const out = fwd.u32[0];
        const at = fwd.filled;
        for (let j = 0; j < k; j++) out[at + j] = part.dst[perm[i + j]];
        for (let p = 0; p < props.length; p++) fwd.props[p].appendGathered(part.props[p], perm, i, i + k);
        await fwd.advance(k);
        i += k;
      }
      // Each edge's backward record (target, source, edge id) goes to its target's partition, in edge id order.
      const counts = new Uint32Array(dstBuckets + 1);
      for (let i = 0; i < n; i++) counts[(part.dst[perm[i]] >>> dstShift) + 1]++;
      for (let b = 0; b < dstBuckets; b++) counts[b + 1] += counts[b];
      const cursor = counts.slice(0, dstBuckets);
      const records = new Uint32Array(3 * n);
      for (let i = 0; i < n; i++) {
        const e = perm[i];
        const d = part.dst[e];
        const k = 3 * cursor[d >>> dstShift]++;
        records[k] = d;
        records[k + 1] = part.src[e];
        records[k + 2] = edges + i;
      }
      for (let db = 0; db < dstBuckets; db++) {
        if (counts[db + 1] === counts[db]) continue;
        const data = records.subarray(3 * counts[db], 3 * counts[db + 1]);
        const chunk: BackwardChunk = { n: data.length / 3 };
        if (bwdFd === undefined) chunk.data = data;
        else {
          writeSync(bwdFd, data, 0, data.byteLength, bwdSpilled);
          chunk.offset = bwdSpilled;
          bwdSpilled += data.byteLength;
        }
        (backward[db] ??= []).push(chunk);
      }
      edges += n;
      progress(n);
      if (input.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
    }
    files.push(await fwdOffsets.close(), await fwd.close());
  } catch (err) {
    await Promise.all([fwdOffsets.abort(), fwd.abort()]);
    if (bwdFd !== undefined) closeSync(bwdFd);
    throw err;
  }

  const bwdOffsets = await OffsetsWriter.open(input.resolvePath, `${dir}/bwd_offsets.arrow`);
  const bwd = await EdgeRowsWriter.open(input.resolvePath, `${dir}/bwd.arrow`, [SRC_COLUMN, EDGE_COLUMN], [], []);
  try {
    const size = 2 ** dstShift;
    for (let bucket = 0; bucket * size < nDst; bucket++) {
      const lo = bucket * size;
      const width = Math.min(nDst, lo + size) - lo;
      const chunks = backward[bucket];
      if (chunks === undefined) {
        await bwdOffsets.appendEmpty(width);
        continue;
      }
      const records = readBackward(chunks, bwdFd);
      const n = records.length / 3;
      const dstRows = new Uint32Array(n);
      for (let i = 0; i < n; i++) dstRows[i] = records[3 * i];
      const { perm, degrees } = countingSort(dstRows, lo, width);
      await bwdOffsets.appendDegrees(degrees, 0, width);
      for (let i = 0; i < n;) {
        const k = Math.min(bwd.room(), n - i);
        const [srcOut, edgeOut] = bwd.u32;
        const at = bwd.filled;
        for (let j = 0; j < k; j++) {
          const r = 3 * perm[i + j];
          srcOut[at + j] = records[r + 1];
          edgeOut[at + j] = records[r + 2];
        }
        await bwd.advance(k);
        i += k;
      }
      backward[bucket] = [];
    }
    files.push(await bwdOffsets.close(), await bwd.close());
  } catch (err) {
    await Promise.all([bwdOffsets.abort(), bwd.abort()]);
    throw err;
  } finally {
    if (bwdFd !== undefined) closeSync(bwdFd);
  }
  return edges;
}

/** Concatenates the blocks of one source partition (in range order) into endpoint arrays and property builders. */
function loadPartition(
  blocks: BlockMeta[], props: PropertySchema[], input: RelTablesInput, fds: Map<number, number>, newBuilders: () => ColumnBuilder[],
): { src: Uint32Array; dst: Uint32Array; props: ColumnBuilder[] } {
  const n = blocks.reduce((t, b) => t + b.count, 0);
  const src = new Uint32Array(n);
  const dst = new Uint32Array(n);
  const builders = newBuilders();
  let at = 0;
  for (const b of blocks) {
    const bytes = blockBytes(b, input.spillFiles, fds);
    src.set(new Uint32Array(bytes.buffer, bytes.byteOffset, b.count), at);
    dst.set(new Uint32Array(bytes.buffer, bytes.byteOffset + 4 * b.count, b.count), at);
    // The file's property columns, in file order, follow the endpoints; map them to the type's columns by name.
    const fileProps = input.files[b.fileIndex].layout.columns.filter((c) => c.kind === 'property').map((c) => (c as { name: string }).name);
    const partAt: number[] = [];
    let off = 8 * b.count;
    for (const len of b.propBytes) {
      partAt.push(off);
      off += len;
    }
    props.forEach((p, i) => {
      const k = fileProps.indexOf(p.name);
      if (k < 0) builders[i].appendNulls(b.count);
      else builders[i].appendEncoded(bytes.subarray(partAt[k], partAt[k] + b.propBytes[k]));
    });
    at += b.count;
  }
  return { src, dst, props: builders };
}

/** Stable counting sort of `keys` (all in [lo, lo + width)): the permutation, and the count per key. */
function countingSort(keys: Uint32Array, lo: number, width: number): { perm: Uint32Array; degrees: Uint32Array } {
  const degrees = new Uint32Array(width);
  for (let i = 0; i < keys.length; i++) degrees[keys[i] - lo]++;
  const cursor = new Uint32Array(width);
  let sum = 0;
  for (let k = 0; k < width; k++) {
    cursor[k] = sum;
    sum += degrees[k];
  }
  const perm = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) perm[cursor[keys[i] - lo]++] = i;
  return { perm, degrees };
}

function readBackward(chunks: BackwardChunk[], fd: number | undefined): Uint32Array {
  const total = chunks.reduce((t, c) => t + c.n, 0);
  const out = new Uint32Array(3 * total);
  let at = 0;
  for (const c of chunks) {
    if (c.data !== undefined) out.set(c.data, at);
    else {
      const view = new Uint8Array(out.buffer, at * 4, c.n * 12);
      let done = 0;
      while (done < view.length) {
        const n = readSync(fd!, view, done, view.length - done, c.offset! + done);
        if (n === 0) throw new ImportError('GI_STORE_WRITE', 'backward spill file is shorter than expected');
        done += n;
      }
    }
    at += 3 * c.n;
  }
  return out;
}
