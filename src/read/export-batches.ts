import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Data, Field, Int64, List, type RecordBatch, RecordBatchReader, Schema, Utf8, makeData } from 'apache-arrow';
import { toImportError } from '../errors/import-error.js';
import { ID_COLUMN, LABELS_COLUMN } from '../store/node-table-writer.js';
import { DST_COLUMN, OFFSET_COLUMN } from '../store/rel-table-writer.js';
import { idColumnName, needsLabelColumn, needsTypeColumn, spaceSuffix, uniqueNames } from './export-names.js';
import { type Graph, type NodeTable, type RelTable, loadArrow, requireColumn } from './open-graph.js';

/**
 * The store's tables as Arrow record batches in the import's column conventions (`id:ID(Space){id-type:..}`,
 * `:LABEL`, `:START_ID(Space)`, `:END_ID(Space)`, `:TYPE`, plain property names whose Arrow type is the property
 * type), for the Arrow and Parquet exports: importing the written files gives the same graph back. Property columns
 * are the store's own Arrow data, passed on without a copy; only endpoint IDs are gathered.
 */
export interface ExportTable {
  kind: 'node' | 'relationship';
  /** File name without extension (see uniqueNames). */
  name: string;
  schema: Schema;
  rows: number;
  /** The table's columns, one record batch at a time, read from the store as they are asked for. */
  batches(): AsyncIterable<{ columns: Data[]; length: number }>;
}

/** The record batches of a store file, read one at a time (an export holds one batch of a table, not the table). */
async function* storedBatches(dir: string, relative: string): AsyncGenerator<RecordBatch> {
  const path = join(dir, relative);
  let handle;
  try {
    handle = await open(path, 'r');
    const reader = await RecordBatchReader.from(handle);
    for await (const batch of reader) yield batch;
  } catch (err) {
    throw toImportError(err, 'GI_STORE_CORRUPT', { file: path });
  } finally {
    await handle?.close();
  }
}

async function storedSchema(dir: string, relative: string): Promise<Schema> {
  const path = join(dir, relative);
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw toImportError(err, 'GI_STORE_CORRUPT', { file: path });
  });
  try {
    return (await (await RecordBatchReader.from(handle)).open()).schema;
  } catch (err) {
    throw toImportError(err, 'GI_STORE_CORRUPT', { file: path });
  } finally {
    await handle.close();
  }
}

/**
 * Every table of an open graph as an ExportTable, nodes first. Memory: one record batch, plus the forward offsets
 * and the endpoint tables' IDs of the relationship table being written.
 */
export async function* exportTables(graph: Graph): AsyncGenerator<ExportTable> {
  const nodeNames = uniqueNames(graph.nodeTables.map((t) => t.label));
  for (const [i, t] of graph.nodeTables.entries()) yield nodeTable(t, nodeNames[i], await storedSchema(graph.dir, t.meta.file));
  const relNames = uniqueNames(graph.relationshipTables.map((r) => r.type));
  let cached: { label: string; ids: FlatIds } | undefined;
  const idsOf = async (t: NodeTable): Promise<FlatIds> => {
    if (cached?.label !== t.label) cached = { label: t.label, ids: await flatIds(t) };
    return cached.ids;
  };
  for (const [i, r] of graph.relationshipTables.entries()) {
    const from = graph.nodeTable(r.from)!;
    const to = graph.nodeTable(r.to)!;
    const srcIds = await idsOf(from);
    const dstIds = from === to ? srcIds : await flatIds(to);
    yield relTable(r, from, to, relNames[i], srcIds, dstIds, await storedSchema(graph.dir, r.meta.files.fwd));
  }
}

const LABEL_LIST = new List(new Field('item', new Utf8(), true));

function nodeTable(t: NodeTable, name: string, stored: Schema): ExportTable {
  const withLabel = needsLabelColumn(t, name);
  const fields: Field[] = [];
  if (t.meta.idSpace !== null) fields.push(new Field(idColumnName(t), stored.fields.find((f) => f.name === ID_COLUMN)!.type, false));
  for (const p of t.properties) fields.push(new Field(p.name, stored.fields.find((f) => f.name === p.name)!.type, true));
  if (withLabel) fields.push(new Field(':LABEL', LABEL_LIST, true));
  return {
    kind: 'node', name, schema: new Schema(fields), rows: t.count,
    async *batches() {
      for await (const b of storedBatches(t.dir, t.meta.file)) {
        const columns: Data[] = [];
        if (t.meta.idSpace !== null) columns.push(b.getChild(ID_COLUMN)!.data[0]);
        for (const p of t.properties) columns.push(b.getChild(p.name)!.data[0]);
        if (withLabel) columns.push(t.meta.hasLabels ? b.getChild(LABELS_COLUMN)!.data[0] : constantLabels(t.label, b.numRows));
        yield { columns, length: b.numRows };
      }
    },
  };
}

