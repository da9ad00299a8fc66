/**
 * Typed value parsers (src/input/value-parsers.ts) and type inference (src/schema/infer-types.ts).
 * Every parser is called on the bare text and on the same text embedded between digit bytes (`77…77`), so a parser
 * that reads outside [s, e) or ignores the buffer's byteOffset gives a different answer and fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  daysFromCivil, int64Out, isNaNLiteral, parseBoolean, parseDate, parseDatetime, parseDouble, parseInt64, parseSafeInt,
} from '../src/input/value-parsers.js';
import { type InferredKind, baseTypeOf, classifyValue, joinKinds } from '../src/schema/infer-types.js';

type Parser<T> = (buf: Uint8Array, s: number, e: number) => T;

/** Runs `f` on `text` alone and padded inside a larger buffer; both must agree. */
function run<T>(f: Parser<T>, text: string): T {
  const bare = Buffer.from(text, 'utf8');
  const a = f(bare, 0, bare.length);
  const padded = Buffer.from(`77${text}77`, 'utf8');
  const b = f(padded, 2, padded.length - 2);
  expect(Object.is(a, b), `${JSON.stringify(text)}: bare ${String(a)} vs padded ${String(b)}`).toBe(true);
  return a;
}

/** The value in int64Out as a BigInt. */
function outBig(): bigint {
  return (BigInt(int64Out.hi) << 32n) + BigInt(int64Out.lo >>> 0);
}

/** Runs an int64-producing parser (parseInt64, parseDatetime) bare and padded; null when it refuses the text. */
function run64(f: Parser<boolean>, text: string): bigint | null {
  const bare = Buffer.from(text, 'utf8');
  const okA = f(bare, 0, bare.length);
  const a = okA ? outBig() : null;
  int64Out.lo = 12345;
  int64Out.hi = 678;
  const padded = Buffer.from(`77${text}77`, 'utf8');
  const okB = f(padded, 2, padded.length - 2);
  const b = okB ? outBig() : null;
  expect(b, JSON.stringify(text)).toBe(a);
  if (okA) {
    // the halves are int32s, as the column builders expect
    expect(int64Out.lo).toBe(int64Out.lo | 0);
    expect(int64Out.hi).toBe(int64Out.hi | 0);
  }
  return a;
}

const classify = (text: string): InferredKind => run(classifyValue, text);

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

