/**
 * Byte ranges: the unit of parallel work. A file is cut at fixed nominal offsets; the task for a range owns the rows
 * that START inside it. Only the first range of a file starts at a known row boundary; the others start after the
 * first line end at or past their nominal start, which is a guess when a quoted field holds a line end. The engine
 * checks every guess afterwards (see verifyRangeChain) and re-reads a range that guessed wrong, so rows are never
 * lost or duplicated.
 */

/** One range of one file. */
export interface ByteRange {
  /** Position in the import's list of ranges: ranges of a file are consecutive and in file order. */
  id: number;
  fileIndex: number;
  /** Nominal first byte; the range's first row is the first one starting at or after it. */
  start: number;
  /** Rows starting at or after this offset belong to the next range. */
  stopAt: number;
  /** True for a file's first range, which starts exactly at its first data byte. */
  first: boolean;
}

/** Largest range: keeps per-task buffers bounded even with a huge batch size. */
export const MAX_RANGE_BYTES = 64 << 20;

/**
 * Blocks (ranges x CSR partitions) an import aims to stay under: each block costs a little metadata, and both
 * factors grow with the input, so on large inputs ranges grow instead (up to MAX_RANGE_BYTES).
 */
export const TARGET_BLOCKS = 1 << 16;
/** Ranges grown for TARGET_BLOCKS stop here (a task flushes its buffers as it goes, so this is not held at once). */
export const MAX_GROWN_RANGE_BYTES = 64 << 20;

/**
 * Bytes per range: about `batchRows` rows of `bytesPerRow` (at least one byte), or more when the input is so large
 * that ranges x `partitions` would pass TARGET_BLOCKS; at most MAX_RANGE_BYTES.
 */
export function rangeBytesFor(batchRows: number, bytesPerRow: number, inputBytes = 0, partitions = 1): number {
  const byRows = Math.round(batchRows * Math.max(1, bytesPerRow));
  const byBlocks = Math.min(MAX_GROWN_RANGE_BYTES, Math.ceil((inputBytes * partitions) / TARGET_BLOCKS));
  return Math.max(1, Math.min(MAX_RANGE_BYTES, Math.max(byRows, byBlocks)));
}

/** Cuts the data bytes [dataStart, size) of a file into ranges of `rangeBytes`, numbered from `firstId`. */
export function splitRanges(fileIndex: number, dataStart: number, size: number, rangeBytes: number, firstId: number): ByteRange[] {
  const out: ByteRange[] = [];
  let start = dataStart;
  do {
    const stopAt = start + rangeBytes >= size ? Infinity : start + rangeBytes;
    out.push({ id: firstId + out.length, fileIndex, start, stopAt, first: start === dataStart });
    start += rangeBytes;
  } while (start < size);
  return out;
}

/**
 * Ranges of an Arrow IPC file read in place, as ByteRanges whose start and stopAt are file rows: cut every
 * `rowsPerRange` rows when its batches can be read in slices (`sliced`), else runs of whole record batches of about
 * that many rows. Numbered from `firstId`.
 */
export function nativeRanges(fileIndex: number, native: { units: { rows: number }[]; sliced: boolean }, rowsPerRange: number, firstId: number): ByteRange[] {
  const out: ByteRange[] = [];
  const push = (start: number, stopAt: number): void => {
    out.push({ id: firstId + out.length, fileIndex, start, stopAt, first: start === 0 });
  };
  const total = native.units.reduce((n, u) => n + u.rows, 0);
  if (native.sliced) {
    for (let start = 0; start < total; start += rowsPerRange) push(start, Math.min(total, start + rowsPerRange));
  } else {
    let start = 0;
    let end = 0;
    for (const u of native.units) {
      end += u.rows;
      if (end - start >= rowsPerRange) {
        push(start, end);
        start = end;
      }
    }
    if (end > start) push(start, end);
  }
  // A file without rows still has its one (empty) range, as an empty text file does.
  if (out.length === 0) push(0, 0);
  return out;
}

/** Rows per range of an Arrow file read in place: about `batchRows`, more when ranges x partitions would pass TARGET_BLOCKS. */
export function nativeRangeRows(batchRows: number, relationshipRows: number, partitions: number): number {
  return Math.max(1, batchRows, Math.ceil((relationshipRows * partitions) / TARGET_BLOCKS));
}

/** What a task found in its range: where its rows began and ended, and how many lines it read. */
export interface RangeExtent {
  /** Where the task started reading (its guess, or the exact start for a file's first range or a re-read). */
  scanStart: number;
  /** Offset of the first row it took (or of `next` when it took none). */
  firstRow: number;
  /** Offset of the first row it left to the next range (the file size at the end). */
  next: number;
  /** Lines from scanStart to firstRow, and from scanStart to next. */
  linesBefore: number;
  lines: number;
}

/** Records where a range's first row is, from the first batch that has rows (a no-op after that). */
export function noteFirstRow(x: RangeExtent, batch: { bufOffset: number; firstLine: number; scan: { rows: number; rowStart: Uint32Array; rowLine: Float64Array } }): void {
  if (x.firstRow >= 0 || batch.scan.rows === 0) return;
  x.firstRow = batch.bufOffset + batch.scan.rowStart[0];
  x.linesBefore = batch.firstLine + batch.scan.rowLine[0];
}

/** Closes a range's extent where its read stopped; a range without rows has its first row there too. */
export function endExtent(x: RangeExtent, cursor: { next: number; line: number }): void {
  x.next = cursor.next;
  x.lines = cursor.line;
  if (x.firstRow < 0) {
    x.firstRow = cursor.next;
    x.linesBefore = cursor.line;
  }
}

/**
 * True when range `i` of a file began where it must: the first range exactly at the data (`expected`), any other with
 * its first row where the previous range's rows stopped (`expected`).
 */
export function startedRight(i: number, x: RangeExtent, expected: number): boolean {
  return i === 0 ? x.scanStart === expected : x.firstRow === expected;
}

/**
 * Walks a file's ranges in order and returns, for each, whether its start guess was right, and the absolute line at
 * its scanStart. A range is right exactly when its first row is where the previous range stopped: a row start found
 * by a correctly aligned scan is a true row start, and a guess inside a quoted field can never land on one.
 * `redo(i, from)` re-reads range i from the exact offset and must return the new extent; `visit(i, line)` sees each
 * range once it is known to be right, in file order (it may throw to stop at the first error). `dataStart` is where
 * the first range must have started (a first range that never ran is read from there).
 */
export async function verifyRangeChain(
  extents: RangeExtent[], firstLine: number, redo: (i: number, from: number) => Promise<RangeExtent>,
  visit: (i: number, lineAtScanStart: number) => void = () => undefined, dataStart = extents[0].scanStart,
): Promise<{ lines: number[]; redone: number[] }> {
  const lines: number[] = [];
  const redone: number[] = [];
  let expected = dataStart;
  let lineAtExpected = firstLine;
  for (let i = 0; i < extents.length; i++) {
    let x = extents[i];
    // The first range must have started exactly at the data; any other must have found its first row where the
    // previous one stopped. A range that never ran (an earlier range failed first) is read here too.
    if (!startedRight(i, x, expected)) {
      x = await redo(i, expected);
      extents[i] = x;
      redone.push(i);
    }
    const lineAtScanStart = i === 0 ? firstLine : lineAtExpected - x.linesBefore;
    lines.push(lineAtScanStart);
    visit(i, lineAtScanStart);
    expected = x.next;
    lineAtExpected = lineAtScanStart + x.lines;
  }
  return { lines, redone };
}
