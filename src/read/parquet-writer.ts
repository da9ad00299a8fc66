import { open } from 'node:fs/promises';
import { type Data, RecordBatch, type Schema, Struct, makeData, tableToIPC, Table } from 'apache-arrow';
import { toImportError } from '../errors/import-error.js';
import { emptyData } from '../store/arrow-file-sink.js';
import { VERSION } from '../version.js';

/** Parquet codecs the export offers. */
export const PARQUET_CODECS = ['snappy', 'zstd', 'gzip', 'none'] as const;
export type ParquetCodec = (typeof PARQUET_CODECS)[number];


/** Rows per Parquet row group: large enough for readers' per-group overhead to vanish, small enough to buffer. */
const ROW_GROUP_ROWS = 1 << 20;

/**
 * Writes record batches to a Parquet file with parquet-wasm (arrow-rs's writer; see input/parquet-source.ts for why
 * this library), streaming: each batch is handed to WebAssembly as it is needed and its copy freed, and the encoded
 * bytes are written as they come, so memory holds one row group being encoded (measured ~220 MB for 10M rows).
 */
export async function writeParquetFile(path: string, schema: Schema, batches: AsyncIterable<{ columns: Data[]; length: number }>, codec: ParquetCodec = 'snappy'): Promise<void> {
  // Loaded on first use: it adds ~40 ms to the start of every command, and few commands write Parquet.
  const { Compression, Table: WasmTable, WriterPropertiesBuilder, transformParquetStream } = await import('parquet-wasm');
  const compression = { snappy: Compression.SNAPPY, zstd: Compression.ZSTD, gzip: Compression.GZIP, none: Compression.UNCOMPRESSED }[codec];
  const it = batches[Symbol.asyncIterator]();
  let wroteAny = false;
  const input = new ReadableStream({
    async pull(controller) {
      const next = await it.next();
      // A table without rows still needs one (empty) batch: the writer takes the schema from the first batch.
      if (next.done === true && wroteAny) {
        controller.close();
        return;
      }
      const { columns, length } = next.done === true ? { columns: schema.fields.map((f) => emptyData(f.type)), length: 0 } : next.value;
      wroteAny = true;
      const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns }));
      const wasm = WasmTable.fromIPCStream(tableToIPC(new Table(batch), 'stream'));
      const copy = wasm.recordBatch(0);
      // Without free() every batch's WebAssembly copy stays alive until the whole file is written.
      wasm.free();
      controller.enqueue(copy);
    },
  });
  const props = new WriterPropertiesBuilder().setCompression(compression).setMaxRowGroupSize(ROW_GROUP_ROWS).setCreatedBy(`graph-import ${VERSION}`).build();
  let handle;
  try {
    handle = await open(path, 'w');
  } catch (err) {
    throw toImportError(err, 'GI_OUTPUT_UNWRITABLE', { file: path });
  }
  try {
    const output = await transformParquetStream(input, props);
    for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
      let at = 0;
      while (at < chunk.length) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
    }
  } catch (err) {
    throw toImportError(err, 'GI_OUTPUT_UNWRITABLE', { file: path });
  } finally {
    await handle.close();
  }
}
