#!/usr/bin/env node
// Writes one small property graph as CSV, Arrow IPC (file, stream, LZ4- and zstd-compressed, zstd frames with and
// without their size) and Parquet (written by
// DuckDB, an independent writer) into fixtures/columnar/<format>/, for test/columnar-input.test.ts: every format must
// import to the same store. The values probe the edges of the type mapping: int64 past 2^53, NaN, -0, infinities,
// float32 rounding, dates before 1970, negative timestamps, quotes, commas and line breaks in strings, the empty
// string next to null, empty and null lists.
//
//   node scripts/gen-columnar-fixtures.mjs [--out fixtures/columnar]
//
// Needs the dev dependencies (apache-arrow, lz4js, @duckdb/node-api) and the `zstd` command for the zstd variant.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  Bool, CompressionType, DateDay, Dictionary, Field, Float32, Float64, Int32, Int64, List, RecordBatchFileWriter, RecordBatchStreamWriter,
  Schema, Table, TimestampMicrosecond, Utf8, compressionRegistry, vectorFromArray, makeTable,
} from 'apache-arrow';
import lz4 from 'lz4js';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const out = resolve(args[args.indexOf('--out') + 1] && args.includes('--out') ? args[args.indexOf('--out') + 1] : 'fixtures/columnar');

const person = {
  columns: [
    ['id:ID(Person)', 'long'], ['name', 'string'], ['age', 'int'], ['score', 'double'], ['height', 'float'], ['vip', 'boolean'],
    ['born', 'date'], ['seen', 'datetime'], ['tags', 'string[]'], ['scores', 'long[]'],
  ],
  rows: [
    [1n, 'Ann', 34, 1.5, 1.75, true, '1990-05-17', '2024-01-02T03:04:05.123456Z', ['a', 'b'], [1n, 9007199254740993n]],
    [2n, 'Bob, Jr.', null, Number.NaN, 0.1, false, '1900-01-01', '1969-12-31T23:59:59.999999Z', [], []],
    [9007199254740993n, 'say "hi"', -7, -0, null, null, '2024-02-29', null, null, null],
    [-5n, 'two\nlines', 2147483647, Number.POSITIVE_INFINITY, -3.5, true, null, '2000-01-01T00:00:00Z', ['x y', 'z'], [-9223372036854775808n]],
    [9223372036854775807n, '', -2147483648, 1e300, 3.4028234663852886e38, false, '1970-01-01', '2262-04-11T23:47:16.854775Z', ['only'], [0n]],
    [42n, null, 0, 5e-324, 1, true, '2099-12-31', '1970-01-01T00:00:00.000001Z', ['ü', 'ß,comma'], [7n, 8n, 9n]],
    [43n, 'Zoë ✓', 1, Number.NEGATIVE_INFINITY, 2.5, null, '1969-07-20', '1999-12-31T23:59:59Z', ['q'], [1n]],
  ],
};
const company = {
  columns: [['id:ID(Company)', 'string'], ['name', 'string'], ['founded', 'int']],
  rows: [['c1', 'Acme', 1999], ['c-2', 'Globex; Inc', null], ['00123', 'Initech', 1987]],
};
const knows = {
  columns: [[':START_ID(Person)', 'long'], [':END_ID(Person)', 'long'], ['since', 'int'], ['weight', 'double']],
  rows: [
    [1n, 2n, 2010, 0.5], [2n, 9007199254740993n, null, 1], [9007199254740993n, 1n, 2011, Number.NaN], [-5n, 9223372036854775807n, 2012, -0],
    [42n, 43n, 2013, 2.25], [43n, 42n, 2014, null], [1n, 43n, 2015, 1e-7], [9223372036854775807n, -5n, 2016, 3],
  ],
};
const worksAt = {
  columns: [[':START_ID(Person)', 'long'], [':END_ID(Company)', 'string'], ['role', 'string'], ['started', 'datetime']],
  rows: [
    [1n, 'c1', 'engineer', '2015-03-01T09:00:00Z'], [2n, 'c-2', 'ceo, founder', null], [42n, '00123', '', '2020-02-29T12:30:00.5Z'],
    [43n, 'c1', null, '1985-10-26T01:21:00Z'],
  ],
};
const tables = { Person: person, Company: company, KNOWS: knows, WORKS_AT: worksAt };

