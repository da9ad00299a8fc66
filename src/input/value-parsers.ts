/**
 * Parsers that read typed values straight from field bytes. They return NaN (or false) on failure instead of
 * throwing, so the caller builds one error with the position it knows. Numbers parse without making a string
 * except on rare slow paths (more than 15 digits, exponents outside the exact range, datetimes).
 */

const ZERO = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const SPACE = 0x20;
const TWO_32 = 4294967296;
// 10^k for k <= 22 is exact in a double; with <= 15 significant digits, m / 10^k and m * 10^k round correctly.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Shrinks [s, e) past leading and trailing ASCII spaces and tabs; returns the packed pair via `trimmed`. */
export const trimmed = { s: 0, e: 0 };
/** Trims [s, e) past ASCII spaces and tabs into `trimmed` (the parsers all accept padded values). */
export function trim(buf: Uint8Array, s: number, e: number): void {
  while (s < e && (buf[s] === SPACE || buf[s] === 0x09)) s++;
  while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === 0x09)) e--;
  trimmed.s = s;
  trimmed.e = e;
}

/** Parses a decimal integer that fits a double exactly (|v| < 2^53); NaN otherwise. */
export function parseSafeInt(buf: Uint8Array, s: number, e: number): number {
  trim(buf, s, e);
  s = trimmed.s;
  e = trimmed.e;
  let neg = false;
  if (s < e && (buf[s] === MINUS || buf[s] === PLUS)) { neg = buf[s] === MINUS; s++; }
  if (s >= e || e - s > 16) return NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (v > Number.MAX_SAFE_INTEGER) return NaN;
  return neg ? -v : v;
}

/** Result slot of parseInt64: the value as two's-complement halves. */
export const int64Out = { lo: 0, hi: 0 };

/** Puts the safe integer `v` into `int64Out` as two's-complement halves. */
export function safeIntToInt64Out(v: number): void {
  int64Out.lo = v | 0;
  int64Out.hi = Math.floor(v / TWO_32) | 0;
}

/**
 * Parses a decimal int64 exactly into `int64Out` (lo, hi halves); false when not an integer or out of range.
 * Values past 2^53 (18- and 19-digit IDs are common) are assembled from two exact parts in 32-bit halves: no string,
 * no regular expression, no BigInt per value.
 */
export function parseInt64(buf: Uint8Array, s: number, e: number): boolean {
  const v = parseSafeInt(buf, s, e);
  if (v === v) {
    safeIntToInt64Out(v);
    return true;
  }
  trim(buf, s, e);
  s = trimmed.s;
  e = trimmed.e;
  let neg = false;
  if (s < e && (buf[s] === MINUS || buf[s] === PLUS)) {
    neg = buf[s] === MINUS;
    s++;
  }
  // Leading zeros never change the value: `000...01` is not refused for its length.
  while (s < e - 1 && buf[s] === ZERO) s++;
  if (s >= e || e - s > 19) return false;
  // |value| = high * 10^9 + low, high of at most 10 digits and low of 9: each exact in a double.
  const split = Math.max(s, e - 9);
  let high = 0;
  let low = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return false;
    if (i < split) high = high * 10 + d;
    else low = low * 10 + d;
  }
  // high * 10^9 = (hh * 2^16 + hl) * 10^9 with hh * 10^9 < 2^48 and hl * 10^9 + low < 2^53: sums of exact parts.
  const hh = Math.floor(high / 65536);
  const a = hh * 1e9;
  const b = (high - hh * 65536) * 1e9 + low;
  const aHi = Math.floor(a / 65536);
  const bHi = Math.floor(b / TWO_32);
  let lo = (a - aHi * 65536) * 65536 + (b - bHi * TWO_32);
  let hi = aHi + bHi;
  if (lo >= TWO_32) {
    lo -= TWO_32;
    hi++;
  }
  // The magnitude is below 10^19 < 2^64; int64 holds up to 2^63 - 1, and 2^63 when negative.
  if (hi >= 0x80000000 && !(neg && hi === 0x80000000 && lo === 0)) return false;
  if (neg) {
    // Two's complement of (hi, lo).
    hi = lo === 0 ? TWO_32 - hi : TWO_32 - hi - 1;
    lo = lo === 0 ? 0 : TWO_32 - lo;
  }
  int64Out.lo = lo | 0;
  int64Out.hi = hi | 0;
  return true;
}

