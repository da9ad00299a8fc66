import { type RowBatch, readBatches } from '../input/batch-reader.js';
import { FieldTextCache } from '../input/field-text.js';
import { FIELD_ESCAPED } from '../input/scanner.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { type InferredKind, fitsInferredKind } from '../schema/infer-types.js';
import { type ColumnBuilder, Int64ColumnBuilder, type Utf8ColumnBuilder } from '../store/column-builders.js';
import { APPENDED, KIND_CHANGED, appendInferred } from './append-field.js';
import type { NodeTableWriter } from '../store/node-table-writer.js';
import { ImportError } from '../errors/import-error.js';
import { type RejectLog, toleratesBadRows } from './bad-rows.js';
import { isRepeatedHeader } from '../input/repeated-header.js';
import type { IdIndex } from './id-index.js';
import { nodeChunkBuilders, parseNodeColumns } from './node-columns.js';
import type { NodeFileSpec } from './node-range-task.js';
import { textFileSpec } from './text-file-spec.js';
import { castError, duplicateIdError, fieldCountError, idCastError, inferenceRestart, missingIdError } from './row-errors.js';
import { unescapeInto } from './unescape.js';

/** Progress of a load: called at every batch boundary. */
export type BatchProgress = (rows: number, bytesDone: number) => void;

/** The tables and indexes node rows are loaded into. */
export interface NodeSinks {
  schema: GraphSchema;
  writers: NodeTableWriter[];
  /** ID index per space name. */
  indexes: Map<string, IdIndex>;
  arrayDelimiter: string;
  /** Per column of this file: the kind a sample inferred, which every value must still fit (null: no check). */
  verifyKinds?: (InferredKind | null)[];
  /** Where bad rows are decided and recorded; without it the first bad row fails the load. */
  rejects?: RejectLog;
  /** With --auto-skip-subsequent-headers: rows repeating the header are passed over and counted here. */
  skipHeaders?: { count: number };
}

/** Per (file, table): which table column each file column feeds, and the table columns the file lacks. */
export interface ColumnRoute {
  /** For each file column: index into writer.properties, or -1. */
  target: Int32Array;
  /** writer.properties indexes the file does not feed: null on every row. */
  missing: number[];
}

/** Which table column each of a file's columns feeds, and the table columns the file lacks. */
export function routeColumns(file: InputFile, writer: NodeTableWriter): ColumnRoute {
  const target = new Int32Array(file.layout.columns.length).fill(-1);
  const fed = new Set<number>();
  file.layout.columns.forEach((c, i) => {
    if (c.kind !== 'property') return;
    const at = writer.schema.properties.findIndex((p) => p.name === c.name);
    target[i] = at;
    fed.add(at);
  });
  const missing = writer.schema.properties.map((_, i) => i).filter((i) => !fed.has(i));
  return { target, missing };
}

