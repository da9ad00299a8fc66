/**
 * A growable byte buffer that CSV text is written into field by field, flushed to a file in large chunks. Values are
 * written as bytes (digits, copied UTF-8) rather than built as JS strings and encoded: a conversion writes hundreds of
 * millions of fields.
 */
const ENCODER = new TextEncoder();

/** "00" to "99" as byte pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

export class TextOut {
  buf: Uint8Array;
  pos = 0;

  /** A buffer of `initial` bytes, or the given one (reused: its contents are overwritten). */
  constructor(initial: number | Uint8Array = 1 << 20) {
    this.buf = typeof initial === 'number' ? new Uint8Array(initial) : initial;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
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
    this.pos += ENCODER.encodeInto(text, this.buf.subarray(this.pos)).written;
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
    // Digits by int32 arithmetic: a value past 2^31 is cut into a high part and eight low digits first (a float
    // division per digit made integers the slowest part of converting Arrow to text).
    if (v < 2147483648) this.uint31(v);
    else {
      const high = Math.floor(v / 1e8);
      this.uint31(high);
      this.digits8(v - high * 1e8);
    }
  }

  /** Writes 0 <= v < 2^31. */
  private uint31(v: number): void {
    const n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    const buf = this.buf;
    let at = this.pos + n;
    this.pos = at;
    // Two digits per division, from a table.
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      buf[--at] = PAIRS[r + 1];
      buf[--at] = PAIRS[r];
      v = q;
    }
    if (v >= 10) {
      buf[--at] = PAIRS[(v << 1) + 1];
      buf[--at] = PAIRS[v << 1];
    } else buf[--at] = 0x30 + v;
  }

  /** Writes 0 <= v < 10^8 as exactly eight digits. */
  private digits8(v: number): void {
    const buf = this.buf;
    let at = this.pos + 8;
    this.pos = at;
    for (let k = 0; k < 4; k++) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      buf[--at] = PAIRS[r + 1];
      buf[--at] = PAIRS[r];
      v = q;
    }
  }

  /**
   * Writes a finite or infinite double so that parsing the text gives it back exactly: a value that is a short
   * decimal (m / 10^k with m < 2^53, as most data is) by its digits, else JavaScript's shortest round-trip form.
   */
  double(v: number): void {
    if (v === Math.trunc(v) && Math.abs(v) < 9007199254740992) {
      if (v === 0 && 1 / v < 0) this.ascii('-0');
      else this.int(v);
      return;
    }
    const a = Math.abs(v);
    if (a >= 1e-6 && a < 1e15) {
      // m / 10^k is correctly rounded, so when it equals v, v is the double nearest that decimal: any correct
      // parser reads the digits back as v.
      let scale = 10;
      for (let k = 1; k <= 15; k++, scale *= 10) {
        const m = Math.round(a * scale);
        if (m >= 9007199254740992) break;
        if (m / scale === a) {
          this.reserve(40);
          if (v < 0) this.buf[this.pos++] = 0x2d;
          const whole = Math.floor(m / scale);
          this.int(whole);
          this.buf[this.pos++] = 0x2e;
          let frac = m - whole * scale;
          // k fraction digits, leading zeros included.
          let at = this.pos + k;
          this.pos = at;
          for (let d = 0; d < k; d++) {
            const q = Math.floor(frac / 10);
            this.buf[--at] = 0x30 + frac - q * 10;
            frac = q;
          }
          return;
        }
      }
    }
    this.ascii(String(v));
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
