import { type Data, Field, Int64, Schema, Uint32, makeData } from 'apache-arrow';
import { buildCsr } from '../exec/build-csr.js';
import type { RelTypeBuffer } from '../exec/rel-buffer.js';
import { ArrowFileSink, type WrittenFile } from './arrow-file-sink.js';
import { type ManifestRelTable, typeToManifest } from './manifest.js';

/** Rows per record batch in relationship files (fixed, like node tables, for deterministic bytes). */
export const REL_RECORD_BATCH_ROWS = 1 << 17;
export const OFFSET_COLUMN = 'offset';
export const DST_COLUMN = '_dst';
export const SRC_COLUMN = '_src';
export const EDGE_COLUMN = '_edge';

/** What a written file needs to be listed in the manifest. */
export interface StoreFileEntry extends WrittenFile {
  path: string;
}

/** Where the rel writer puts files: the pending store's path resolver. */
export type PathResolver = (relative: string) => Promise<string>;

/** Splits one relationship type into (source table, target table) tables, builds their CSR and writes them. */
export async function writeRelTables(
  buffer: RelTypeBuffer, firstIndex: number, nodeCounts: number[], labels: string[], resolvePath: PathResolver,
): Promise<{ tables: ManifestRelTable[]; files: StoreFileEntry[] }> {
  const tables: ManifestRelTable[] = [];
  const files: StoreFileEntry[] = [];
  const { srcTable, srcRow, dstTable, dstRow } = buffer.endpoints();
  for (const [pair, edges] of groupByTablePair(srcTable, dstTable)) {
    const from = pair >>> 16;
    const to = pair & 0xffff;
    const src = edges === null ? srcRow : gatherU32(srcRow, edges);
    const dst = edges === null ? dstRow : gatherU32(dstRow, edges);
    const csr = buildCsr(src, dst, nodeCounts[from], nodeCounts[to]);
    const perm = edges === null ? csr.fwdPerm : gatherU32(edges, csr.fwdPerm);
    const dir = `rels/${firstIndex + tables.length}`;
    const props = buffer.builders.map((b) => b.gather(perm).toData());
    const propFields = buffer.properties.map((p, i) => new Field(p.name, props[i].type, true));
    const out = { fwdOffsets: `${dir}/fwd_offsets.arrow`, fwd: `${dir}/fwd.arrow`, bwdOffsets: `${dir}/bwd_offsets.arrow`, bwd: `${dir}/bwd.arrow` };
    files.push(await writeColumns(resolvePath, out.fwdOffsets, [new Field(OFFSET_COLUMN, new Int64(), false)], [int64Data(csr.fwdOffsets)]));
    files.push(await writeColumns(resolvePath, out.fwd, [new Field(DST_COLUMN, new Uint32(), false), ...propFields], [uint32Data(csr.fwdNeighbors), ...props]));
    files.push(await writeColumns(resolvePath, out.bwdOffsets, [new Field(OFFSET_COLUMN, new Int64(), false)], [int64Data(csr.bwdOffsets)]));
    files.push(await writeColumns(resolvePath, out.bwd, [new Field(SRC_COLUMN, new Uint32(), false), new Field(EDGE_COLUMN, new Uint32(), false)],
      [uint32Data(csr.bwdNeighbors), uint32Data(csr.bwdEdge)]));
    tables.push({
      type: buffer.type, from: labels[from], to: labels[to], count: src.length,
      properties: buffer.properties.map((p) => ({ name: p.name, type: typeToManifest(p.type) })),
      files: out,
    });
  }
  return { tables, files };
}

/** Edge indexes per (source table, target table) pair, in order of first appearance; null means "all edges". */
function groupByTablePair(srcTable: Uint16Array, dstTable: Uint16Array): Map<number, Uint32Array | null> {
  const counts = new Map<number, number>();
  for (let e = 0; e < srcTable.length; e++) {
    const key = (srcTable[e] << 16) | dstTable[e];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 1) return new Map([[counts.keys().next().value!, null]]);
  const groups = new Map<number, { idx: Uint32Array; n: number }>();
  for (const [key, n] of counts) groups.set(key, { idx: new Uint32Array(n), n: 0 });
  for (let e = 0; e < srcTable.length; e++) {
    const g = groups.get((srcTable[e] << 16) | dstTable[e])!;
    g.idx[g.n++] = e;
  }
  return new Map([...groups].map(([k, g]) => [k >>> 0, g.idx]));
}

function gatherU32(values: Uint32Array, idx: Uint32Array): Uint32Array {
  const out = new Uint32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]];
  return out;
}

function uint32Data(values: Uint32Array): Data {
  return makeData({ type: new Uint32(), length: values.length, nullCount: 0, data: values });
}

/** Exact int64 column from whole numbers held in a Float64Array (no BigInt per value). */
function int64Data(values: Float64Array): Data {
  const halves = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    halves[2 * i] = v | 0;
    halves[2 * i + 1] = Math.floor(v / 4294967296) | 0;
  }
  return makeData({ type: new Int64(), length: values.length, nullCount: 0, data: new BigInt64Array(halves.buffer) });
}

async function writeColumns(resolvePath: PathResolver, relative: string, fields: Field[], columns: Data[]): Promise<StoreFileEntry> {
  const sink = new ArrowFileSink(await resolvePath(relative), new Schema(fields));
  const length = columns[0].length;
  for (let off = 0; off < length; off += REL_RECORD_BATCH_ROWS) {
    const n = Math.min(REL_RECORD_BATCH_ROWS, length - off);
    sink.writeColumns(columns.map((c) => c.slice(off, n)), n);
  }
  return { path: relative, ...(await sink.close()) };
}
