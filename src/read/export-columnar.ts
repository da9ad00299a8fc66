import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toImportError } from '../errors/import-error.js';
import { ArrowFileSink } from '../store/arrow-file-sink.js';
import { type ExportTable, exportTables } from './export-batches.js';
import type { ExportResult } from './export-csv.js';
import { openGraph } from './open-graph.js';
import { type ParquetCodec, writeParquetFile } from './parquet-writer.js';

/** A columnar export format. */
export type ColumnarExportFormat = 'arrow' | 'parquet';

/**
 * Writes every table of the store as an Arrow IPC file (`.arrow`, the file format) or a Parquet file, one per
 * table under `out/nodes` and `out/relationships`, with the column names of the import conventions (see
 * export-batches.ts): `graph-import OUT/nodes/* OUT/relationships/*` gives the same graph back, and any Arrow or
 * Parquet reader gets typed columns. One record batch is held at a time, besides the endpoint tables' IDs.
 */
export async function exportColumnar(dir: string, options: { out: string; format: ColumnarExportFormat; compression?: ParquetCodec }): Promise<ExportResult> {
  const graph = await openGraph(dir);
  try {
    await mkdir(join(options.out, 'nodes'), { recursive: true });
    await mkdir(join(options.out, 'relationships'), { recursive: true });
  } catch (err) {
    throw toImportError(err, 'GI_OUTPUT_UNWRITABLE', { file: options.out });
  }
  const files: ExportResult['files'] = [];
  for await (const table of exportTables(graph)) {
    const path = join(options.out, table.kind === 'node' ? 'nodes' : 'relationships', `${table.name}.${options.format}`);
    await (options.format === 'arrow' ? writeArrow(path, table) : writeParquetFile(path, table.schema, table.batches(), options.compression));
    files.push({ path, kind: table.kind, rows: table.rows });
  }
  return { files };
}

async function writeArrow(path: string, table: ExportTable): Promise<void> {
  const sink = new ArrowFileSink(path, table.schema);
  try {
    for await (const { columns, length } of table.batches()) sink.writeColumns(columns, length);
  } catch (err) {
    sink.abort();
    throw err;
  }
  await sink.close();
}
