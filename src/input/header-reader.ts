import { open, stat } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ImportError, toImportError } from '../errors/import-error.js';
import { detectDelimiter } from './detect-dialect.js';
import { ScanBatch, scanRows } from './scanner.js';
import { checkUtf8 } from './utf8-check.js';

/** Bytes read to find the header row; a header longer than this is refused with a clear error. */
export const HEADER_PROBE_BYTES = 1 << 20; // 1 MiB

/** Where a dialect setting came from: the user's flag, detection on the file's first lines, or the default. */
export type SettingSource = 'flag' | 'default' | 'detected';

/** The first line of a file and where its data begins. */
export interface FileHead {
  path: string;
  size: number;
  /** Modification time when the head was read: a file that changes while it is imported is caught by it. */
  mtimeMs: number;
  /** Header fields, when the file has a header line. */
  fields: string[];
  /** The header line as written (without its line end), or '' without a header: the first line of a rejects file. */
  headerText: string;
  /** Byte offset of the first data row. */
  dataStart: number;
  /** Line number (1-based) of the first data row. */
  dataLine: number;
  delimiter: string;
  delimiterSource: SettingSource;
  quote: string;
}

/** Options for reading a file head. `hasHeader` false: data starts at byte 0 (after a BOM). */
export interface HeadOptions {
  delimiter?: string;
  quote: string;
  hasHeader: boolean;
  /** The file's first bytes, already read (see readProbe; of its decoded copy for a compressed input). */
  probe?: Probe;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Reads the header row of `path` (csv-parse: speed does not matter here) and the byte where data starts. */
export async function readFileHead(path: string, opts: HeadOptions): Promise<FileHead> {
  const { bytes, size, mtimeMs } = opts.probe ?? await readProbe(path);
  const bomLength = UTF8_BOM.every((b, i) => bytes[i] === b) ? 3 : 0;
  const delimiter = opts.delimiter ?? detectDelimiter(bytes, bomLength, opts.quote);
  const delimiterSource: SettingSource = opts.delimiter !== undefined ? 'flag' : 'detected';
  const base = { path, size, mtimeMs, delimiter, delimiterSource, quote: opts.quote };
  if (!opts.hasHeader) return { ...base, fields: [], headerText: '', dataStart: bomLength, dataLine: 1 };
  if (size - bomLength <= 0) {
    throw new ImportError('GI_HEADER_MISSING', 'file is empty: a header line is required', { file: path, line: 1 });
  }
  const dialect = { delimiter: delimiter.charCodeAt(0), quote: opts.quote.charCodeAt(0) };
  const scan = new ScanBatch(1);
  const atEof = bytes.length >= size;
  const result = scanRows(bytes, bomLength, bytes.length, atEof, dialect, scan);
  if (scan.rows === 0) {
    if (result.stop === 'unterminated-quote' || result.stop === 'bad-quote' || atEof) {
      throw new ImportError('GI_HEADER_MALFORMED', 'the header line is not a valid CSV row (check its quotes)', {
        file: path, line: 1, raw: bytes.toString('utf8', bomLength, Math.min(bytes.length, bomLength + 200)),
      });
    }
    throw new ImportError('GI_HEADER_MALFORMED', `the header line is longer than ${HEADER_PROBE_BYTES} bytes`, { file: path, line: 1 });
  }
  const headerBytes = bytes.subarray(bomLength, scan.rowEnd[0]);
  checkUtf8(path, bytes, bomLength, scan.rowEnd[0], scan, 0, 1);
  const fields = parseHeaderFields(headerBytes, delimiter, opts.quote, path);
  return { ...base, fields, headerText: headerBytes.toString('utf8'), dataStart: result.next, dataLine: 1 + result.lines };
}

/** A file's first bytes (at most HEADER_PROBE_BYTES), its size and modification time. */
export interface Probe {
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

/** Reads a file's Probe; errors name it `name`. */
export async function readProbe(path: string, name = path): Promise<Probe> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ImportError('GI_FILE_UNREADABLE', 'not a regular file', { file: name });
    const handle = await open(path, 'r');
    try {
      const bytes = Buffer.alloc(Math.min(info.size, HEADER_PROBE_BYTES));
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
      return { bytes: bytes.subarray(0, bytesRead), size: info.size, mtimeMs: info.mtimeMs };
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw toImportError(err, 'GI_FILE_UNREADABLE', { file: name });
  }
}

function parseHeaderFields(headerBytes: Buffer, delimiter: string, quote: string, file: string): string[] {
  try {
    const records = parse(headerBytes, { delimiter, quote, relax_quotes: true, to: 1 }) as string[][];
    return records[0] ?? [];
  } catch (err) {
    throw new ImportError('GI_HEADER_MALFORMED', 'the header line is not a valid CSV row', { file, line: 1, cause: err });
  }
}
