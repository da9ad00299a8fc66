import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { inflateLz4Frame } from './lz4-frame.js';

/**
 * Arrow IPC files may compress their record batch buffers with LZ4 frames (pyarrow's Feather default) or zstd.
 * apache-arrow reads them once a codec is registered; both codecs here are small pure-JS decoders (lz4js inflates
 * ~230 MB/s on this machine, enough next to the text conversion that follows). Decoding only: graph-import never
 * writes compressed IPC.
 */
let registered = false;

/** Registers the LZ4-frame and zstd decoders with apache-arrow (once per thread). */
export function registerArrowCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => inflateLz4Frame(data) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => zstdDecompress(data) });
}
