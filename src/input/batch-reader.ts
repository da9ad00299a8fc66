import { open } from 'node:fs/promises';
import { ImportError, toImportError } from '../errors/import-error.js';
import { type ByteDialect, ScanBatch, scanRows } from './scanner.js';
import { utf8Problem } from './utf8-check.js';

/** Bytes read from disk per read call: large enough that syscalls vanish in the profile, small enough to stay flat. */
export const CHUNK_BYTES = 8 << 20; // 8 MiB
/** A single row may not exceed this; past it the input is refused rather than buffered without bound. */
export const MAX_ROW_BYTES = 256 << 20; // 256 MiB

/** One batch of scanned rows and the bytes they point into. Valid only until the generator resumes. */
export interface RowBatch {
  buf: Buffer;
  scan: ScanBatch;
  /** Absolute 1-based line number where the batch's line counting starts (`scan.rowLine` is relative to it). */
  firstLine: number;
  /** File offset of `buf[0]`. */
  bufOffset: number;
  /** File bytes consumed so far, including this batch (for progress). */
  bytesDone: number;
}

/** What part of which file to read. */
export interface ReadRange {
  path: string;
  /** The name errors give the file (the user's path when `path` is an inflated copy); defaults to `path`. */
  name?: string;
  /** First byte to scan (after any header and BOM). */
  start: number;
  /** End of the range, exclusive. */
  end: number;
  /** Absolute line number of the line that starts at `start`. */
  firstLine: number;
  dialect: ByteDialect;
  batchRows: number;
  /** Fields a row usually has (the header's), to size the field arrays of a batch allocated here; default 8. */
  fieldsPerRow?: number;
  /** Rows starting at or after this file offset are left to the next range. */
  stopAt?: number;
  /** Updated as the read goes: the file offset of the first row not consumed, and its absolute line. */
  cursor?: { next: number; line: number };
  /** A scan batch to reuse (a worker reads many ranges), else one is allocated. */
  scan?: ScanBatch;
  /**
   * Where the read buffer is kept for the next read of the same reader (a worker reads many ranges), else one is
   * allocated per read. A fresh 8 MiB buffer per range cost its page faults every time, and buffers of every size
   * freed range after range are what glibc keeps in its heaps as the input grows.
   */
  readBuffer?: { buf?: Buffer };
}

/** Read-ahead past a range's nominal end, so the row that straddles it usually completes in the first read. */
const STRADDLE_BYTES = 64 << 10;