/** Loads every row of a node file into its table(s) and the ID index. Throws the first data error. */
export async function loadNodeFile(file: InputFile, fileIndex: number, sinks: NodeSinks, batchRows: number, progress: BatchProgress): Promise<number> {
  const { schema, writers } = sinks;
  const routing = schema.nodeRouting[fileIndex]!;
  const types = schema.columnTypes[fileIndex];
  const width = file.layout.columns.length;
  const idCol = file.layout.idColumn;
  const idSpec = idColumnSpec(file.layout);
  const index = idSpec !== undefined ? sinks.indexes.get(idSpec.space)! : undefined;
  const labelCol = file.layout.labelColumn;
  const quote = file.quote.charCodeAt(0);
  const routes = new Map<number, ColumnRoute>();
  let lastTable = -1;
  let lastRoute: ColumnRoute | undefined;
  // Rows of a file almost always share one table: skip the Map unless the table changed.
  const routeOf = (t: number): ColumnRoute => {
    if (t === lastTable) return lastRoute!;
    let r = routes.get(t);
    if (r === undefined) routes.set(t, (r = routeColumns(file, writers[t])));
    lastTable = t;
    lastRoute = r;
    return r;
  };
  const scratch = { bytes: new Uint8Array(256) };
  const labelCache = new FieldTextCache((text) => ({ empty: text === '', first: text.split(sinks.arrayDelimiter)[0].trim() }));
  const verify = sinks.verifyKinds;
  // An int ID space inferred from a sample: an ID that is not a plain int64 means the space must be re-inferred.
  const verifyId = index?.kind === 'int' && idCol >= 0 && (verify?.[idCol] ?? null) !== null;
  const idName = idSpec !== undefined && idSpec.name !== '' ? idSpec.name : ':ID';
  let loaded = 0;
  const range = {
    path: file.dataPath, name: file.path, start: file.dataStart, end: file.size, firstLine: file.dataLine, batchRows, fieldsPerRow: width,
    dialect: { delimiter: file.delimiter.charCodeAt(0), quote },
  };
  const log = sinks.rejects;
  // Tolerant imports check the ID before anything is stored and add it to the index last, so a row that turns out
  // bad half-way through can be undone (builders truncated) without the index ever seeing it.
  const tolerant = log !== undefined && toleratesBadRows(log.policy);
  const extraOk = log?.policy.ignoreExtraColumns === true;
  const header = sinks.skipHeaders !== undefined && file.headerText !== '' ? Buffer.from(file.headerText) : undefined;
  // Tolerant imports and repeated headers decide row by row what is kept.
  const columns = tolerant || header !== undefined ? undefined : columnPath(file, fileIndex, sinks);
  for await (const batch of readBatches(range)) {
    const { buf, scan } = batch;
    if (columns !== undefined && appendColumns(columns, batch)) {
      loaded += scan.rows;
      progress(scan.rows, batch.bytesDone);
      continue;
    }
    let skipped = 0;
    // Positions are built only for errors: no allocation per row on the hot path.
    const at = (row: number) => ({ file: file.path, batch, row });
    for (let r = 0; r < scan.rows; r++) {
      if (header !== undefined && isRepeatedHeader(buf, scan, r, header)) {
        sinks.skipHeaders!.count++;
        skipped++;
        continue;
      }
      let writer: NodeTableWriter | undefined;
      try {
        const got = scan.fieldCount(r);
        if (got !== width && !(extraOk && got > width)) throw fieldCountError(at(r), width);
        const base = scan.rowField[r];
        let table = routing.fixedTable;
        let labels = NO_LABELS;
        if (routing.byLabel !== undefined) {
          labels = labelCache.get(buf, scan, base + labelCol, quote);
          if (labels.first !== '') table = routing.byLabel.get(labels.first)!;
        }
        writer = writers[table];
        const row = writer.rowCount;
        let key: Uint8Array = buf;
        let ks = 0;
        let ke = 0;
        // The ID's halves, kept: parsing a long property later reuses int64Out.
        let idLo = 0;
        let idHi = 0;
        const hasId = index !== undefined && writer.id !== null;
        if (hasId) {
          const f = base + idCol;
          ks = scan.fieldStart[f];
          ke = scan.fieldEnd[f];
          if (ks === ke) throw missingIdError(at(r), idCol);
          if ((scan.fieldFlags[f] & FIELD_ESCAPED) !== 0) {
            ke = unescapeInto(scratch, buf, ks, ke, quote);
            ks = 0;
            key = scratch.bytes;
          }
          if (index.kind === 'int') {
            if (verifyId && !fitsInferredKind('long', key, ks, ke)) throw inferenceRestart(at(r), idCol, idName, 'long');
            if (!parseInt64(key, ks, ke)) throw idCastError(at(r), f, idCol, idName);
            idLo = int64Out.lo;
            idHi = int64Out.hi;
          }
          if (tolerant) {
            const seen = index.kind === 'int' ? index.lookupInt(idLo, idHi) : index.lookupString(key, ks, ke);
            if (seen >= 0) throw duplicateIdError(at(r), idCol, idSpec!.space, writers[index.tableOf(seen)].schema.label);
          } else {
            const dup = index.kind === 'int' ? index.insertInt(idLo, idHi, table, row) : index.insertString(key, ks, ke, table, row);
            if (dup >= 0) throw duplicateIdError(at(r), idCol, idSpec!.space, writers[index.tableOf(dup)].schema.label);
          }
        }
        const route = routeOf(table);
        for (let c = 0; c < width; c++) {
          const p = route.target[c];
          if (p < 0) continue;
          const expected = verify?.[c] ?? null;
          const outcome = appendInferred(writer.properties[p], types[c]!, expected, buf, scan.fieldStart[base + c], scan.fieldEnd[base + c], scan.fieldFlags[base + c]);
          if (outcome === KIND_CHANGED) throw inferenceRestart(at(r), c, writer.schema.properties[p].name, expected!);
          if (outcome !== APPENDED) throw castError(at(r), base + c, c, writer.schema.properties[p].name, types[c]!);
        }
        if (hasId) {
          if (tolerant) {
            // Looked up above: the key is new.
            if (index.kind === 'int') index.insertInt(idLo, idHi, table, row);
            else index.insertString(key, ks, ke, table, row);
          }
          if (index.kind === 'int') (writer.id as Int64ColumnBuilder).appendHalves(idLo, idHi);
          else writer.id!.appendBytes(key, ks, ke, 0);
        }
        for (const p of route.missing) writer.properties[p].appendNull();
        if (writer.labels !== null) {
          if (labelCol < 0 || labels.empty) writer.labels.appendNull();
          else writer.labels.appendBytes(buf, scan.fieldStart[base + labelCol], scan.fieldEnd[base + labelCol], scan.fieldFlags[base + labelCol]);
        }
        writer.endRow();
      } catch (err) {
        if (!tolerant || !(err instanceof ImportError) || err.code === 'GI_INFERENCE_RESTART') throw err;
        writer?.abandonRow();
        // A row bad before its table is known (field count) belongs to the file's table when the file has one.
        log.reject(err, (writer ?? (routing.fixedTable >= 0 ? writers[routing.fixedTable] : undefined))?.schema.label);
        skipped++;
      }
    }
    loaded += scan.rows - skipped;
    progress(scan.rows, batch.bytesDone);
  }
  return loaded;
}