describe('parseSafeInt', () => {
  it('parses plain, signed and padded integers', () => {
    expect(run(parseSafeInt, '0')).toBe(0);
    expect(run(parseSafeInt, '42')).toBe(42);
    expect(run(parseSafeInt, '-17')).toBe(-17);
    expect(run(parseSafeInt, '+5')).toBe(5);
    expect(run(parseSafeInt, ' \t12 \t')).toBe(12);
    expect(run(parseSafeInt, '007')).toBe(7);
  });

  it('accepts exactly the range |v| <= 2^53 - 1', () => {
    expect(run(parseSafeInt, '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(run(parseSafeInt, '-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(run(parseSafeInt, '9007199254740992')).toBeNaN();
    expect(run(parseSafeInt, '9007199254740993')).toBeNaN();
    expect(run(parseSafeInt, '-9007199254740993')).toBeNaN();
    expect(run(parseSafeInt, '12345678901234567')).toBeNaN();
  });

  it('refuses anything that is not a decimal integer', () => {
    for (const bad of ['', ' ', '-', '+', '1.0', '1e3', 'abc', '1 2', '0x10', '--1', '+-1', '1-', '١٢']) {
      expect(run(parseSafeInt, bad), bad).toBeNaN();
    }
  });
});

describe('parseInt64', () => {
  const cases: Array<[string, bigint]> = [
    ['0', 0n], ['-1', -1n], ['1', 1n], ['2147483647', 2147483647n], ['2147483648', 2147483648n],
    ['-2147483648', -2147483648n], ['-2147483649', -2147483649n], ['4294967295', 4294967295n], ['4294967296', 4294967296n],
    ['-4294967296', -4294967296n], ['9007199254740991', 9007199254740991n], ['-9007199254740991', -9007199254740991n],
    ['9007199254740992', 9007199254740992n], ['9007199254740993', 9007199254740993n],
    ['-9007199254740993', -9007199254740993n], ['123456789012345678', 123456789012345678n],
    ['9223372036854775807', INT64_MAX], ['+9223372036854775807', INT64_MAX], ['-9223372036854775808', INT64_MIN],
    [' 9007199254740993 ', 9007199254740993n], ['\t-9223372036854775808\t', INT64_MIN],
  ];
  it.each(cases)('parses %s exactly into lo/hi halves', (text, value) => {
    expect(run64(parseInt64, text)).toBe(value);
  });

  it('sets the halves as two\'s complement int32s', () => {
    run64(parseInt64, '-1');
    expect(int64Out).toMatchObject({ lo: -1, hi: -1 });
    run64(parseInt64, '4294967296');
    expect(int64Out).toMatchObject({ lo: 0, hi: 1 });
    run64(parseInt64, '2147483648');
    expect(int64Out).toMatchObject({ lo: -2147483648, hi: 0 });
    run64(parseInt64, '-9223372036854775808');
    expect(int64Out).toMatchObject({ lo: 0, hi: -2147483648 });
    run64(parseInt64, '9223372036854775807');
    expect(int64Out).toMatchObject({ lo: -1, hi: 2147483647 });
  });

  it('rejects values outside int64', () => {
    for (const bad of ['9223372036854775808', '-9223372036854775809', '18446744073709551615', '99999999999999999999', '-99999999999999999999']) {
      expect(run64(parseInt64, bad), bad).toBeNull();
    }
  });

  it('rejects non-integers', () => {
    for (const bad of ['', '-', '1.0', '1e3', '12a', '9007199254740993.0', '9223372036854775807x', '0x7f', ' 1 2 ']) {
      expect(run64(parseInt64, bad), bad).toBeNull();
    }
  });

  // Zero padding is still the same integer: "false when not an integer or out of range" does not cover it.
  it('accepts zero-padded int64 values longer than 19 digits', () => {
    expect(run64(parseInt64, '00000000000000000001')).toBe(1n);
    expect(run64(parseInt64, '-000000000009223372036854775808')).toBe(INT64_MIN);
  });

  it('round-trips random int64 values through their decimal text (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (v) => {
        expect(run64(parseInt64, v.toString())).toBe(v);
      }),
      { numRuns: 300 },
    );
  });

  it('reads random int64 values written with a plus sign or leading zeros (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.integer({ min: 0, max: 6 }), fc.boolean(), (v, zeros, plus) => {
        const digits = `${'0'.repeat(zeros)}${(v < 0n ? -v : v).toString()}`;
        expect(run64(parseInt64, `${v < 0n ? '-' : plus ? '+' : ''}${digits}`)).toBe(v);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects random integers just outside int64 (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 70n }), fc.boolean(), (d, neg) => {
        const v = neg ? INT64_MIN - d : INT64_MAX + d;
        expect(run64(parseInt64, v.toString())).toBeNull();
      }),
      { numRuns: 100 },
    );
  });
});

