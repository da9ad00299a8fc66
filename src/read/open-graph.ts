import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Table, type Vector, tableFromIPC } from 'apache-arrow';
import { ImportError, toImportError } from '../errors/import-error.js';
import { type Manifest, type ManifestNodeTable, type ManifestRelTable, readManifest } from '../store/manifest.js';
import { ID_COLUMN, LABELS_COLUMN } from '../store/node-table-writer.js';
import { DST_COLUMN, EDGE_COLUMN, OFFSET_COLUMN, SRC_COLUMN } from '../store/rel-table-writer.js';
import { type Value, columnReader } from './column-values.js';

/** An Arrow IPC file of the store, read whole; an unreadable one is GI_STORE_CORRUPT. */
export async function loadArrow(dir: string, relative: string): Promise<Table> {
  const path = join(dir, relative);
  try {
    return tableFromIPC(await readFile(path));
  } catch (err) {
    throw toImportError(err, 'GI_STORE_CORRUPT', { file: path });
  }
}

/** A column of a store file, or GI_STORE_CORRUPT naming it when the file lacks it. */
export function requireColumn(table: Table, name: string, file: string): Vector {
  const v = table.getChild(name);
  if (v === null) throw new ImportError('GI_STORE_CORRUPT', `column "${name}" is missing`, { file });
  return v;
}

/** A node table of an open store: columns load on first use. */
export class NodeTable {
  readonly label: string;
  readonly count: number;
  private table?: Table;
  private idLookup?: Map<string, number>;
  private readonly readers = new Map<string, (row: number) => Value>();

  constructor(readonly dir: string, readonly meta: ManifestNodeTable) {
    this.label = meta.label;
    this.count = meta.count;
  }

  /** The property columns with their types. */
  get properties(): { name: string; type: string }[] {
    return this.meta.properties;
  }

  /** Loads the table's Arrow file (once). */
  async load(): Promise<this> {
    this.table ??= await loadArrow(this.dir, this.meta.file);
    return this;
  }

  private arrow(): Table {
    if (this.table === undefined) throw new ImportError('GI_INTERNAL', `node table ${this.label} used before load()`);
    return this.table;
  }

  /** Rows in the table's Arrow file (equals `count` in a sound store; verify compares them). */
  get storedRows(): number {
    return this.arrow().numRows;
  }

  /** Reader for a column by name (`_id`, `_labels` or a property); throws for an unknown name. */
  column(name: string): (row: number) => Value {
    let read = this.readers.get(name);
    if (read === undefined) this.readers.set(name, (read = columnReader(requireColumn(this.arrow(), name, this.meta.file))));
    return read;
  }

  /** The original ID of each row, as text; undefined for tables without IDs. */
  ids(): string[] | undefined {
    if (this.meta.idSpace === null) return undefined;
    const read = this.column(ID_COLUMN);
    return Array.from({ length: this.count }, (_, i) => String(read(i)));
  }

  /** Row of the node with original ID `id` (compared as text), or -1. */
  lookup(id: string | number | bigint): number {
    if (this.idLookup === undefined) {
      this.idLookup = new Map((this.ids() ?? []).map((v, i) => [v, i]));
    }
    return this.idLookup.get(String(id)) ?? -1;
  }

  /** Row `i` as an object: `_id`, each property, and `_labels` when the table keeps labels. */
  row(i: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    const names = [...(this.meta.idSpace === null ? [] : [ID_COLUMN]), ...this.meta.properties.map((p) => p.name), ...(this.meta.hasLabels ? [LABELS_COLUMN] : [])];
    for (const name of names) out[name] = this.column(name)(i);
    return out;
  }
}

/** One neighbor of a node: its row in the other table and the edge id (forward CSR position). */
export interface Neighbor {
  node: number;
  edge: number;
}

/** A relationship table (one type between two node tables) of an open store. */
export class RelTable {
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly count: number;
  fwdOffsets!: BigInt64Array;
  fwdNeighbors!: Uint32Array;
  bwdOffsets!: BigInt64Array;
  bwdNeighbors!: Uint32Array;
  bwdEdges!: Uint32Array;
  private fwd?: Table;
  private readonly readers = new Map<string, (edge: number) => Value>();

