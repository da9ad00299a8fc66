import { isNaNLiteral, parseBoolean, parseDate, parseDatetime, parseDouble, parseInt64, plainDecimal, trim, trimmed } from '../input/value-parsers.js';
import type { BaseType } from './types.js';

/**
 * Inferred column kinds, ordered so that widening only moves up: nothing seen -> long -> double -> string, and
 * boolean, date, datetime widen to string when mixed with anything else. Never narrows, never truncates: an integer
 * too large for int64 or written with a leading zero (`08123`) is a string, not a double.
 */
export type InferredKind = 'empty' | 'long' | 'double' | 'boolean' | 'date' | 'datetime' | 'string';

/** The kind of one non-empty field's bytes. */
export function classifyValue(buf: Uint8Array, s: number, e: number): InferredKind {
  // Classify what the loaders will parse: they accept padded values, so padding must not change the kind.
  trim(buf, s, e);
  s = trimmed.s;
  e = trimmed.e;
  if (s === e) return 'string';
  const first = buf[s];
  const isSignOrDigit = (first >= 0x30 && first <= 0x39) || first === 0x2d || first === 0x2b;
  if (isSignOrDigit) {
    if (isIntegerText(buf, s, e)) return hasLeadingZero(buf, s, e) || !parseInt64(buf, s, e) ? 'string' : 'long';
    // Four digits and a '-' (a date or a date-time) are never a number: the double parser's slow path (a string and a
    // regular expression per value) is skipped for them, which made dates the dearest values to sniff.
    if (!(e - s > 4 && isIntegerText(buf, s, s + 4) && buf[s + 4] === 0x2d)) {
      const v = parseDouble(buf, s, e);
      if (v === v) return 'double';
    }
    const days = parseDate(buf, s, e);
    if (days === days) return 'date';
    if (parseDatetime(buf, s, e)) return 'datetime';
    return 'string';
  }
  if (parseBoolean(buf, s, e) >= 0 && e - s > 1) return 'boolean';
  const v = parseDouble(buf, s, e); // `.5`, `inf`, `Infinity`
  if (v === v || isNaNLiteral(buf, s, e)) return 'double';
  return 'string';
}

function isIntegerText(buf: Uint8Array, s: number, e: number): boolean {
  let i = buf[s] === 0x2d || buf[s] === 0x2b ? s + 1 : s;
  if (i >= e) return false;
  for (; i < e; i++) if (buf[i] < 0x30 || buf[i] > 0x39) return false;
  return true;
}

function hasLeadingZero(buf: Uint8Array, s: number, e: number): boolean {
  const i = buf[s] === 0x2d || buf[s] === 0x2b ? s + 1 : s;
  return e - i > 1 && buf[i] === 0x30;
}

/** The narrowest kind holding both. */
export function joinKinds(a: InferredKind, b: InferredKind): InferredKind {
  if (a === b || b === 'empty') return a;
  if (a === 'empty') return b;
  if ((a === 'long' && b === 'double') || (a === 'double' && b === 'long')) return 'double';
  return 'string';
}

/** The stored type for an inferred kind; a column with only nulls is stored as string. */
export function baseTypeOf(kind: InferredKind): BaseType {
  return kind === 'empty' ? 'string' : kind;
}

/**
 * True when the field's kind joined with `expected` is still `expected`, i.e. the sample's inference holds for it.
 * Plain integers and decimals (the bulk of numeric columns) are recognised by plainDecimal, without the classifier.
 */
export function fitsInferredKind(expected: InferredKind, buf: Uint8Array, s: number, e: number): boolean {
  if (expected === 'long' || expected === 'double') {
    const v = plainDecimal(buf, s, e, expected === 'double');
    if (v === v) return true;
  }
  // A valid date has '-' between digits, so the classifier could call it nothing but a date.
  if (expected === 'date') {
    const days = parseDate(buf, s, e);
    if (days === days) return true;
  }
  return joinKinds(expected, classifyValue(buf, s, e)) === expected;
}
