import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ImportError, toImportError } from '../errors/import-error.js';

/**
 * Compressed inputs. A gzip file cannot be cut into byte ranges for parallel reading, so each one is inflated once,
 * streaming, into the import's temporary directory, and every later pass (header, sample, parallel ranges, re-reads)
 * reads the inflated copy. The user sees the original path in every message. Node 20's zlib has no zstd, and no
 * well-kept pure package reaches a useful speed, so .zst is refused with a hint instead of read slowly.
 */

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * How a file is compressed, told by its first bytes: a gzip file is read whatever its name. A file named `.gz` or
 * `.zst` whose bytes are not that format is refused rather than read as text.
 */
export async function compressionOf(path: string): Promise<'gzip' | 'zstd' | 'none'> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: path });
  }
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const starts = (magic: number[]): boolean => bytesRead >= magic.length && magic.every((b, i) => head[i] === b);
    if (starts(GZIP_MAGIC)) return 'gzip';
    if (starts(ZSTD_MAGIC)) return 'zstd';
    if (/\.(gz|gzip|zst)$/i.test(path)) {
      throw new ImportError('GI_BAD_COMPRESSION', `the file is named ${/\.zst$/i.test(path) ? '.zst' : '.gz'} but does not start like one (first bytes ${head.subarray(0, bytesRead).toString('hex') || 'none'})`, {
        file: path, hint: 'check how the file was made; rename it if it is plain text',
      });
    }
    return 'none';
  } finally {
    await handle.close();
  }
}

/** Inflates the gzip file `source` into `dest`, calling `onRead` with the compressed bytes consumed as it goes. */
export async function gunzipTo(source: string, dest: string, onRead: (compressedBytes: number) => void, signal?: AbortSignal): Promise<void> {
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onRead(chunk.length);
      done(null, chunk);
    },
  });
  try {
    // Concatenated gzip members (as `cat a.gz b.gz` makes) are one stream to createGunzip: all are read.
    await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), count, createGunzip({ chunkSize: 1 << 20 }), createWriteStream(dest), { signal });
  } catch (err) {
    if (signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      throw new ImportError('GI_BAD_COMPRESSION', `the gzip data is damaged or truncated (${(err as Error).message})`, {
        file: source, cause: err, hint: 'check the file with `gzip -t`; re-create or re-download it',
      });
    }
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: source });
  }
}

/** The error for a zstd input (see the module comment). */
export function zstdUnsupported(path: string): ImportError {
  return new ImportError('GI_UNSUPPORTED_COMPRESSION', 'zstd-compressed input is not supported', {
    file: path, hint: 'decompress it first (`zstd -d file.zst`), or recompress with gzip, which is read directly',
  });
}
