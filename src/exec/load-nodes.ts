import { readBatches } from '../input/batch-reader.js';
import { FieldTextCache } from '../input/field-text.js';
import { FIELD_ESCAPED } from '../input/scanner.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { type InferredKind, fitsInferredKind } from '../schema/infer-types.js';
import { Int64ColumnBuilder } from '../store/column-builders.js';
import { APPENDED, KIND_CHANGED, appendInferred } from './append-field.js';
import type { NodeTableWriter } from '../store/node-table-writer.js';
import { ImportError } from '../errors/import-error.js';
import { type RejectLog, toleratesBadRows } from './bad-rows.js';
import { isRepeatedHeader } from '../input/repeated-header.js';
import type { IdIndex } from './id-index.js';
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
    path: file.dataPath, name: file.path, start: file.dataStart, end: file.size, firstLine: file.dataLine, batchRows,
    dialect: { delimiter: file.delimiter.charCodeAt(0), quote },
  };
  const log = sinks.rejects;
  // Tolerant imports check the ID before anything is stored and add it to the index last, so a row that turns out
  // bad half-way through can be undone (builders truncated) without the index ever seeing it.
  const tolerant = log !== undefined && toleratesBadRows(log.policy);
  const extraOk = log?.policy.ignoreExtraColumns === true;
  const header = sinks.skipHeaders !== undefined && file.headerText !== '' ? Buffer.from(file.headerText) : undefined;
  for await (const batch of readBatches(range)) {
    const { buf, scan } = batch;
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
