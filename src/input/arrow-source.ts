import { type FileHandle, open } from 'node:fs/promises';
import { type Data, type RecordBatch, RecordBatchReader, type Schema, type Vector } from 'apache-arrow';
import { type BatchHeader, parseBatchHeader, readSlice } from './arrow-slices.js';
import { ImportError, toImportError } from '../errors/import-error.js';
import { registerArrowCodecs } from './arrow-codecs.js';

/**
 * Record batches of a columnar input. A file with random access (an Arrow IPC file, a Parquet file) is read in
 * units (record batches, row groups) in any order, by several threads at once; a stream only from start to end.
 */
export interface ColumnarSource {
  schema: Schema;
  /** How many units `unit` reads, or undefined for an Arrow stream (read with `batches` only). */
  units: number | undefined;
  /** Bytes of the largest unit, decoded (what a thread holds while converting it); 0 when not known (a stream). */
  unitBytes: number;
  /** Rows of unit `i`, when the file says so up front (Parquet row groups), else undefined. */
  unitRows(i: number): number | undefined;
  /** The record batches of unit `i`, one at a time. */
  unit(i: number): AsyncIterable<RecordBatch>;
  /** Every batch in order: how an Arrow stream (no units) is read. */
  batches?(): AsyncIterable<RecordBatch>;
  /**
   * Rows and stored bytes (message and body) of each unit, read from the units' metadata only: an Arrow IPC file's;
   * undefined for other sources.
   */
  unitLayout?(): Promise<ArrowUnit[]>;
  /**
   * Rows [from, to) of unit `i` of an Arrow IPC file, as columns read from only their bytes in the file (see
   * arrow-slices.ts); for uncompressed batches of a sliceable schema only.
   */
  slice?(i: number, from: number, to: number): Promise<Data[]>;
  close(): Promise<void>;
}

/** A record batch of an Arrow IPC file: its rows, stored bytes (message and body), and whether it is compressed. */
export interface ArrowUnit {
  rows: number;
  bytes: number;
  compressed: boolean;
}

/** The error for a file that is not what its format promises, naming the file and the reader's complaint. */
export function unreadableColumnar(file: string, format: string, err: unknown, hint?: string): ImportError {
  if (err instanceof ImportError) return err;
  return new ImportError('GI_COLUMNAR_UNREADABLE', `the file is not a readable ${format} file (${(err as Error)?.message ?? String(err)})`, {
    file, cause: err, hint: hint ?? `check that the file was written completely and is ${format === 'Parquet' ? 'a Parquet' : 'an Arrow IPC'} file`,
  });
}

/**
 * Why a file that starts like Arrow IPC must have been cut short, or undefined. A reader of either format would
 * otherwise stop at the last whole record batch and hand over part of the data as if it were all of it: a file must
 * end with its footer's `ARROW1`, a stream with its end-of-stream marker.
 */
async function cutShort(handle: FileHandle, size: number): Promise<string | undefined> {
  const head = Buffer.alloc(6);
  const tail = Buffer.alloc(8);
  await handle.read(head, 0, 6, 0);
  await handle.read(tail, 0, Math.min(8, size), Math.max(0, size - 8));
  if (head.toString('latin1') === 'ARROW1') {
    return size >= 12 && tail.toString('latin1', 2, 8) === 'ARROW1' ? undefined : 'it does not end with the footer of the Arrow file format: it was cut short';
  }
  // The stream's end: a continuation marker and a zero length. (Streams from before Arrow 0.15, 2019, ended in a
  // zero length alone, which a cut at zero padding would fake: they are refused, and re-writing them fixes that.)
  const eos = size >= 8 && tail.readUInt32LE(0) === 0xffffffff && tail.readUInt32LE(4) === 0;
  return eos ? undefined : 'the stream ends without its end-of-stream marker: it was cut short';
}

/**
 * Opens an Arrow IPC file (random access, `ARROW1` magic: .arrow, .feather v2) or stream (.arrows) with apache-arrow.
 * Only the current record batch is held: a file of any size converts in the memory of its largest batch.
 */
