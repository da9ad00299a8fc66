import { type ScanBatch, decodeField } from './scanner.js';

/**
 * A value derived from a field's text, remembered for the last distinct bytes seen. :TYPE and :LABEL columns repeat
 * a handful of values row after row; with this, a repeated one costs a byte comparison instead of a new string.
 */
export class FieldTextCache<T> {
  private bytes = new Uint8Array(64);
  private len = -1;
  private flags = -1;
  private value!: T;

  constructor(private readonly derive: (text: string) => T) {}

  /** The derived value of field `f` of `scan` (decoded with doubled quotes collapsed). */
  get(buf: Buffer, scan: ScanBatch, f: number, quote: number): T {
    const s = scan.fieldStart[f];
    const n = scan.fieldEnd[f] - s;
    const flags = scan.fieldFlags[f];
    if (n === this.len && flags === this.flags) {
      let i = 0;
      while (i < n && buf[s + i] === this.bytes[i]) i++;
      if (i === n) return this.value;
    }
    this.value = this.derive(decodeField(buf, scan, f, quote));
    if (this.bytes.length < n) this.bytes = new Uint8Array(n * 2);
    this.bytes.set(buf.subarray(s, s + n));
    this.len = n;
    this.flags = flags;
    return this.value;
  }
}
