import { isUtf8 } from 'node:buffer';
import { ImportError } from '../errors/import-error.js';
import type { ScanBatch } from './scanner.js';

/**
 * The store holds UTF-8 text, and bytes that are not UTF-8 would reach it unchecked (strings are copied as bytes).
 * Every scanned region is checked with Node's native validator (several GB/s); only a failing region is walked
 * here to find the offending byte.
 */

/** Offset of the first byte in `buf[s, e)` that does not belong to a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array, s: number, e: number): number {
  if (isUtf8(buf.subarray(s, e))) return -1;
  let i = s;
  while (i < e) {
    const b = buf[i];
    let n: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    if (b >= 0xc2 && b <= 0xdf) { n = 1; min = 0x80; } else if (b >= 0xe0 && b <= 0xef) { n = 2; min = 0x800; } else if (b >= 0xf0 && b <= 0xf4) { n = 3; min = 0x10000; } else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (i + k >= e || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * GI_INVALID_UTF8 when the scanned rows of `scan` (buffer region [from, to)) hold bytes that are not UTF-8, naming
 * the file, line, field and byte offset of the first one, with the index of its row; undefined when all is UTF-8.
 */
export function utf8Problem(
  name: string, buf: Buffer, from: number, to: number, scan: ScanBatch, bufOffset: number, lineAtFrom: number,
): { error: ImportError; row: number } | undefined {
  const bad = firstInvalidUtf8(buf, from, to);
  if (bad < 0) return undefined;
  let row = 0;
  while (row + 1 < scan.rows && scan.rowStart[row + 1] <= bad) row++;
  let line = lineAtFrom + scan.rowLine[row];
  for (let i = scan.rowStart[row]; i < bad; i++) if (buf[i] === 0x0a || (buf[i] === 0x0d && buf[i + 1] !== 0x0a)) line++;
  let column: number | undefined;
  for (let f = scan.rowField[row]; f < scan.rowField[row + 1]; f++) {
    if (bad >= scan.fieldStart[f] - 1 && bad <= scan.fieldEnd[f]) column = f - scan.rowField[row] + 1;
  }
  const byte = buf[bad].toString(16).toUpperCase().padStart(2, '0');
  const error = new ImportError('GI_INVALID_UTF8', `byte 0x${byte} at byte offset ${bufOffset + bad} is not valid UTF-8`, {
    file: name, line, column, byteOffset: bufOffset + bad, raw: buf.toString('utf8', scan.rowStart[row], scan.rowEnd[row]),
    hint: 'if the file is Latin-1 (ISO-8859-1), pass --input-encoding latin1; otherwise re-export it as UTF-8',
  });
  return { error, row };
}

/** Throws the GI_INVALID_UTF8 of utf8Problem, if any (for regions read whole, like a header line). */
export function checkUtf8(name: string, buf: Buffer, from: number, to: number, scan: ScanBatch, bufOffset: number, lineAtFrom: number): void {
  const problem = utf8Problem(name, buf, from, to, scan, bufOffset, lineAtFrom);
  if (problem !== undefined) throw problem.error;
}
