import { ImportError } from '../errors/import-error.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, kib: 1024,
  m: 1e6, mb: 1e6, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, tib: 1024 ** 4,
};

/**
 * Parses a byte size such as `500MiB`, `100MB`, `1.5GiB` or `1048576` to a whole number of bytes (rounded).
 * Units are case-insensitive: `k`/`kB`, `M`/`MB`, `G`/`GB`, `T`/`TB` are decimal (10^3, 10^6, ...),
 * `KiB`, `MiB`, `GiB`, `TiB` binary (2^10, 2^20, ...); no unit or `B` means bytes.
 */
export function parseByteSize(option: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : SIZE_UNITS[m[2].toLowerCase()];
  if (m === null || unit === undefined) {
    throw invalid(option, text, 'a size such as 100MiB, 1GB or 1048576 (bytes)');
  }
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw invalid(option, text, `a size of at most ${Number.MAX_SAFE_INTEGER} bytes`);
  return bytes;
}

/** Parses a positive integer, with `_` allowed as a digit separator; `max` bounds it. */
export function parsePositiveInt(option: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text.replace(/_/g, ''));
  if (!/^\s*[\d_]+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw invalid(option, text, `a whole number from 1 to ${max}`);
  }
  return n;
}

const CHAR_NAMES: Record<string, string> = { '\\t': '\t', tab: '\t', TAB: '\t', comma: ',', pipe: '|', semicolon: ';' };

/** Parses a one-character setting (delimiter, quote); accepts `\t` and `tab` for the tab character. */
export function parseSingleChar(option: string, text: string): string {
  const value = CHAR_NAMES[text] ?? text;
  if (value.length !== 1 || value === '\n' || value === '\r' || value.charCodeAt(0) > 0x7f) {
    throw invalid(option, text, 'one ASCII character (\\t or tab for a tab), not a line end');
  }
  return value;
}

/** Parses a choice among `choices`. */
export function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw invalid(option, text, `one of ${choices.join(', ')}`);
  return text as T;
}

function invalid(option: string, text: string, expected: string): ImportError {
  return new ImportError('GI_INVALID_OPTION', `${option}: "${text}" is not valid; expected ${expected}`);
}

/** A --max-bad-rows limit: a row count, or a percentage of the rows read. */
export type BadRowLimit = { kind: 'count'; count: number } | { kind: 'ratio'; percent: number };

/** Parses `--max-bad-rows`: a whole number (`0`, `1000`) or a percentage (`0.5%`, `2%`). */
export function parseBadRowLimit(option: string, text: string): BadRowLimit {
  const t = text.trim();
  if (/^\d[\d_]*$/.test(t)) {
    const count = Number(t.replace(/_/g, ''));
    if (Number.isSafeInteger(count)) return { kind: 'count', count };
  }
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct !== null && Number(pct[1]) <= 100) return { kind: 'ratio', percent: Number(pct[1]) };
  throw invalid(option, text, 'a row count (e.g. 1000) or a percentage of the rows read from 0% to 100% (e.g. 0.5%)');
}