  constructor(readonly dir: string, readonly meta: ManifestRelTable) {
    this.type = meta.type;
    this.from = meta.from;
    this.to = meta.to;
    this.count = meta.count;
  }

  /** The edge property columns with their types. */
  get properties(): { name: string; type: string }[] {
    return this.meta.properties;
  }

  /** Loads the CSR arrays (once). */
  async load(): Promise<this> {
    if (this.fwd !== undefined) return this;
    const f = this.meta.files;
    const [fo, fwd, bo, bwd] = await Promise.all([f.fwdOffsets, f.fwd, f.bwdOffsets, f.bwd].map((p) => loadArrow(this.dir, p)));
    this.fwdOffsets = requireColumn(fo, OFFSET_COLUMN, f.fwdOffsets).toArray() as BigInt64Array;
    this.fwdNeighbors = requireColumn(fwd, DST_COLUMN, f.fwd).toArray() as Uint32Array;
    this.bwdOffsets = requireColumn(bo, OFFSET_COLUMN, f.bwdOffsets).toArray() as BigInt64Array;
    this.bwdNeighbors = requireColumn(bwd, SRC_COLUMN, f.bwd).toArray() as Uint32Array;
    this.bwdEdges = requireColumn(bwd, EDGE_COLUMN, f.bwd).toArray() as Uint32Array;
    this.fwd = fwd;
    return this;
  }

  /** Outgoing edges of source row `row`, in CSR order. */
  outNeighbors(row: number): Neighbor[] {
    const out: Neighbor[] = [];
    for (let p = Number(this.fwdOffsets[row]); p < Number(this.fwdOffsets[row + 1]); p++) out.push({ node: this.fwdNeighbors[p], edge: p });
    return out;
  }

  /** Incoming edges of target row `row`. */
  inNeighbors(row: number): Neighbor[] {
    const out: Neighbor[] = [];
    for (let q = Number(this.bwdOffsets[row]); q < Number(this.bwdOffsets[row + 1]); q++) out.push({ node: this.bwdNeighbors[q], edge: this.bwdEdges[q] });
    return out;
  }

  /** Reader for an edge property column, indexed by edge id. */
  column(name: string): (edge: number) => Value {
    if (this.fwd === undefined) throw new ImportError('GI_INTERNAL', `relationship table ${this.type} used before load()`);
    let read = this.readers.get(name);
    if (read === undefined) this.readers.set(name, (read = columnReader(requireColumn(this.fwd, name, this.meta.files.fwd))));
    return read;
  }

  /** Properties of edge `edge` as an object. */
  edgeProperties(edge: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const p of this.meta.properties) out[p.name] = this.column(p.name)(edge);
    return out;
  }

  /** Every edge as (source row, target row, edge id), in forward CSR order. */
  *edges(): Generator<{ src: number; dst: number; edge: number }> {
    const n = this.fwdOffsets.length - 1;
    for (let u = 0; u < n; u++) {
      for (let p = Number(this.fwdOffsets[u]); p < Number(this.fwdOffsets[u + 1]); p++) yield { src: u, dst: this.fwdNeighbors[p], edge: p };
    }
  }
}

/** An open graph store. */
export interface Graph {
  dir: string;
  manifest: Manifest;
  nodeTables: NodeTable[];
  relationshipTables: RelTable[];
  /** The node table with this label. */
  nodeTable(label: string): NodeTable | undefined;
}

/** Opens the store at `dir`: reads the manifest; tables load their columns with `load()`. */
export async function openGraph(dir: string): Promise<Graph> {
  const manifest = await readManifest(dir);
  const nodeTables = manifest.nodeTables.map((t) => new NodeTable(dir, t));
  const relationshipTables = manifest.relationshipTables.map((t) => new RelTable(dir, t));
  return { dir, manifest, nodeTables, relationshipTables, nodeTable: (label) => nodeTables.find((t) => t.label === label) };
}
