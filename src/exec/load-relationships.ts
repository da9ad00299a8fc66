import { readBatches } from '../input/batch-reader.js';
import { FIELD_ESCAPED, decodeField } from '../input/scanner.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import type { IdIndex } from './id-index.js';
import { type BatchProgress, appendField } from './load-nodes.js';
import { RelTypeBuffer } from './rel-buffer.js';
import { type RowPosition, castError, endpointNotFoundError, fieldCountError } from './row-errors.js';
import { unescapeInto } from './unescape.js';

/** Where relationship rows go: one buffer per relationship type, created on first use. */
export interface RelSinks {
  schema: GraphSchema;
  indexes: Map<string, IdIndex>;
  buffers: Map<string, RelTypeBuffer>;
  quote: number;
  arrayDelimiter: number;
}

/** Resolves one endpoint field to its node ordinal in `index`, or -1 when no such node exists. */
function resolveEndpoint(index: IdIndex, buf: Uint8Array, s: number, e: number, flags: number, quote: number, scratch: { bytes: Uint8Array }): number {
  if (s === e) return -1;
  let key = buf;
  if ((flags & FIELD_ESCAPED) !== 0) {
    e = unescapeInto(scratch, buf, s, e, quote);
    s = 0;
    key = scratch.bytes;
  }
  if (index.kind === 'int') return parseInt64(key, s, e) ? index.lookupInt(int64Out.lo, int64Out.hi) : -1;
  return index.lookupString(key, s, e);
}

/** Loads every row of a relationship file into the buffers of its type(s). Throws the first data error. */
export async function loadRelationshipFile(file: InputFile, fileIndex: number, sinks: RelSinks, batchRows: number, progress: BatchProgress): Promise<number> {
  const { layout } = file;
  const width = layout.columns.length;
  const types = sinks.schema.columnTypes[fileIndex];
  const startSpec = layout.columns[layout.startColumn];
  const endSpec = layout.columns[layout.endColumn];
  const startSpace = startSpec.kind === 'start' ? startSpec.space : '';
  const endSpace = endSpec.kind === 'end' ? endSpec.space : '';
  const startIndex = sinks.indexes.get(startSpace)!;
  const endIndex = sinks.indexes.get(endSpace)!;
  const fallbackType = file.fixedName ?? file.stem;
  const quote = file.quote.charCodeAt(0);
  const scratch = { bytes: new Uint8Array(256) };
  const bufferFor = (type: string): RelTypeBuffer => {
    let b = sinks.buffers.get(type);
    if (b === undefined) sinks.buffers.set(type, (b = new RelTypeBuffer(type, sinks.quote, sinks.arrayDelimiter)));
    return b;
  };
  const fixed = file.fixedName !== undefined || layout.typeColumn < 0 ? bufferFor(fallbackType) : undefined;
  let loaded = 0;
  const range = {
    path: file.path, start: file.dataStart, end: file.size, firstLine: file.dataLine, batchRows,
    dialect: { delimiter: file.delimiter.charCodeAt(0), quote },
  };
  for await (const batch of readBatches(range)) {
    const { buf, scan } = batch;
    for (let r = 0; r < scan.rows; r++) {
      if (scan.fieldCount(r) !== width) throw fieldCountError({ file: file.path, batch, row: r }, width);
      const base = scan.rowField[r];
      let buffer = fixed;
      if (buffer === undefined) {
        const named = decodeField(buf, scan, base + layout.typeColumn, quote).trim();
        buffer = bufferFor(named === '' ? fallbackType : named);
      }
      const fs = base + layout.startColumn;
      const src = resolveEndpoint(startIndex, buf, scan.fieldStart[fs], scan.fieldEnd[fs], scan.fieldFlags[fs], quote, scratch);
      if (src < 0) throw endpointNotFoundError({ file: file.path, batch, row: r }, layout.startColumn, startSpace, 'start');
      const fe = base + layout.endColumn;
      const dst = resolveEndpoint(endIndex, buf, scan.fieldStart[fe], scan.fieldEnd[fe], scan.fieldFlags[fe], quote, scratch);
      if (dst < 0) throw endpointNotFoundError({ file: file.path, batch, row: r }, layout.endColumn, endSpace, 'end');
      const route = buffer.routeFor(fileIndex, file, types);
      for (let c = 0; c < width; c++) {
        const p = route.target[c];
        if (p < 0) continue;
        const f = base + c;
        if (!appendField(buffer.builders[p], types[c]!, buf, scan.fieldStart[f], scan.fieldEnd[f], scan.fieldFlags[f])) {
          throw castError({ file: file.path, batch, row: r } satisfies RowPosition, f, c, buffer.properties[p].name, types[c]!);
        }
      }
      for (const p of route.missing) buffer.builders[p].appendNull();
      buffer.addEdge(startIndex.tableOf(src), startIndex.rowOf(src), endIndex.tableOf(dst), endIndex.rowOf(dst));
    }
    loaded += scan.rows;
    progress(scan.rows, batch.bytesDone);
  }
  return loaded;
}
