import { type ScanBatch, decodeField } from '../../src/input/scanner.js';

/** The rows of a scanned batch as arrays of decoded field strings. */
export function decodeRows(buf: Buffer, batch: ScanBatch, quote: number): string[][] {
  const rows: string[][] = [];
  for (let r = 0; r < batch.rows; r++) {
    const row: string[] = [];
    for (let f = batch.rowField[r]; f < batch.rowField[r + 1]; f++) row.push(decodeField(buf, batch, f, quote));
    rows.push(row);
  }
  return rows;
}