describe('parseDouble', () => {
  it('parses integers, decimals, signs and padding', () => {
    const cases: Array<[string, number]> = [
      ['0', 0], ['1', 1], ['-1', -1], ['+2.5', 2.5], ['1.5', 1.5], ['.5', 0.5], ['-.25', -0.25], ['5.', 5],
      ['0.1', 0.1], ['0.2', 0.2], ['3.14159', 3.14159], [' 2.75\t', 2.75], ['000123.4500', 123.45], ['-0.0', -0],
    ];
    for (const [text, v] of cases) expect(run(parseDouble, text), text).toBe(v);
  });

  it('parses exponents', () => {
    for (const text of ['1e3', '1E3', '1.5e-7', '-2.5e+10', '6.02214076e23', '1e-320', '1.7976931348623157e308', '.5e1', '5.e2']) {
      expect(run(parseDouble, text), text).toBe(Number(text));
    }
    expect(run(parseDouble, '1e400')).toBe(Infinity);
  });

  it('is exact with 15 or more significant digits (same as Number())', () => {
    const texts = [
      '123456789012345', '0.123456789012345', '999999999999999', '0.000000000000001', '1234567890.12345',
      '0.1000000000000000000001', '0.0000000000000000000001', '1.0000000000000002', '0.30000000000000004',
      '9007199254740993', '123456789012345678', '3.141592653589793238462643383279',
      '2.2250738585072011e-308', '2.2250738585072014e-308', '4.9406564584124654e-324', '179769313486231570000000000000',
      '0.1000000000000000055511151231257827', '1234567890123456789012345678901234567890',
      // 16-17 digits: accumulating these in a double and dividing once rounds twice and lands one ulp off
      '0.010458573485272133', '92230280.38815215', '967650194864.57492', '76561605889.491169',
    ];
    for (const text of texts) expect(run(parseDouble, text), text).toBe(Number(text));
    // 0.3 is not 0.1 + 0.2 and the parser must not pretend otherwise
    expect(run(parseDouble, '0.30000000000000004')).not.toBe(0.3);
    expect(run(parseDouble, '9007199254740993')).toBe(9007199254740992);
  });

  it('spells infinity as inf or infinity (any case, signed) and reports nan as NaN, flagged by isNaNLiteral', () => {
    for (const t of ['inf', 'INF', 'Infinity', 'infinity', '+inf', '+Infinity']) expect(run(parseDouble, t), t).toBe(Infinity);
    for (const t of ['-inf', '-Infinity', '-INFINITY']) expect(run(parseDouble, t), t).toBe(-Infinity);
    for (const t of ['NaN', 'nan', 'NAN', ' nan ']) {
      expect(run(parseDouble, t), t).toBeNaN();
      expect(run(isNaNLiteral, t), t).toBe(true);
    }
    for (const t of ['na', 'nann', '-nan', 'n a n', '', '0', 'inf']) expect(run(isNaNLiteral, t), t).toBe(false);
  });

  it('refuses text that is not a number', () => {
    for (const bad of ['', ' ', '-', '+', '.', 'e5', '1e', '1e+', '1.5.3', '1,5', '1 000', '0x10', 'abc', 'infinit', 'infinityy', '--1', '1_000', '١']) {
      expect(run(parseDouble, bad), bad).toBeNaN();
    }
  });

  it('agrees with Number() on random decimals of up to 15 (fast path) and up to 20 (slow path) significant digits', () => {
    const mantissa = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), fc.bigInt({ min: 10n ** 15n, max: 10n ** 20n }));
    fc.assert(
      fc.property(mantissa, fc.integer({ min: 0, max: 24 }), fc.boolean(), (m, frac, neg) => {
        const digits = m.toString().padStart(frac + 1, '0');
        const text = `${neg ? '-' : ''}${digits.slice(0, digits.length - frac)}${frac > 0 ? '.' : ''}${digits.slice(digits.length - frac)}`;
        expect(run(parseDouble, text)).toBe(Number(text));
      }),
      { numRuns: 300 },
    );
  });

  it('parses String(x) back to x for random doubles (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        const v = run(parseDouble, String(x));
        // String(-0) is "0", so compare with ===, which treats 0 and -0 as equal
        expect(v === x).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseBoolean', () => {
  it('reads true/false/1/0 in any case, trimmed', () => {
    for (const t of ['true', 'TRUE', 'True', 'tRuE', '1', ' true ', '\ttrue']) expect(run(parseBoolean, t), t).toBe(1);
    for (const t of ['false', 'FALSE', 'False', '0', ' false\t']) expect(run(parseBoolean, t), t).toBe(0);
  });

  it('returns -1 for anything else', () => {
    for (const t of ['', ' ', 'yes', 'no', 't', 'f', 'y', '2', '-1', '01', 'truex', 'tru', 'fals', 'falsee', 'on', 'T RUE']) {
      expect(run(parseBoolean, t), t).toBe(-1);
    }
  });
});

