import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { type Data, DataType, type List, RecordBatch, RecordBatchFileWriter, type Schema, Struct, makeData } from 'apache-arrow';
import { toImportError } from '../errors/import-error.js';

/** Size and checksum of a written file, as recorded in the manifest. */
export interface WrittenFile {
  bytes: number;
  crc32: number;
}

/**
 * Streams record batches into an Arrow IPC file on disk (the file format, with its footer, so pyarrow's
 * `ipc.open_file`, polars and DuckDB read it), computing the CRC32 on the way and fsyncing on close.
 */
export class ArrowFileSink {
  private readonly writer = new RecordBatchFileWriter();
  private readonly done: Promise<void>;
  private crc = 0;
  private bytes = 0;
  private wroteBatch = false;
  private failed = false;

  constructor(readonly path: string, readonly schema: Schema) {
    const hash = new Transform({
      transform: (chunk: Buffer, _enc, callback) => {
        this.crc = crc32(chunk, this.crc);
        this.bytes += chunk.length;
        callback(null, chunk);
      },
    });
    this.done = pipeline(this.writer.toNodeStream(), hash, createWriteStream(path));
    // Observed in close(); this keeps an early failure from being unhandled and stops drain() from waiting on it.
    this.done.catch(() => {
      this.failed = true;
    });
  }

  /** Appends one record batch made of `columns` (all of `length` rows). */
  writeColumns(columns: Data[], length: number): void {
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children: columns });
    this.writer.write(new RecordBatch(this.schema, data));
    this.wroteBatch = true;
  }

  /**
   * Waits until at most `maxBacklog` bytes wait between the writer and the disk. Arrow's writer queues record
   * batches without bound; a long synchronous build (the CSR) calls this between batches to keep memory flat.
   */
  async drain(maxBacklog = 16 << 20): Promise<void> {
    // The writer counts the bytes it has produced in `_position` (not public API, hence the guard): produced minus
    // what has passed the checksum stage is exactly what is queued.
    const writer = this.writer as unknown as { _position?: number };
    while (!this.failed && typeof writer._position === 'number' && writer._position - this.bytes > maxBacklog) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Finishes the file, waits until it is on disk, and returns its size and checksum. */
  async close(): Promise<WrittenFile> {
    if (!this.wroteBatch) this.writeColumns(this.schema.fields.map((f) => emptyData(f.type)), 0);
    this.writer.close();
    try {
      await this.done;
      const handle = await open(this.path, 'r');
      await handle.sync().finally(() => handle.close());
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: this.path });
    }
    return { bytes: this.bytes, crc32: this.crc };
  }

  /**
   * Stops writing after a failure and waits for the stream to settle. Closing (not Arrow's abort(), which rejects
   * a read nobody awaits and kills the process) ends the file cleanly; it is deleted with the temporary store, so an
   * error while finishing it changes nothing and the caller's original error is the one reported.
   */
  async abort(): Promise<void> {
    this.writer.close();
    await this.done.catch(() => undefined);
  }
}

/** A zero-row column of `type`; list and string columns need their (empty) offsets and child, or Arrow fails to write them. */
export function emptyData(type: DataType): Data {
  if (DataType.isList(type)) {
    return makeData({ type, length: 0, valueOffsets: new Int32Array(1), child: emptyData((type as List).children[0].type) } as never);
  }
  if (DataType.isUtf8(type)) return makeData({ type, length: 0, valueOffsets: new Int32Array(1), data: new Uint8Array(0) } as never);
  return makeData({ type, length: 0 } as never);
}
