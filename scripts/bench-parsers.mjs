#!/usr/bin/env node
// Benchmark: the value parsers every CSV field of a typed column goes through, in ns per value over 1M values of
// realistic shapes (needs `npm run build`). Figures, not assertions: quote them in issue notes.
//
//   node scripts/bench-parsers.mjs [--values N]
import { parseDate, parseDatetime, parseDouble, parseInt64 } from '../dist/input/value-parsers.js';
import { parseArgs } from './bench-common.mjs';

const { opt } = parseArgs();
const n = Number(opt('values', 1_000_000));
const pad = (v, k) => String(v).padStart(k, '0');
const samples = {
  'int64 (12 digits)': Array.from({ length: 1000 }, (_, i) => String(100_000_000_000 + i * 7_919_113)),
  'double (4 decimals)': Array.from({ length: 1000 }, (_, i) => (i / 7).toFixed(4)),
  'date YYYY-MM-DD': Array.from({ length: 1000 }, (_, i) => `${1950 + (i % 70)}-${pad(1 + (i % 12), 2)}-${pad(1 + (i % 28), 2)}`),
  'datetime with µs and Z': Array.from({ length: 1000 }, (_, i) => `${1950 + (i % 70)}-${pad(1 + (i % 12), 2)}-${pad(1 + (i % 28), 2)}T${pad(i % 24, 2)}:${pad(i % 60, 2)}:${pad((7 * i) % 60, 2)}.${pad((i * 997) % 1_000_000, 6)}Z`),
  'datetime with an offset (general path)': Array.from({ length: 1000 }, (_, i) => `${1950 + (i % 70)}-${pad(1 + (i % 12), 2)}-${pad(1 + (i % 28), 2)}T${pad(i % 24, 2)}:${pad(i % 60, 2)}:00+05:30`),
};
const parsers = {
  'int64 (12 digits)': parseInt64, 'double (4 decimals)': parseDouble, 'date YYYY-MM-DD': parseDate,
  'datetime with µs and Z': parseDatetime, 'datetime with an offset (general path)': parseDatetime,
};
for (const [name, texts] of Object.entries(samples)) {
  const bufs = texts.map((t) => Buffer.from(t));
  const parse = parsers[name];
  for (let k = 0; k < 100_000; k++) parse(bufs[k % 1000], 0, bufs[k % 1000].length); // warm-up
  const t = performance.now();
  for (let k = 0; k < n; k++) parse(bufs[k % 1000], 0, bufs[k % 1000].length);
  console.log(`${name.padEnd(40)} ${(((performance.now() - t) * 1e6) / n).toFixed(0).padStart(5)} ns/value`);
}