describe('daysFromCivil and parseDate', () => {
  it('puts the epoch at day 0', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
  });

  it('matches Date.UTC (property over years -2000..9999)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1450000, max: 2932896 }), (days) => {
        const d = new Date(days * 86400000);
        expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(days);
        if (d.getUTCFullYear() >= 100) {
          expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) * 86400000)
            .toBe(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parses YYYY-MM-DD to days since the epoch (property over years 0000..9999)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719528, max: 2932896 }), (days) => {
        const iso = new Date(days * 86400000).toISOString().slice(0, 10);
        expect(run(parseDate, iso)).toBe(days);
      }),
      { numRuns: 300 },
    );
  });

  it('knows leap years', () => {
    expect(run(parseDate, '2024-02-29')).toBe(Date.UTC(2024, 1, 29) / 86400000);
    expect(run(parseDate, '2000-02-29')).toBe(Date.UTC(2000, 1, 29) / 86400000);
    expect(run(parseDate, '1600-02-29')).toBe(Date.UTC(1600, 1, 29) / 86400000);
    expect(run(parseDate, '2023-02-29')).toBeNaN();
    expect(run(parseDate, '1900-02-29')).toBeNaN();
    expect(run(parseDate, '2100-02-29')).toBeNaN();
  });

  it('rejects days that are not on the calendar and malformed text', () => {
    for (const bad of [
      '2024-04-31', '2024-06-31', '2024-13-01', '2024-00-10', '2024-01-00', '2024-01-32', '2024-1-01', '2024-01-1',
      '24-01-01', '2024/01/01', '2024-01-01T00:00', '+024-01-01', '2024-0a-01', '', 'abcdefghij', '20240101',
    ]) {
      expect(run(parseDate, bad), bad).toBeNaN();
    }
  });

  it('trims spaces and tabs', () => {
    expect(run(parseDate, ' 1970-01-02\t')).toBe(1);
  });
});

