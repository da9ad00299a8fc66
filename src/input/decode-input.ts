import { transcode } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ImportError, toImportError } from '../errors/import-error.js';

/**
 * Inputs that are not plain UTF-8 text: gzip-compressed files, and files in Latin-1 (--input-encoding latin1). A
 * gzip stream cannot be cut into byte ranges for parallel reading, and Latin-1 bytes are not the UTF-8 the store
 * holds, so such a file is decoded once, streaming, into the import's temporary directory, and every later pass
 * (header, sample, parallel ranges, re-reads) reads the decoded copy. Every message names the user's file. Node
 * 20's zlib has no zstd, and no well-kept pure package reaches a useful speed, so .zst is refused with a hint.
 */

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const ARROW_FILE_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // ARROW1
const ARROW_STREAM_MAGIC = [0xff, 0xff, 0xff, 0xff]; // an IPC stream's first continuation marker
const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // PAR1
const FEATHER_V1_MAGIC = [0x46, 0x45, 0x41, 0x31]; // FEA1

/** What a file holds, told by its first bytes: CSV text, compressed text, or a columnar (Arrow IPC, Parquet) file. */
export type InputFormat = 'text' | 'gzip' | 'zstd' | 'arrow' | 'parquet';

const NAMED: Record<string, InputFormat> = {
  gz: 'gzip', gzip: 'gzip', zst: 'zstd', arrow: 'arrow', arrows: 'arrow', feather: 'arrow', ipc: 'arrow', parquet: 'parquet', pq: 'parquet',
};

/**
 * How a file is stored, told by its first bytes, whatever its name: a gzip file named .csv is inflated, an Arrow
 * file named .dat is read as Arrow. A file whose name promises a format its bytes do not start like is refused
 * rather than read as text. No CSV can start like these formats: their first bytes are not valid UTF-8 text or are
 * the ASCII magic words `ARROW1`/`PAR1`.
 */
export async function inputFormatOf(path: string): Promise<InputFormat> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: path });
  }
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0).catch((err: unknown) => {
      throw toImportError(err, 'GI_FILE_UNREADABLE', { file: path });
    });
    const starts = (magic: number[]): boolean => bytesRead >= magic.length && magic.every((b, i) => head[i] === b);
    if (starts(GZIP_MAGIC)) return 'gzip';
    if (starts(ZSTD_MAGIC)) return 'zstd';
    if (starts(ARROW_FILE_MAGIC) || starts(ARROW_STREAM_MAGIC)) return 'arrow';
    if (starts(PARQUET_MAGIC)) return 'parquet';
    if (starts(FEATHER_V1_MAGIC)) {
      throw new ImportError('GI_COLUMNAR_UNREADABLE', 'the file is in the Feather version 1 format, which is not read', {
        file: path, hint: 'write it again as Feather version 2 / Arrow IPC (pyarrow.feather.write_feather, version=2, the default)',
      });
    }
    const named = NAMED[/\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase() ?? ''];
    if (named !== undefined) {
      const ext = /\.([A-Za-z]+)$/.exec(path)![1];
      throw new ImportError(named === 'gzip' || named === 'zstd' ? 'GI_BAD_COMPRESSION' : 'GI_COLUMNAR_UNREADABLE',
        `the file is named .${ext} but does not start like one (first bytes ${head.subarray(0, bytesRead).toString('hex') || 'none'})`, {
          file: path, hint: 'check how the file was made; rename it if it is plain text',
        });
    }
    return 'text';
  } finally {
    await handle.close();
  }
}

/** How a file must be decoded. */
export interface Decoding {
  gzip: boolean;
  latin1: boolean;
}

/**
 * Writes the UTF-8 text of `source` to `dest` (inflating gzip, transcoding Latin-1), calling `onRead` with the bytes
 * of `source` consumed as it goes: progress on the file as stored, compressed or not.
 */
export async function decodeTo(source: string, dest: string, how: Decoding, onRead: (sourceBytes: number) => void, signal?: AbortSignal): Promise<void> {
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onRead(chunk.length);
      done(null, chunk);
    },
  });
  // One byte is one character in Latin-1, so a chunk boundary never splits one.
  const latin1 = new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, transcode(chunk, 'latin1', 'utf8'));
    },
  });
  const stages: NodeJS.ReadWriteStream[] = [count];
  // Concatenated gzip members (as `cat a.gz b.gz` makes) are one stream to createGunzip: all are read.
  if (how.gzip) stages.push(createGunzip({ chunkSize: 1 << 20 }));
  if (how.latin1) stages.push(latin1);
  try {
    await pipeline([createReadStream(source, { highWaterMark: 1 << 20 }), ...stages, createWriteStream(dest)], { signal });
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
