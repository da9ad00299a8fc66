import type { ReadRange } from '../input/batch-reader.js';
import type { ScanBatch } from '../input/scanner.js';
import type { ByteRange } from '../plan/split-ranges.js';
import type { InputFile } from '../schema/resolve-inputs.js';

/** What a range task needs to read a text input file (plain data: it is posted to worker threads). */
export interface TextFileSpec {
  fileIndex: number;
  /** The user's path (messages) and where the bytes are (a decoded copy of a compressed or Latin-1 input, or the same). */
  path: string;
  dataPath: string;
  size: number;
  delimiter: number;
  quote: number;
  /** Fields per row, as in the header. */
  width: number;
}

/** The TextFileSpec of input `fileIndex`. */
export function textFileSpec(file: InputFile, fileIndex: number): TextFileSpec {
  return {
    fileIndex,
    path: file.path,
    dataPath: file.dataPath,
    size: file.size,
    delimiter: file.delimiter.charCodeAt(0),
    quote: file.quote.charCodeAt(0),
    width: file.layout.columns.length,
  };
}

/**
 * How a range task reads its rows of `spec`: from `scanStart` to the end of the file, stopping before the first row
 * at or past the range's end, with lines counted from the scan start (made absolute once the chain is checked).
 */
export function rangeRead(
  spec: TextFileSpec, range: ByteRange, scanStart: number, batchRows: number, cursor: { next: number; line: number }, scan: ScanBatch,
  readBuffer: { buf?: Buffer },
): ReadRange {
  return {
    path: spec.dataPath, name: spec.path, start: scanStart, end: spec.size, firstLine: 0, batchRows,
    dialect: { delimiter: spec.delimiter, quote: spec.quote }, stopAt: range.stopAt, cursor, scan, readBuffer,
  };
}