describe('parseDatetime', () => {
  const micros = (iso: string, extraMicros = 0) => BigInt(Date.parse(iso)) * 1000n + BigInt(extraMicros);

  it('parses Z, no offset (UTC) and explicit offsets', () => {
    const utc = micros('2024-01-15T10:30:00Z');
    expect(run64(parseDatetime, '2024-01-15T10:30:00Z')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T10:30:00z')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T10:30:00')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15 10:30:00')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T10:30')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T16:00:00+05:30')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T16:00:00+0530')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T02:30:00-08:00')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T11:30:00+01')).toBe(utc);
    expect(run64(parseDatetime, '2024-01-15T10:30:00+00:00')).toBe(utc);
    expect(run64(parseDatetime, ' 2024-01-15T10:30:00Z ')).toBe(utc);
  });

  it('applies an offset across a day and year boundary', () => {
    expect(run64(parseDatetime, '2024-01-01T00:30:00+01:00')).toBe(micros('2023-12-31T23:30:00Z'));
    expect(run64(parseDatetime, '2023-12-31T23:30:00-01:00')).toBe(micros('2024-01-01T00:30:00Z'));
  });

  it('reads a date alone as midnight UTC', () => {
    expect(run64(parseDatetime, '2024-02-29')).toBe(micros('2024-02-29T00:00:00Z'));
  });

  it('keeps fractions up to microseconds', () => {
    const base = micros('2024-01-15T10:30:00Z');
    expect(run64(parseDatetime, '2024-01-15T10:30:00.5Z')).toBe(base + 500000n);
    expect(run64(parseDatetime, '2024-01-15T10:30:00.05Z')).toBe(base + 50000n);
    expect(run64(parseDatetime, '2024-01-15T10:30:00.123Z')).toBe(base + 123000n);
    expect(run64(parseDatetime, '2024-01-15T10:30:00.123456Z')).toBe(base + 123456n);
    expect(run64(parseDatetime, '2024-01-15T10:30:00.000001')).toBe(base + 1n);
    // digits past microseconds are allowed only when they are zeros
    expect(run64(parseDatetime, '2024-01-15T10:30:00.1234560Z')).toBe(base + 123456n);
    expect(run64(parseDatetime, '2024-01-15T10:30:00.123456000Z')).toBe(base + 123456n);
  });

  it('refuses more than 6 fractional digits when any of them is not zero', () => {
    expect(run64(parseDatetime, '2024-01-15T10:30:00.1234567Z')).toBeNull();
    expect(run64(parseDatetime, '2024-01-15T10:30:00.000000001Z')).toBeNull();
    expect(run64(parseDatetime, '2024-01-15T10:30:00.999999999')).toBeNull();
  });

  it('handles instants before the epoch (negative microseconds)', () => {
    expect(run64(parseDatetime, '1969-12-31T23:59:59.999999Z')).toBe(-1n);
    expect(run64(parseDatetime, '1969-12-31T23:59:59.5Z')).toBe(-500000n);
    expect(run64(parseDatetime, '0001-01-01T00:00:00Z')).toBe(BigInt(daysFromCivil(1, 1, 1)) * 86400000000n);
    expect(run64(parseDatetime, '9999-12-31T23:59:59.999999Z')).toBe(micros('9999-12-31T23:59:59.999Z', 999));
  });

  it('agrees with a plain reading of ISO 8601 on generated date-times, fast shapes and general ones alike', () => {
    // The oracle: the grammar as a regular expression and the arithmetic in BigInt, written apart from the parser
    // (whose common shapes take a path without either).
    const RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
    const oracle = (text: string): bigint | null => {
      const m = RE.exec(text.replace(/^[ \t]+|[ \t]+$/g, ''));
      if (m === null) return null;
      const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', fs = '', zone] = m;
      const [y, mo, d, h, mi, sec] = [ys, mos, ds, hs, mis, ss].map(Number);
      const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
      if (mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] || h > 23 || mi > 59 || sec > 60) return null;
      if (/[1-9]/.test(fs.slice(6))) return null;
      let offset = 0;
      if (zone !== undefined && zone.toUpperCase() !== 'Z') {
        const digits = zone.replace(':', '');
        const oh = Number(digits.slice(1, 3));
        const om = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
        if (oh > 23 || om > 59) return null;
        offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
      }
      const seconds = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + sec - offset * 60);
      return seconds * 1000000n + BigInt(fs.padEnd(6, '0').slice(0, 6));
    };
    const num = (digits: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(digits, '0'));
    const text = fc.tuple(
      num(4, 9999), num(2, 13), num(2, 31),
      fc.option(fc.tuple(fc.constantFrom('T', 't', ' ', 'x'), num(2, 25), num(2, 61),
        fc.option(fc.tuple(num(2, 61), fc.option(fc.stringMatching(/^[0-9]{1,10}$/))))), { nil: undefined }),
      fc.constantFrom('', 'Z', 'z', '+05:30', '-0800', '+01', ' Z', '+24:00'),
    ).map(([y, mo, d, time, zone]) => {
      let t = `${y}-${mo}-${d}`;
      if (time !== undefined) {
        const [sep, h, mi, rest] = time;
        t += `${sep}${h}:${mi}`;
        if (rest !== null) t += `:${rest[0]}${rest[1] === null ? '' : `.${rest[1]}`}`;
      }
      return t + zone;
    });
    fc.assert(fc.property(text, (t) => {
      expect(run64(parseDatetime, t), t).toBe(oracle(t));
    }), { numRuns: 5000 });
  });

  it('refuses malformed or impossible date-times', () => {
    for (const bad of [
      '', '2024-01-15T', '2024-01-15T10', '2024-01-15T1:30', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00',
      '2024-01-15T24:00:00Z', '2024-01-15T10:60:00Z', '2024-01-15T10:30:61Z', '2024-01-15T10:30:00+', '2024-01-15T10:30:00+5',
      '2024-01-15T10:30:00 UTC', '2024-01-15T10:30:00.Z', '15/01/2024 10:30', 'yesterday', '2024-01-15T10:30:00ZZ',
    ]) {
      expect(run64(parseDatetime, bad), bad).toBeNull();
    }
  });

  // An offset is hours 00-23 and minutes 00-59 (RFC 3339 time-numoffset); "false when malformed" covers a
  // minute of 99 or an hour of 99, which otherwise shift the instant silently.
  it('refuses offsets whose hour or minute is out of range', () => {
    expect(run64(parseDatetime, '2024-01-15T10:30:00+05:99')).toBeNull();
    expect(run64(parseDatetime, '2024-01-15T10:30:00+0560')).toBeNull();
    expect(run64(parseDatetime, '2024-01-15T10:30:00+99:00')).toBeNull();
  });

  it('round-trips random instants with random offsets (property)', () => {
    const minUs = BigInt(daysFromCivil(1, 1, 2)) * 86400000000n;
    const maxUs = BigInt(daysFromCivil(9999, 12, 30)) * 86400000000n;
    fc.assert(
      fc.property(fc.bigInt({ min: minUs, max: maxUs }), fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.boolean(), (us, off, colon) => {
        const localUs = us + BigInt(off) * 60000000n;
        const ms = localUs >= 0n ? localUs / 1000n : -((-localUs + 999n) / 1000n); // floor division
        const fracUs = localUs - ms * 1000n;
        const local = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
        const frac = `${local.slice(20, 23)}${fracUs.toString().padStart(3, '0')}`;
        const abs = Math.abs(off);
        const hh = String(Math.floor(abs / 60)).padStart(2, '0');
        const mm = String(abs % 60).padStart(2, '0');
        const zone = off === 0 && colon ? 'Z' : `${off < 0 ? '-' : '+'}${hh}${colon ? ':' : ''}${mm}`;
        const text = `${local.slice(0, 19)}.${frac}${zone}`;
        expect(run64(parseDatetime, text), text).toBe(us);
      }),
      { numRuns: 300 },
    );
  });
});

