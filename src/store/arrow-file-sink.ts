import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { type Data, DataType, type List, RecordBatch, RecordBatchFileWriter, type Schema, Struct, makeData } from 'apache-arrow';
import { toImportError } from '../errors/import-error.js';

/** Size and checksum of a written file, as recorded in the manifest. */
export interface WrittenFile {
  bytes: number;
  crc32: number;
}

/** Pieces smaller than this (prefixes, metadata, padding) are gathered into one write; larger ones go straight out. */
const SMALL_PIECE = 16 << 10;
const STAGING_BYTES = 64 << 10;

/**
 * Arrow's file writer with its output sent to `out` as it is produced. The stock writer queues every piece in
 * an async queue read through a Node stream: each record batch then lived until the stream had written it, so
 * callers had to hand over fresh buffers per batch and wait for the queue to drain, and on the CSR build that
 * churn of new ArrayBuffers cost the main thread a quarter of its time in garbage collection. `_write` is the
 * writer's one output path (protected, so meant for subclasses): overriding it keeps Arrow's own encoding of
 * messages and footer, byte for byte.
 */
class DirectFileWriter extends RecordBatchFileWriter {
  constructor(private readonly out: (bytes: Uint8Array) => void) {
    super();
  }

  protected override _write(chunk: unknown): this {
    if (!this._started) return this;
    if (!ArrayBuffer.isView(chunk)) throw new TypeError('Arrow writer produced a piece that is not a byte view');
    if (chunk.byteLength > 0) {
      this.out(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this._position += chunk.byteLength;
    }
    return this;
  }
}

/**
 * Writes record batches into an Arrow IPC file on disk (the file format, with its footer, so pyarrow's
 * `ipc.open_file`, polars and DuckDB read it), computing the CRC32 on the way. Writes are synchronous: when
 * `writeColumns` returns, the bytes are in the kernel's hands and the caller may refill the buffers it passed.
 * Closing does not fsync: a store is synced as a whole before it is committed (PendingStore.commit).
 */
export class ArrowFileSink {
  private readonly writer: DirectFileWriter;
  private fd: number;
  private readonly staging = new Uint8Array(STAGING_BYTES);
  private staged = 0;
  private crc = 0;
  private bytes = 0;
  private wroteBatch = false;

  constructor(readonly path: string, readonly schema: Schema) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: path });
    }
    this.writer = new DirectFileWriter((piece) => this.put(piece));
  }

  /** Appends one record batch made of `columns` (all of `length` rows); its buffers may be reused on return. */
  writeColumns(columns: Data[], length: number): void {
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children: columns });
    try {
      this.writer.write(new RecordBatch(this.schema, data));
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: this.path });
    }
    this.wroteBatch = true;
  }

  /** Finishes and closes the file, and returns its size and checksum. */
  close(): WrittenFile {
    try {
      if (!this.wroteBatch) this.writeColumns(this.schema.fields.map((f) => emptyData(f.type)), 0);
      this.writer.close();
      this.flushStaging();
      this.release();
    } catch (err) {
      this.abort();
      throw toImportError(err, 'GI_STORE_WRITE', { file: this.path });
    }
    return { bytes: this.bytes, crc32: this.crc };
  }

  /**
   * Stops writing after a failure. The file is deleted with the temporary store, so an error while closing it
   * changes nothing, and the caller's original error is the one reported.
   */
  abort(): void {
    try {
      this.release();
    } catch {
      // See above: the caller's error stands.
    }
  }

  private put(piece: Uint8Array): void {
    if (piece.byteLength < SMALL_PIECE) {
      if (this.staged + piece.byteLength > STAGING_BYTES) this.flushStaging();
      this.staging.set(piece, this.staged);
      this.staged += piece.byteLength;
      return;
    }
    this.flushStaging();
    this.writeOut(piece);
  }

  private flushStaging(): void {
    if (this.staged === 0) return;
    const n = this.staged;
    this.staged = 0;
    this.writeOut(this.staging.subarray(0, n));
  }

  private writeOut(bytes: Uint8Array): void {
    this.crc = crc32(bytes, this.crc);
    this.bytes += bytes.byteLength;
    for (let done = 0; done < bytes.byteLength;) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
  }

  private release(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
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
