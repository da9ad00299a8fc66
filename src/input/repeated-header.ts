import type { ScanBatch } from './scanner.js';

/**
 * True when row `r` is byte for byte the file's header line: a header repeated mid-file, as concatenated exports
 * (`cat part-*.csv`) leave. With --auto-skip-subsequent-headers such rows are passed over, not read as data.
 */
export function isRepeatedHeader(buf: Uint8Array, scan: ScanBatch, r: number, header: Uint8Array): boolean {
  const s = scan.rowStart[r];
  if (scan.rowEnd[r] - s !== header.length) return false;
  for (let i = 0; i < header.length; i++) if (buf[s + i] !== header[i]) return false;
  return true;
}