export async function openArrowSource(path: string): Promise<ColumnarSource> {
  await registerArrowCodecs();
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: path });
  }
  const size = (await handle.stat()).size;
  const cut = await cutShort(handle, size);
  if (cut !== undefined) {
    await handle.close();
    throw new ImportError('GI_COLUMNAR_UNREADABLE', `the file is not a readable Arrow IPC file (${cut})`, {
      file: path, hint: 'check that the file was written completely (a writer must be closed for its file to end properly)',
    });
  }
  let reader;
  try {
    reader = await RecordBatchReader.from(handle);
    await reader.open();
  } catch (err) {
    await handle.close();
    throw unreadableColumnar(path, 'Arrow IPC', err);
  }
  const r = reader;
  const fh = handle;
  const read = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      throw unreadableColumnar(path, 'Arrow IPC', err);
    }
  };
  let unitBytes = 0;
  // Message headers of the batches sliced so far: a worker reads a batch in many slices.
  const headers: Promise<BatchHeader>[] = [];
  try {
    const footer = (r as unknown as { footer?: { numRecordBatches: number; getRecordBatch(i: number): { bodyLength: number | bigint } | null } }).footer;
    if (r.isFile() && footer !== undefined) {
      for (let i = 0; i < footer.numRecordBatches; i++) unitBytes = Math.max(unitBytes, Number(footer.getRecordBatch(i)?.bodyLength ?? 0));
    }
  } catch (err) {
    await fh.close();
    throw unreadableColumnar(path, 'Arrow IPC', err);
  }
  return {
    schema: r.schema,
    units: r.isFile() ? r.numRecordBatches : undefined,
    unitBytes,
    // A unit of an Arrow file is one record batch: done when its batch is.
    unitRows: () => undefined,
    async *unit(i) {
      const batch = await read(async () => (r as unknown as { readRecordBatch(i: number): Promise<RecordBatch | null> }).readRecordBatch(i));
      if (batch !== null) yield batch;
    },
    async *batches() {
      const it = r[Symbol.asyncIterator]();
      for (;;) {
        const next = await read(() => it.next());
        if (next.done === true) break;
        yield next.value;
      }
    },
    unitLayout: r.isFile() ? () => read(() => batchLayout(fh, (r as unknown as { footer: Footer }).footer, size)) : undefined,
    slice: r.isFile() ? async (i, from, to) => {
      const header = (headers[i] ??= read(() => batchHeader(fh, (r as unknown as { footer: Footer }).footer, size, i)));
      return readSlice(fh, r.schema, await header, (r as unknown as { dictionaries: Map<number, Vector> }).dictionaries, from, to);
    } : undefined,
    close: () => fh.close(),
  };
}

interface Footer {
  numRecordBatches: number;
  getRecordBatch(i: number): { offset: number | bigint; metaDataLength: number; bodyLength: number | bigint } | null;
}

/** The message header of record batch `i` (rows, compression, buffer regions), read without its body. */
async function batchHeader(handle: FileHandle, footer: Footer, size: number, i: number): Promise<BatchHeader> {
  const block = footer.getRecordBatch(i)!;
  const offset = Number(block.offset);
  const metaLength = block.metaDataLength;
  const bodyLength = Number(block.bodyLength);
  if (offset < 0 || metaLength < 8 || offset + metaLength + bodyLength > size) throw new Error(`record batch ${i} lies outside the file`);
  const buf = Buffer.alloc(metaLength);
  await handle.read(buf, 0, metaLength, offset);
  return parseBatchHeader(buf, offset, metaLength, bodyLength, i);
}

/** Each record batch's rows (from its message header, without reading its body), stored bytes and compression. */
async function batchLayout(handle: FileHandle, footer: Footer, size: number): Promise<ArrowUnit[]> {
  const out: ArrowUnit[] = [];
  for (let i = 0; i < footer.numRecordBatches; i++) {
    const h = await batchHeader(handle, footer, size, i);
    out.push({ rows: h.rows, bytes: h.bodyStart - Number(footer.getRecordBatch(i)!.offset) + h.bodyLength, compressed: h.compressed });
  }
  return out;
}