/** Parses a decimal or scientific number; NaN when the text is not a number (literal NaN is also NaN: see `isNaNLiteral`). */
export function parseDouble(buf: Uint8Array, s: number, e: number): number {
  trim(buf, s, e);
  s = trimmed.s;
  e = trimmed.e;
  if (s >= e) return NaN;
  let i = s;
  let neg = false;
  if (buf[i] === MINUS || buf[i] === PLUS) { neg = buf[i] === MINUS; i++; }
  let mant = 0;
  let digits = 0;
  let frac = 0;
  let sawDigit = false;
  for (; i < e; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) break;
    sawDigit = true;
    if (mant !== 0 || d !== 0) digits++;
    mant = mant * 10 + d;
  }
  if (i < e && buf[i] === DOT) {
    for (i++; i < e; i++) {
      const d = buf[i] - ZERO;
      if (d < 0 || d > 9) break;
      sawDigit = true;
      if (mant !== 0 || d !== 0) digits++;
      mant = mant * 10 + d;
      frac++;
    }
  }
  if (i === e && sawDigit && digits <= 15 && frac <= 22) {
    const v = frac === 0 ? mant : mant / POW10[frac];
    return neg ? -v : v;
  }
  return slowDouble(buf, s, e);
}

/**
 * The value of `-?(0|[1-9][0-9]*)(\.[0-9]+)?` in [s, e) (the fraction only when `fraction`), with at most 15
 * significant digits and an integer part of at most 15 digits, exactly as parseDouble (and, for integers,
 * parseSafeInt) reads it; NaN for any other text. Such text is also of the inferred kind 'long' (no fraction) or
 * 'double' (see fitsInferredKind), so one pass both checks a sampled kind and parses the value.
 */
export function plainDecimal(buf: Uint8Array, s: number, e: number, fraction: boolean): number {
  let i = s;
  const neg = i < e && buf[i] === MINUS;
  if (neg) i++;
  const d0 = i;
  let mant = 0;
  let digits = 0;
  for (; i < e; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) break;
    if (mant !== 0 || d !== 0) digits++;
    mant = mant * 10 + d;
  }
  const whole = i - d0;
  if (whole === 0 || whole > 15 || (whole > 1 && buf[d0] === ZERO)) return NaN;
  let frac = 0;
  if (i < e) {
    if (!fraction || buf[i] !== DOT) return NaN;
    for (i++; i < e; i++) {
      const d = buf[i] - ZERO;
      if (d < 0 || d > 9) return NaN;
      if (mant !== 0 || d !== 0) digits++;
      mant = mant * 10 + d;
      frac++;
    }
    if (frac === 0) return NaN;
  }
  if (digits > 15 || frac > 22) return NaN;
  const v = frac === 0 ? mant : mant / POW10[frac];
  return neg ? -v : v;
}

const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity)$/i;

function slowDouble(buf: Uint8Array, s: number, e: number): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
  if (!DOUBLE_RE.test(text)) return NaN;
  const lower = text.toLowerCase();
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** True when the field spells NaN (which parseDouble reports as failure). */
export function isNaNLiteral(buf: Uint8Array, s: number, e: number): boolean {
  trim(buf, s, e);
  if (trimmed.e - trimmed.s !== 3) return false;
  const a = buf[trimmed.s] | 0x20;
  const b = buf[trimmed.s + 1] | 0x20;
  const c = buf[trimmed.s + 2] | 0x20;
  return a === 0x6e && b === 0x61 && c === 0x6e;
}

/** Parses true/false/1/0 (case-insensitive) to 1/0; -1 when it is none of them. */
export function parseBoolean(buf: Uint8Array, s: number, e: number): number {
  trim(buf, s, e);
  s = trimmed.s;
  const n = trimmed.e - s;
  if (n === 1) return buf[s] === 0x31 ? 1 : buf[s] === ZERO ? 0 : -1;
  if (n === 4 && (buf[s] | 0x20) === 0x74 && (buf[s + 1] | 0x20) === 0x72 && (buf[s + 2] | 0x20) === 0x75 && (buf[s + 3] | 0x20) === 0x65) return 1;
  if (n === 5 && (buf[s] | 0x20) === 0x66 && (buf[s + 1] | 0x20) === 0x61 && (buf[s + 2] | 0x20) === 0x6c
    && (buf[s + 3] | 0x20) === 0x73 && (buf[s + 4] | 0x20) === 0x65) return 0;
  return -1;
}

function digitsAt(buf: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days per month of a common year (February's leap day is added in validDay). */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  if (d <= MONTH_DAYS[m - 1]) return true;
  // Only February 29 is left to check (one table, not an array per call: this runs for every date value).
  return m === 2 && d === 29 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0);
}

