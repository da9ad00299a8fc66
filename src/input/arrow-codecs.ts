import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTDDecoder } from 'zstddec';
import { inflateLz4Frame } from './lz4-frame.js';

/**
 * Arrow IPC files may compress their record batch buffers with LZ4 frames (pyarrow's Feather default) or zstd.
 * apache-arrow reads them once a codec is registered. LZ4: lz4js (~230 MB/s on this machine). zstd: zstddec
 * (zstd compiled to WebAssembly, ~240-280 MB/s) for frames that state their size, as Arrow's writers do, and fzstd
 * (pure JS, ~50 MB/s) for frames that do not: zstddec needs the size up front and returns wrong bytes without it.
 * Decoding only: graph-import never writes compressed IPC.
 */
let registered: Promise<void> | undefined;

/** Registers the LZ4-frame and zstd decoders with apache-arrow (once per thread). */
export function registerArrowCodecs(): Promise<void> {
  registered ??= (async () => {
    const zstd = new ZSTDDecoder();
    await zstd.init();
    compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => inflateLz4Frame(data) });
    compressionRegistry.set(CompressionType.ZSTD, {
      decode: (data) => {
        const size = zstdContentSize(data);
        return size === undefined ? fzstdDecompress(data) : zstd.decode(data, size);
      },
    });
  })();
  return registered;
}

/**
 * The decompressed size a zstd frame states in its header (RFC 8878, 3.1.1.1), or undefined when it does not state
 * one. Arrow's writers (C++, Rust, JS) compress each buffer as one frame.
 */
export function zstdContentSize(data: Uint8Array): number | undefined {
  if (data.length < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) return undefined;
  const descriptor = data[4];
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictBytes = [0, 1, 2, 4][descriptor & 0x03];
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0 || at + fcsBytes > data.length) return undefined;
  let size = 0;
  for (let k = fcsBytes - 1; k >= 0; k--) size = size * 256 + data[at + k];
  if (fcsBytes === 2) size += 256;
  return Number.isSafeInteger(size) ? size : undefined;
}