function relTable(r: RelTable, from: NodeTable, to: NodeTable, name: string, srcIds: FlatIds, dstIds: FlatIds, stored: Schema): ExportTable {
  const withType = needsTypeColumn(r.type, name);
  const fields = [
    new Field(`:START_ID${spaceSuffix(from.meta.idSpace)}`, srcIds.type, false),
    new Field(`:END_ID${spaceSuffix(to.meta.idSpace)}`, dstIds.type, false),
    ...(withType ? [new Field(':TYPE', new Utf8(), false)] : []),
    ...r.properties.map((p) => new Field(p.name, stored.fields.find((f) => f.name === p.name)!.type, true)),
  ];
  return {
    kind: 'relationship', name, schema: new Schema(fields), rows: r.count,
    async *batches() {
      const offsetsFile = r.meta.files.fwdOffsets;
      // As numbers once (edge ids are below 2^32): the walk below reads one per edge, and a BigInt read allocates.
      const offsets = Float64Array.from(requireColumn(await loadArrow(r.dir, offsetsFile), OFFSET_COLUMN, offsetsFile).toArray() as BigInt64Array, Number);
      let u = 0;
      let edge = 0;
      for await (const b of storedBatches(r.dir, r.meta.files.fwd)) {
        const n = b.numRows;
        // Source rows come from the forward offsets: edge ids are forward positions, so they advance together.
        const src = new Uint32Array(n);
        for (let k = 0; k < n; k++, edge++) {
          while (offsets[u + 1] <= edge) u++;
          src[k] = u;
        }
        const dst = b.getChild(DST_COLUMN)!.data[0].values as Uint32Array;
        const columns = [srcIds.gather(src), dstIds.gather(dst)];
        if (withType) columns.push(constantText(r.type, n));
        for (const p of r.properties) columns.push(b.getChild(p.name)!.data[0]);
        yield { columns, length: n };
      }
    },
  };
}

/** A node table's IDs in one flat array, to gather the IDs of edge endpoints from. */
interface FlatIds {
  type: Int64 | Utf8;
  gather(rows: Uint32Array): Data;
}

async function flatIds(t: NodeTable): Promise<FlatIds> {
  if (t.meta.idType === 'int64') {
    const all = new BigInt64Array(t.count);
    let at = 0;
    for await (const b of storedBatches(t.dir, t.meta.file)) {
      const d = b.getChild(ID_COLUMN)!.data[0];
      all.set(d.values as BigInt64Array, at);
      at += d.length;
    }
    return {
      type: new Int64(),
      gather(rows) {
        const out = new BigInt64Array(rows.length);
        for (let k = 0; k < rows.length; k++) out[k] = all[rows[k]];
        return makeData({ type: new Int64(), length: rows.length, nullCount: 0, data: out });
      },
    };
  }
  // String IDs: one byte buffer and absolute offsets (a store's ID bytes can pass 2 GiB in total, hence Float64).
  const parts: Uint8Array[] = [];
  const starts = new Float64Array(t.count + 1);
  let row = 0;
  let pos = 0;
  for await (const b of storedBatches(t.dir, t.meta.file)) {
    const d = b.getChild(ID_COLUMN)!.data[0];
    const off = d.valueOffsets as Int32Array;
    parts.push((d.values as Uint8Array).slice(off[0], off[d.length]));
    for (let k = 0; k < d.length; k++) starts[row++] = pos + off[k] - off[0];
    pos += off[d.length] - off[0];
  }
  starts[row] = pos;
  const text = new Uint8Array(pos);
  let at = 0;
  for (const part of parts.splice(0)) {
    text.set(part, at);
    at += part.length;
  }
  return {
    type: new Utf8(),
    gather(rows) {
      let total = 0;
      for (let k = 0; k < rows.length; k++) total += starts[rows[k] + 1] - starts[rows[k]];
      const out = new Uint8Array(total);
      const offsets = new Int32Array(rows.length + 1);
      let at = 0;
      for (let k = 0; k < rows.length; k++) {
        const s = starts[rows[k]];
        const e = starts[rows[k] + 1];
        out.set(text.subarray(s, e), at);
        at += e - s;
        offsets[k + 1] = at;
      }
      return makeData({ type: new Utf8(), length: rows.length, nullCount: 0, valueOffsets: offsets, data: out });
    },
  };
}

function constantText(value: string, n: number): Data {
  const one = Buffer.from(value, 'utf8');
  const data = new Uint8Array(one.length * n);
  const offsets = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) {
    data.set(one, k * one.length);
    offsets[k + 1] = (k + 1) * one.length;
  }
  return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data });
}

function constantLabels(label: string, n: number): Data {
  const child = constantText(label, n);
  const offsets = new Int32Array(n + 1);
  for (let k = 0; k <= n; k++) offsets[k] = k;
  return makeData({ type: LABEL_LIST, length: n, nullCount: 0, valueOffsets: offsets, child } as never);
}
