/**
 * A growable byte buffer that CSV text is written into field by field, flushed to a file in large chunks. Values are
 * written as bytes (digits, copied UTF-8) rather than built as JS strings and encoded: a conversion writes hundreds of
 * millions of fields.
 */
export class TextOut {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** Writes a string of ASCII characters (numbers, dates, keywords). */
  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.pos++] = text.charCodeAt(i);
  }

  /** Writes any string as UTF-8. */
  utf8(text: string): void {
    this.reserve(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** Copies bytes [s, e) of `src`. */
  bytes(src: Uint8Array, s: number, e: number): void {
    this.reserve(e - s);
    if (e - s <= 16) for (let i = s; i < e; i++) this.buf[this.pos++] = src[i];
    else {
      this.buf.set(src.subarray(s, e), this.pos);
      this.pos += e - s;
    }
  }

  /** Writes an integer |v| < 2^53 in decimal. */
  int(v: number): void {
    this.reserve(17);
    if (v < 0) {
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    if (v < 10) {
      this.buf[this.pos++] = 0x30 + v;
      return;
    }
    let digits = 0;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at;
    while (v >= 1) {
      const q = Math.floor(v / 10);
      this.buf[--at] = 0x30 + (v - q * 10);
      v = q;
    }
  }

  /** Writes an int64 given as two's-complement halves, exactly. */
  int64(lo: number, hi: number): void {
    // |v| < 2^53 is exact as a double: the common case, no BigInt.
    if (hi >= -0x200000 && hi < 0x200000) this.int(hi * 4294967296 + (lo >>> 0));
    else this.ascii(((BigInt(hi) << 32n) | BigInt(lo >>> 0)).toString());
  }

  /** Writes a uint64 given as halves, exactly. */
  uint64(lo: number, hi: number): void {
    if (hi >>> 0 < 0x200000) this.int((hi >>> 0) * 4294967296 + (lo >>> 0));
    else this.ascii(((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString());
  }

  /** Empties the buffer (after its bytes were written out). */
  clear(): void {
    this.pos = 0;
  }
}