/** Reads `range` in chunks and yields batches of at most `batchRows` rows; a row is never split between batches. */
export async function* readBatches(range: ReadRange): AsyncGenerator<RowBatch> {
  const name = range.name ?? range.path;
  const handle = await open(range.path, 'r').catch((err: unknown) => {
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: name });
  });
  try {
    const span = range.stopAt === undefined ? range.end - range.start : Math.min(range.end, range.stopAt + STRADDLE_BYTES) - range.start;
    // A row takes at least two bytes (a line end, and something before it: blank lines are no rows), so a small
    // input never needs a batch of --batch-size rows: sized to it and to the row width, an import of many small files
    // does not zero and collect ~10 MB of row and field arrays per file read.
    const scan = range.scan ?? new ScanBatch(Math.min(range.batchRows, Math.floor((range.end - range.start) / 2) + 1), range.fieldsPerRow);
    // `size` is what this read uses of `buf`, which may be larger when it is kept from an earlier read.
    let size = Math.min(CHUNK_BYTES, Math.max(1, span)) + 1;
    const kept = range.readBuffer?.buf;
    let buf = kept !== undefined && kept.length >= size ? kept : Buffer.allocUnsafe(size);
    if (range.readBuffer !== undefined) range.readBuffer.buf = buf;
    let filePos = range.start; // next file byte to read into buf
    let bufOffset = range.start; // file offset of buf[0]
    let have = 0; // valid bytes in buf
    let pos = 0; // scan position in buf
    let line = range.firstLine; // absolute line at buf[pos]
    let eof = filePos >= range.end;
    for (;;) {
      const result = scanRows(buf, pos, have, eof, range.dialect, scan, range.stopAt === undefined ? Infinity : range.stopAt - bufOffset);
      // A row that cannot be read (broken quotes, bytes that are not UTF-8) fails the read, but only after the rows
      // before it were handed out: an earlier bad row in them is the first error of the file.
      let failure: ImportError | undefined;
      if (result.stop === 'unterminated-quote' || result.stop === 'bad-quote') {
        failure = quoteError(name, result.stop, buf.subarray(0, have), bufOffset, line, result.errorOffset ?? pos, result.errorLine ?? 0);
      }
      const badBytes = scan.rows > 0 ? utf8Problem(name, buf, pos, result.next, scan, bufOffset, line) : undefined;
      if (badBytes !== undefined) {
        failure = badBytes.error;
        scan.rows = badBytes.row;
      }
      if (scan.rows > 0) {
        const next = failure === undefined ? result.next : scan.rowEnd[scan.rows - 1];
        yield { buf, scan, firstLine: line, bufOffset, bytesDone: bufOffset + next - range.start };
      }
      if (failure !== undefined) throw failure;
      line += result.lines;
      pos = result.next;
      if (range.cursor !== undefined) {
        range.cursor.next = bufOffset + pos;
        range.cursor.line = line;
      }
      if (result.stop === 'done' || result.stop === 'limit') return;
      if (result.stop === 'batch-full') continue;
      // need-more: move the unconsumed tail to the front and read the next chunk behind it
      if (eof) {
        if (range.cursor !== undefined) range.cursor.next = bufOffset + have;
        return;
      }
      const tail = have - pos;
      if (tail + 1 >= size) {
        if (size > MAX_ROW_BYTES) throw rowTooLarge(name, line, bufOffset + pos);
        size *= 2;
      }
      if (buf.length < size) {
        const bigger = Buffer.allocUnsafe(size);
        buf.copy(bigger, 0, pos, have);
        buf = bigger;
        if (range.readBuffer !== undefined) range.readBuffer.buf = buf;
      } else if (pos > 0) {
        buf.copy(buf, 0, pos, have);
      }
      bufOffset += pos;
      have = tail;
      pos = 0;
      const want = Math.min(size - have, range.end - filePos);
      const { bytesRead } = await handle.read(buf, have, want, filePos).catch((err: unknown) => {
        throw toImportError(err, 'GI_FILE_UNREADABLE', { file: name });
      });
      filePos += bytesRead;
      have += bytesRead;
      if (bytesRead === 0 || filePos >= range.end) eof = true;
    }
  } finally {
    await handle.close();
  }
}

function quoteError(
  file: string, stop: 'unterminated-quote' | 'bad-quote', buf: Buffer, bufOffset: number, line: number, at: number, relLine: number,
): ImportError {
  // `buf` holds only the bytes read: past them is stale data from earlier chunks.
  const rawEnd = Math.min(buf.length, at + 60);
  const raw = buf.toString('utf8', Math.max(0, at - 20), rawEnd);
  if (stop === 'unterminated-quote') {
    return new ImportError('GI_UNTERMINATED_QUOTE', 'quoted field is never closed: the file ends inside quotes', {
      file, line: line + relLine, byteOffset: bufOffset + at, raw,
      hint: 'close the quote, or double any quote character that is part of the value ("")',
    });
  }
  return new ImportError('GI_QUOTE_UNEXPECTED', 'unexpected character after a closing quote (expected a delimiter or a line end)', {
    file, line: line + relLine, byteOffset: bufOffset + at, raw,
    hint: 'a quote inside a quoted field must be doubled (""), or pass --quote with another character',
  });
}

function rowTooLarge(file: string, line: number, byteOffset: number): ImportError {
  return new ImportError('GI_FIELD_TOO_LARGE', `a row exceeds the ${MAX_ROW_BYTES >> 20} MiB row limit`, {
    file, line, byteOffset, hint: 'this usually means a quote was opened and never closed',
  });
}