/** Parses YYYY-MM-DD to days since the epoch; NaN when malformed or not a calendar day. */
export function parseDate(buf: Uint8Array, s: number, e: number): number {
  trim(buf, s, e);
  s = trimmed.s;
  if (trimmed.e - s !== 10 || buf[s + 4] !== MINUS || buf[s + 7] !== MINUS) return NaN;
  const y = digitsAt(buf, s, 4);
  const m = digitsAt(buf, s + 5, 2);
  const d = digitsAt(buf, s + 8, 2);
  if (y < 0 || m < 0 || d < 0 || !validDay(y, m, d)) return NaN;
  return daysFromCivil(y, m, d);
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses an ISO 8601 date-time to microseconds since the epoch (UTC) into `int64Out`; false when malformed.
 * A value without an offset is taken as UTC; an offset is applied and not kept. Digits past microseconds are refused
 * rather than silently cut.
 */
export function parseDatetime(buf: Uint8Array, s: number, e: number): boolean {
  trim(buf, s, e);
  const fast = fastDatetime(buf, trimmed.s, trimmed.e);
  if (fast !== undefined) return fast;
  const text = Buffer.from(buf.buffer, buf.byteOffset + trimmed.s, trimmed.e - trimmed.s).toString('latin1');
  const m = DATETIME_RE.exec(text);
  if (m === null) return false;
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', fs = '', zone] = m;
  const y = +ys, mo = +mos, d = +ds, h = +hs, mi = +mis, sec = +ss;
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || sec > 60) return false;
  if (fs.length > 6 && /[1-9]/.test(fs.slice(6))) return false;
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = +digits.slice(1, 3);
    const om = digits.length > 3 ? +digits.slice(3, 5) : 0;
    if (oh > 23 || om > 59) return false;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offsetMinutes * 60;
  const micros = BigInt(seconds) * 1000000n + BigInt((fs + '000000').slice(0, 6));
  int64Out.lo = Number(BigInt.asIntN(32, micros));
  int64Out.hi = Number(BigInt.asIntN(32, micros >> 32n));
  return true;
}

const COLON = 0x3a;
/** Seconds from the epoch within which microseconds stay below 2^53 (years 1685-2255): exact as doubles. */
const SAFE_SECONDS = 9e9;

/**
 * parseDatetime's common shapes without the regular expression, a string and BigInts (a value cost over 1 µs that
 * way): `YYYY-MM-DD`, optionally `[Tt ]HH:MM`, `:SS` and `.fraction`, optionally `Z`, within the years whose
 * microseconds a double holds exactly. The same result as the general path; undefined for any other text (zone
 * offsets, spaces before the zone, ...), which the general path then decides.
 */
function fastDatetime(buf: Uint8Array, s: number, e: number): boolean | undefined {
  if (e > s && (buf[e - 1] === 0x5a || buf[e - 1] === 0x7a)) e--; // Z or z
  const n = e - s;
  if (n < 10 || buf[s + 4] !== MINUS || buf[s + 7] !== MINUS) return undefined;
  const y = digitsAt(buf, s, 4);
  const mo = digitsAt(buf, s + 5, 2);
  const d = digitsAt(buf, s + 8, 2);
  if (y < 0 || mo < 0 || d < 0) return undefined;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let micros = 0;
  if (n > 10) {
    const sep = buf[s + 10];
    if ((sep !== 0x54 && sep !== 0x74 && sep !== SPACE) || n < 16 || buf[s + 13] !== COLON) return undefined;
    h = digitsAt(buf, s + 11, 2);
    mi = digitsAt(buf, s + 14, 2);
    if (h < 0 || mi < 0) return undefined;
    if (n > 16) {
      if (n < 19 || buf[s + 16] !== COLON) return undefined;
      sec = digitsAt(buf, s + 17, 2);
      if (sec < 0) return undefined;
      if (n > 19) {
        const digits = n - 20;
        if (buf[s + 19] !== DOT || digits < 1 || digits > 9) return undefined;
        const frac = digitsAt(buf, s + 20, digits);
        if (frac < 0) return undefined;
        if (digits <= 6) micros = frac * 10 ** (6 - digits);
        else {
          // Sub-microsecond digits must be zeros: the store keeps microseconds, and a value is refused, not rounded.
          const scale = 10 ** (digits - 6);
          if (frac % scale !== 0) return false;
          micros = frac / scale;
        }
      }
    }
  }
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || sec > 60) return false;
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (seconds >= SAFE_SECONDS || seconds <= -SAFE_SECONDS) return undefined;
  const v = seconds * 1_000_000 + micros;
  const hi = Math.floor(v / TWO_32);
  int64Out.lo = (v - hi * TWO_32) | 0;
  int64Out.hi = hi;
  return true;
}