describe('classifyValue', () => {
  it('classifies integers that fit int64 as long', () => {
    for (const t of ['0', '7', '-0', '+5', '123', '-42', '9007199254740993', '9223372036854775807', '-9223372036854775808']) {
      expect(classify(t), t).toBe('long');
    }
  });

  it('keeps integers with a leading zero as strings (zip codes, ids)', () => {
    for (const t of ['08123', '00', '007', '-08', '+01', '0000000001']) expect(classify(t), t).toBe('string');
  });

  it('keeps integers beyond int64 as strings, never doubles', () => {
    for (const t of ['9223372036854775808', '-9223372036854775809', '123456789012345678901234567890']) {
      expect(classify(t), t).toBe('string');
    }
  });

  it('classifies decimals, exponents and NaN as double', () => {
    for (const t of ['1.5', '-0.25', '0.5', '.5', '-.5', '1e10', '1E-3', '+2.5e+3', '1.', '-inf', '+Infinity', 'NaN', 'nan']) {
      expect(classify(t), t).toBe('double');
    }
  });

  it('classifies true/false as boolean, but 1/0 as long', () => {
    for (const t of ['true', 'FALSE', 'True']) expect(classify(t), t).toBe('boolean');
    expect(classify('1')).toBe('long');
    expect(classify('0')).toBe('long');
  });

  it('classifies calendar dates as date and date-times as datetime', () => {
    expect(classify('2024-01-15')).toBe('date');
    expect(classify('2024-02-29')).toBe('date');
    expect(classify('2024-01-15T10:30:00Z')).toBe('datetime');
    expect(classify('2024-01-15 10:30')).toBe('datetime');
    expect(classify('2024-01-15T10:30:00.123456+02:00')).toBe('datetime');
  });

  // classifyValue skips the double parser for texts that start with four digits and a '-' (dates, date-times). The
  // result must be the one of the parsers' own order: double, then date, then date-time, else string.
  it('classifies digit-led texts as the parsers in order would, with or without the date shortcut', () => {
    const piece = fc.constantFrom('0', '1', '2', '9', '-', '+', '.', 'e', 'E', ':', 'T', ' ', 'Z', '12', '2024', '-01', '-15', '5e-3');
    const text = fc.tuple(fc.constantFrom('', '-', '+', '1', '2024', '1999', '0001', '1.5', '12'), fc.array(piece, { maxLength: 8 }))
      .map(([head, rest]) => head + rest.join(''))
      .filter((t) => /^[+-]?\d/.test(t.trim()) && !/^[+-]?\d+$/.test(t.trim()));
    const reference = (t: string): InferredKind => {
      const v = run(parseDouble, t);
      if (v === v) return 'double';
      const d = run(parseDate, t);
      if (d === d) return 'date';
      return run64(parseDatetime, t) !== null ? 'datetime' : 'string';
    };
    fc.assert(fc.property(text, (t) => {
      expect(classify(t), JSON.stringify(t)).toBe(reference(t));
    }), { numRuns: 3000 });
    for (const t of ['2024-01-15', '2024-01-15T10:30:00Z', '2024-1-5', '1999-12-31 ', '2024-', '1e-5', '1.2e-5', '1234-5']) expect(classify(t), t).toBe(reference(t));
  });

  it('falls back to string', () => {
    for (const t of ['abc', '-', '+', '2023-02-29', '2024-13-01', '12abc', '1.2.3', 'yes', '0x1F', '1,5', 'N/A', 'ʤ']) {
      expect(classify(t), t).toBe('string');
    }
  });

  // Inference must agree with the parsers that later load the column. The parsers accept "inf"/"Infinity" as a
  // double (and classifyValue already calls "-inf", "+Infinity" and "NaN" doubles), so the unsigned spellings must
  // not make a double column a string column.
  it('classifies unsigned infinity spellings as double like the signed ones', () => {
    expect(run(parseDouble, 'Infinity')).toBe(Infinity);
    for (const t of ['inf', 'Infinity', 'INF']) expect(classify(t), t).toBe('double');
  });

  // The value parsers trim spaces and tabs, so a padded value loads as its trimmed self. Inference must see it the
  // same way: "9007199254740993 " classified as double would be loaded as 9007199254740992 — a silent truncation,
  // which the module's contract ("never narrows, never truncates") rules out.
  it('classifies a padded value like the unpadded one (the loaders trim)', () => {
    expect(run64(parseInt64, '9007199254740993 ')).toBe(9007199254740993n);
    expect(classify('9007199254740993 ')).toBe('long');
    expect(classify('12 ')).toBe('long');
    expect(classify(' 12')).toBe('long');
    expect(classify(' 1.5')).toBe('double');
    expect(classify(' 2024-01-15')).toBe('date');
  });
});