const NO_LABELS = { empty: true, first: '' };

/** A file's column-at-a-time path (see parseNodeColumns): its spec, and builders for one batch, ID first. */
interface ColumnPath {
  spec: NodeFileSpec;
  writers: NodeTableWriter[];
  table: number;
  index: IdIndex | undefined;
  space: string;
  id: ColumnBuilder | undefined;
  props: ColumnBuilder[];
  /** `id` (when the table keeps IDs) then `props`: the columns NodeTableWriter.appendRows takes. */
  sources: ColumnBuilder[];
}

/** The column path of a node file whose rows all go to one table without a labels column, else undefined. */
function columnPath(file: InputFile, fileIndex: number, sinks: NodeSinks): ColumnPath | undefined {
  const routing = sinks.schema.nodeRouting[fileIndex]!;
  if (routing.byLabel !== undefined || routing.fixedTable < 0) return undefined;
  const writer = sinks.writers[routing.fixedTable];
  if (writer.labels !== null) return undefined;
  // The spec has an ID column exactly when the table keeps IDs: a table's ID space is its files' (graph-schema.ts).
  const spec = nodeFileSpec(file, fileIndex, sinks, writer);
  const space = idColumnSpec(file.layout)?.space ?? '';
  const { id, props, sources } = nodeChunkBuilders(spec, sinks.arrayDelimiter.charCodeAt(0));
  return { spec, writers: sinks.writers, table: routing.fixedTable, index: spec.idKind === null ? undefined : sinks.indexes.get(space), space, id, props, sources };
}

/**
 * Reads a batch a column at a time, adds its IDs to the index and appends its rows; false, with nothing added, when
 * the batch must be read row by row. A duplicate ID is the batch's first error, since every other check passed.
 */
function appendColumns(path: ColumnPath, batch: RowBatch): boolean {
  const rows = batch.scan.rows;
  const { spec, index, id, writers } = path;
  for (const s of path.sources) s.truncate(0);
  if (!parseNodeColumns(spec, batch, rows, id, path.props)) return false;
  const writer = writers[path.table];
  if (index !== undefined && id !== undefined) {
    const dup = insertIds(index, id, path.table, writer.rowCount);
    if (dup !== undefined) throw duplicateIdError({ file: spec.path, batch, row: dup.row }, spec.idColumn, path.space, writers[index.tableOf(dup.existing)].schema.label);
  }
  writer.appendRows(path.sources, rows);
  return true;
}

/**
 * Adds the IDs `ids` holds (a decoded ID column chunk) to the index in row order; the first one already present
 * stops it (its row, and the ordinal it has).
 */
export function insertIds(index: IdIndex, ids: ColumnBuilder, table: number, firstRow: number): { row: number; existing: number } | undefined {
  if (ids instanceof Int64ColumnBuilder) {
    const halves = ids.halves();
    const row = index.insertIntBatch(halves, ids.length, table, firstRow);
    return row < 0 ? undefined : { row, existing: index.lookupInt(halves[2 * row], halves[2 * row + 1]) };
  }
  const { bytes, offsets } = (ids as Utf8ColumnBuilder).values();
  for (let k = 0; k < ids.length; k++) {
    const existing = index.insertString(bytes, offsets[k], offsets[k + 1], table, firstRow + k);
    if (existing >= 0) return { row: k, existing };
  }
  return undefined;
}

/** How a task reads `file`, whose rows all go to `writer`'s table. */
export function nodeFileSpec(file: InputFile, fileIndex: number, sinks: NodeSinks, writer: NodeTableWriter): NodeFileSpec {
  const route = routeColumns(file, writer);
  const idSpec = idColumnSpec(file.layout);
  const index = idSpec !== undefined ? sinks.indexes.get(idSpec.space) : undefined;
  const hasId = index !== undefined && writer.id !== null;
  const idCol = file.layout.idColumn;
  const verify = sinks.verifyKinds;
  return {
    ...textFileSpec(file, fileIndex),
    extraOk: sinks.rejects?.policy.ignoreExtraColumns === true,
    idColumn: hasId ? idCol : -1,
    idKind: hasId ? index.kind : null,
    idName: idSpec !== undefined && idSpec.name !== '' ? idSpec.name : ':ID',
    verifyId: hasId && index.kind === 'int' && idCol >= 0 && (verify?.[idCol] ?? null) !== null,
    target: [...route.target],
    columnTypes: sinks.schema.columnTypes[fileIndex],
    columnNames: file.layout.columns.map((c, i) => (route.target[i] >= 0 ? writer.schema.properties[route.target[i]].name : '')),
    verifyKinds: file.layout.columns.map((_, i) => verify?.[i] ?? null),
    propertyTypes: writer.schema.properties.map((p) => p.type),
    missing: route.missing,
  };
}