// ---- CSV (the reference) -------------------------------------------------------------------------------------------
function csvField(v, type) {
  if (v === null) return '';
  if (Array.isArray(v)) return v.length === 0 ? '""' : csvQuote(v.map((x) => csvText(x, type.replace('[]', ''))).join(';'));
  if (v === '') return '""';
  return csvQuote(csvText(v, type));
}
function csvText(v, type) {
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  if (type === 'float' && typeof v === 'number') return String(Math.fround(v));
  return String(v);
}
const csvQuote = (t) => (/[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
function csvHeader(name, type) {
  return name.includes(':') ? name : `${name}:${type}`;
}

// ---- Arrow ----------------------------------------------------------------------------------------------------------
function micros(iso) {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso);
  const whole = BigInt(Date.parse(`${m[1]}Z`)) * 1000n;
  return whole + BigInt((m[2] ?? '').padEnd(6, '0') || '0');
}
const days = (d) => Date.parse(`${d}T00:00:00Z`) / 86400000;
function arrowType(type, name) {
  switch (type) {
    case 'long': return new Int64();
    case 'int': return new Int32();
    case 'double': return new Float64();
    case 'float': return new Float32();
    case 'boolean': return new Bool();
    // One string column is dictionary-encoded, as pandas categoricals and polars' Categorical are.
    case 'string': return name === 'role' ? new Dictionary(new Utf8(), new Int32()) : new Utf8();
    case 'date': return new DateDay();
    case 'datetime': return new TimestampMicrosecond('UTC');
    case 'string[]': return new List(new Field('item', new Utf8(), true));
    case 'long[]': return new List(new Field('item', new Int64(), true));
    default: throw new Error(type);
  }
}
function arrowValue(v, type) {
  if (v === null) return null;
  if (type === 'date') return days(v) * 86400000;
  if (type === 'datetime') return Number(micros(v) / 1000n);
  return v;
}
function arrowTable(t) {
  const columns = {};
  const fields = [];
  for (const [c, [name, type]] of t.columns.entries()) {
    const at = arrowType(type, name);
    let vector = vectorFromArray(t.rows.map((r) => arrowValue(r[c], type)), at);
    if (type === 'datetime') {
      // vectorFromArray takes milliseconds: set the exact microseconds afterwards.
      const values = vector.data[0].values;
      t.rows.forEach((r, i) => { if (r[c] !== null) values[i] = micros(r[c]); });
    }
    columns[name] = vector;
    fields.push(new Field(name, at, true));
  }
  return new Table(new Schema(fields), columns);
}
function writeArrow(table, path, { stream = false, compression = null } = {}) {
  const Writer = stream ? RecordBatchStreamWriter : RecordBatchFileWriter;
  const writer = new Writer({ compressionType: compression });
  // Two record batches: a reader must not stop after the first.
  const half = Math.ceil(table.numRows / 2);
  for (const part of [table.slice(0, half), table.slice(half)]) for (const batch of part.batches) writer.write(batch);
  writeFileSync(path, writer.finish().toUint8Array(true));
}

// ---- Parquet (DuckDB) -----------------------------------------------------------------------------------------------
function sqlType(type) {
  return { long: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', float: 'FLOAT', boolean: 'BOOLEAN', string: 'VARCHAR', date: 'DATE', datetime: 'TIMESTAMPTZ', 'string[]': 'VARCHAR[]', 'long[]': 'BIGINT[]' }[type];
}
function sqlValue(v, type) {
  if (v === null) return 'NULL';
  if (Array.isArray(v)) return `[${v.map((x) => sqlValue(x, type.replace('[]', ''))).join(', ')}]::${sqlType(type)}`;
  if (typeof v === 'string') {
    const text = `'${v.replace(/'/g, "''")}'`;
    return type === 'date' ? `DATE ${text}` : type === 'datetime' ? `TIMESTAMPTZ ${text.replace('Z', '+00')}` : text;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return `'${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'}'::${sqlType(type)}`;
  if (Object.is(v, -0)) return `'-0.0'::${sqlType(type)}`;
  return type === 'float' ? `${v}::FLOAT` : String(v);
}
async function writeParquet(connection, name, t, path, codec) {
  const cols = t.columns.map(([n, type]) => `"${n}" ${sqlType(type)}`).join(', ');
  await connection.run(`CREATE OR REPLACE TABLE t (${cols})`);
  for (const r of t.rows) await connection.run(`INSERT INTO t VALUES (${r.map((v, c) => sqlValue(v, t.columns[c][1])).join(', ')})`);
  await connection.run(`COPY t TO '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 4)`);
}

compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: (data) => lz4.compress(data), decode: (data) => lz4.decompress(data) });
// Frames that state their size (as Arrow's writers make them), or not (as a streaming compressor makes them): the
// reader takes a different decoder for each.
let zstdStatesSize = true;
compressionRegistry.set(CompressionType.ZSTD, {
  encode: (data) => new Uint8Array(execFileSync('zstd', ['-q', '-c', ...(zstdStatesSize ? [`--stream-size=${data.length}`] : [])], { input: data, maxBuffer: 1 << 26 })),
});

rmSync(out, { recursive: true, force: true });
for (const dir of ['csv', 'arrow', 'arrows', 'feather-lz4', 'arrow-zstd', 'arrow-zstd-unsized', 'parquet', 'parquet-zstd']) mkdirSync(join(out, dir), { recursive: true });
const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run("SET TimeZone = 'UTC'");
for (const [name, t] of Object.entries(tables)) {
  const header = t.columns.map(([n, type]) => csvHeader(n, type)).join(',');
  const lines = t.rows.map((r) => r.map((v, c) => csvField(v, t.columns[c][1])).join(','));
  writeFileSync(join(out, 'csv', `${name}.csv`), `${header}\n${lines.join('\n')}\n`);
  const table = arrowTable(t);
  writeArrow(table, join(out, 'arrow', `${name}.arrow`));
  writeArrow(table, join(out, 'arrows', `${name}.arrows`), { stream: true });
  writeArrow(table, join(out, 'feather-lz4', `${name}.feather`), { compression: CompressionType.LZ4_FRAME });
  zstdStatesSize = true;
  writeArrow(table, join(out, 'arrow-zstd', `${name}.arrow`), { compression: CompressionType.ZSTD });
  zstdStatesSize = false;
  writeArrow(table, join(out, 'arrow-zstd-unsized', `${name}.arrow`), { compression: CompressionType.ZSTD });
  await writeParquet(duck, name, t, join(out, 'parquet', `${name}.parquet`), 'snappy');
  await writeParquet(duck, name, t, join(out, 'parquet-zstd', `${name}.parquet`), 'zstd');
}
console.log(`wrote ${Object.keys(tables).length} tables in 8 formats to ${out}`);
