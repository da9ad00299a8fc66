import { type RecordBatch } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { type ColumnarSource, openArrowSource } from './arrow-source.js';
import { BatchTextWriter, type TextDialect } from './arrow-to-text.js';
import { openParquetSource } from './parquet-source.js';
import { TextOut } from './text-out.js';

/** What a conversion needs to know besides the file. */
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
}

/** Opens an Arrow IPC or Parquet file as a ColumnarSource. */
export function openColumnar(path: string, format: ConvertOptions['format']): Promise<ColumnarSource> {
  return format === 'arrow' ? openArrowSource(path) : openParquetSource(path);
}

/** Rows written per slice of a batch: bounds the text held at once whatever the batch size. */
const SLICE_ROWS = 1 << 14;
/** Text handed on in chunks of about this size. */
export const CHUNK_BYTES = 4 << 20;
/** A chunk's first buffer; it grows (doubling) up to a chunk's size as text comes. */
const FIRST_BUFFER_BYTES = 64 << 10;

/**
 * Converts record batches to CSV text (see arrow-to-text.ts), handing it on in chunks of about CHUNK_BYTES; a chunk
 * handed on is the receiver's (it is transferred to another thread). Returns the rows converted. Error lines count
 * from the first of these rows (line 2 under a header line): the caller adds the rows that came before.
 */
export class ChunkedConverter {
  private readonly writer: BatchTextWriter;
  /** Taken when text is first written: a unit of a few rows (files of many small batches) takes a small buffer. */
  private text: TextOut | undefined;

  /** `buffer` gives the buffer text is written into: a recycled one, or a new one of at least `bytes`. */
  constructor(
    source: ColumnarSource, options: ConvertOptions, private readonly emit: (chunk: Uint8Array) => void,
    private readonly buffer: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes),
  ) {
    const dialect: TextDialect = { delimiter: options.delimiter.charCodeAt(0), quote: options.quote.charCodeAt(0), arrayDelimiter: options.arrayDelimiter.charCodeAt(0) };
    // Row r is line r + 2 whether or not this file's text has a header line: the first row is line 2 in every
    // converted file, so lines name rows the same way in a group's first file and its others.
    this.writer = new BatchTextWriter(source.schema, options.file, dialect, 2);
  }

  /** Converts `batch`, whose first row is row `rowBase` of this conversion; returns its rows. */
  convert(batch: RecordBatch, rowBase: number): number {
    const writers = this.writer.prepare(batch);
    for (let from = 0; from < batch.numRows; from += SLICE_ROWS) {
      const text = (this.text ??= new TextOut(this.buffer(FIRST_BUFFER_BYTES)));
      this.writer.write(writers, from, Math.min(batch.numRows, from + SLICE_ROWS), rowBase, text);
      if (text.pos >= CHUNK_BYTES) this.flush();
    }
    return batch.numRows;
  }

  /** Hands on the text converted so far. */
  flush(): void {
    if (this.text === undefined || this.text.pos === 0) return;
    this.emit(this.text.buf.subarray(0, this.text.pos));
    this.text = undefined;
  }
}

/** Throws GI_SCHEMA_CONFLICT when a group's later file has other columns than its first (both columnar). */
export function checkGroupFields(fields: string[], expected: string[], file: string): void {
  if (fields.length === expected.length && fields.every((f, i) => f === expected[i])) return;
  throw new ImportError('GI_SCHEMA_CONFLICT', `the file's columns (${fields.join(', ')}) differ from those of the first file of its group (${expected.join(', ')})`, {
    file, hint: 'files given together for one table need the same columns, in the same order, with the same types',
  });
}
