import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

/**
 * Reads a CSV file with csv-parse (an independent parser) into typed row texts keyed by column meaning, so an input
 * file and an exported file of the same table compare equal exactly when they hold the same typed values.
 * Types come from `types` (the store's manifest), never from our scanner.
 */
export function typedRows(path: string, types: Record<string, string>, delimiter = ','): string[] {
  const records = parse(readFileSync(path), {
    bom: true, delimiter, relax_quotes: true, skip_empty_lines: true,
    cast: (value, ctx) => (value === '' && !ctx.quoting ? null : value),
  }) as (string | null)[][];
  const [header, ...rows] = records;
  const keys = plainRoles(header.map((h) => h ?? '')) ?? header.map((h) => columnKey(h ?? ''));
  return rows.map((row) => JSON.stringify(Object.fromEntries(keys
    .map((k, i) => [k, row[i]] as const)
    .filter(([k]) => k !== ':LABEL' && k !== ':TYPE' && k !== ':IGNORE')
    .map(([k, v]) => [k, typed(v, k.startsWith(':') ? 'id' : types[k])]))))
    .sort();
}

/** Plain headers (no `:` anywhere): the id column (else the first) is the ID, src/dst-like pairs the endpoints. */
function plainRoles(header: string[]): string[] | undefined {
  if (header.some((h) => h.includes(':'))) return undefined;
  const lower = header.map((h) => h.toLowerCase());
  for (const [s, e] of [['src', 'dst'], ['source', 'target'], ['from', 'to'], ['start', 'end']]) {
    if (lower.includes(s) && lower.includes(e)) return lower.map((h, i) => (h === s ? ':START_ID' : h === e ? ':END_ID' : header[i]));
  }
  const idAt = lower.includes('id') ? lower.indexOf('id') : 0;
  return header.map((h, i) => (i === idAt ? ':ID' : h));
}

/** `name:type` -> `name`; ID and endpoint columns -> their role, so renamed headers still line up. */
function columnKey(field: string): string {
  const m = /^(.*?):([A-Za-z_]+)/.exec(field);
  if (m === null) return field;
  const role = m[2].toUpperCase();
  if (['ID', 'START_ID', 'END_ID', 'LABEL', 'TYPE', 'IGNORE'].includes(role)) return `:${role}`;
  return m[1];
}

function typed(v: string | null, type: string | undefined): unknown {
  if (v === null) return null;
  if (type === undefined) throw new Error(`no type for a column (value ${v})`);
  if (type.endsWith('[]')) return v === '' ? [] : v.split(';').map((x) => (x === '' ? null : typed(x, type.slice(0, -2))));
  switch (type) {
    case 'id': return v;
    case 'int': case 'long': return v === '' ? null : BigInt(v.trim()).toString();
    case 'float': return v === '' ? null : Math.fround(Number(v));
    case 'double': return v === '' ? null : Number(v);
    case 'boolean': return v === '' ? null : ['true', '1'].includes(v.trim().toLowerCase());
    case 'date': return v === '' ? null : v.trim();
    case 'datetime': return v === '' ? null : datetimeMicros(v.trim());
    default: return v;
  }
}

function datetimeMicros(text: string): string {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(text)!;
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  return (BigInt(ms) * 1000n + BigInt(((m[2] ?? '') + '000000').slice(0, 6))).toString();
}
