import { open } from 'node:fs/promises';
import { ImportError, toImportError } from '../errors/import-error.js';
import { openArrowSource, type ColumnarSource } from './arrow-source.js';
import { BatchTextWriter, headerFields, headerLine } from './arrow-to-text.js';
import { openParquetSource } from './parquet-source.js';
import { TextOut } from './text-out.js';

/** What convertColumnar needs besides the paths. */
export interface ConvertOptions {
  /** The user's path: what messages name. */
  file: string;
  format: 'arrow' | 'parquet';
  /** The import's dialect: the text is written in it (delimiter, quote, array delimiter: one character each). */
  delimiter: string;
  quote: string;
  arrayDelimiter: string;
  /** False for a file that is not the first of its input group: as in neo4j-admin, only the first has a header line. */
  header: boolean;
  /** Called with the bytes of the stored file consumed since the last call. */
  onRead: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Rows written per slice of a batch: bounds the text held at once whatever the batch size. */
const SLICE_ROWS = 1 << 14;
/** Text buffered before it is written out. */
const FLUSH_BYTES = 4 << 20;

/**
 * Converts an Arrow IPC or Parquet file to CSV text at `dest`, record batch by record batch (see arrow-to-text.ts),
 * and returns its header fields and row count. Memory: one record batch (or row group) plus a few MiB of text.
 */
export async function convertColumnar(source: string, dest: string, options: ConvertOptions): Promise<{ fields: string[]; rows: number }> {
  const src: ColumnarSource = options.format === 'arrow' ? await openArrowSource(source) : await openParquetSource(source);
  let out;
  try {
    out = await open(dest, 'w');
  } catch (err) {
    await src.close();
    throw toImportError(err, 'GI_STORE_WRITE', { file: dest });
  }
  const text = new TextOut(FLUSH_BYTES + (1 << 20));
  let rows = 0;
  let reported = 0;
  try {
    const fields = headerFields(src.schema, options.file);
    if (options.header) text.utf8(`${headerLine(fields, options.delimiter, options.quote)}\n`);
    const dialect = { delimiter: options.delimiter.charCodeAt(0), quote: options.quote.charCodeAt(0), arrayDelimiter: options.arrayDelimiter.charCodeAt(0) };
    const writer = new BatchTextWriter(src.schema, options.file, dialect, options.header ? 2 : 1);
    const flush = async (): Promise<void> => {
      try {
        let at = 0;
        while (at < text.pos) at += (await out.write(text.buf, at, text.pos - at)).bytesWritten;
      } catch (err) {
        throw toImportError(err, 'GI_STORE_WRITE', { file: dest });
      }
      text.clear();
    };
    for await (const { batch, bytesRead } of src.batches()) {
      if (options.signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
      const writers = writer.prepare(batch);
      for (let from = 0; from < batch.numRows; from += SLICE_ROWS) {
        writer.write(writers, from, Math.min(batch.numRows, from + SLICE_ROWS), rows, text);
        if (text.pos >= FLUSH_BYTES) await flush();
      }
      rows += batch.numRows;
      options.onRead(bytesRead - reported);
      reported = bytesRead;
    }
    await flush();
    options.onRead(src.size - reported);
    return { fields, rows };
  } finally {
    await out.close();
    await src.close();
  }
}

/** Throws GI_SCHEMA_CONFLICT when a group's later file has other columns than its first (both columnar). */
export function checkGroupFields(fields: string[], expected: string[], file: string): void {
  if (fields.length === expected.length && fields.every((f, i) => f === expected[i])) return;
  throw new ImportError('GI_SCHEMA_CONFLICT', `the file's columns (${fields.join(', ')}) differ from those of the first file of its group (${expected.join(', ')})`, {
    file, hint: 'files given together for one table need the same columns, in the same order, with the same types',
  });
}