describe('joinKinds', () => {
  const KINDS: InferredKind[] = ['empty', 'long', 'double', 'boolean', 'date', 'datetime', 'string'];

  it('widens long and double to double, in either order', () => {
    expect(joinKinds('long', 'double')).toBe('double');
    expect(joinKinds('double', 'long')).toBe('double');
  });

  it('widens every other mix to string', () => {
    expect(joinKinds('date', 'long')).toBe('string');
    expect(joinKinds('long', 'date')).toBe('string');
    expect(joinKinds('date', 'datetime')).toBe('string');
    expect(joinKinds('boolean', 'long')).toBe('string');
    expect(joinKinds('double', 'boolean')).toBe('string');
    expect(joinKinds('datetime', 'double')).toBe('string');
  });

  it('treats empty as identity and string as absorbing', () => {
    for (const k of KINDS) {
      expect(joinKinds('empty', k)).toBe(k);
      expect(joinKinds(k, 'empty')).toBe(k);
      expect(joinKinds(k, k)).toBe(k);
      expect(joinKinds('string', k)).toBe('string');
      expect(joinKinds(k, 'string')).toBe('string');
    }
  });

  it('is commutative and associative, so the order rows are read in does not matter', () => {
    for (const a of KINDS) {
      for (const b of KINDS) {
        expect(joinKinds(a, b)).toBe(joinKinds(b, a));
        for (const c of KINDS) expect(joinKinds(joinKinds(a, b), c)).toBe(joinKinds(a, joinKinds(b, c)));
      }
    }
  });

  it('infers a column from its values: zip codes stay strings, mixed numbers become double', () => {
    const infer = (values: string[]) => values.reduce<InferredKind>((k, v) => joinKinds(k, classify(v)), 'empty');
    expect(infer(['12345', '08123'])).toBe('string');
    expect(infer(['1', '2.5', '-3'])).toBe('double');
    expect(infer(['1', '9223372036854775808'])).toBe('string');
    expect(infer(['2024-01-01', '2024-01-02'])).toBe('date');
    expect(infer(['2024-01-01', '20240102'])).toBe('string');
    expect(infer(['true', 'false', 'TRUE'])).toBe('boolean');
    expect(infer([])).toBe('empty');
    expect(baseTypeOf(infer([]))).toBe('string');
    expect(baseTypeOf(infer(['1', '2']))).toBe('long');
  });
});
