#!/usr/bin/env node
// Benchmark: one seeded graph imported from CSV, from Arrow IPC and from Parquet (the Arrow and Parquet files are
// graph-import's own exports of the CSV import, so all three hold the same graph), each in a child process under
// /usr/bin/time -v; prints wall, rows/s, MB/s, the phases and peak RSS per format, and whether each store is
// byte-identical to the CSV import's. Arrow IPC files are read in place; the same batches as Arrow streams are
// converted (the path every Arrow input took before), which the run also times. With
// --large-gb G it also writes an Arrow relationship file of at least G GB over the same nodes and imports it in
// streaming mode under the default memory budget (the large-file memory check). Figures, not assertions.
//
//   node scripts/bench-columnar.mjs [--nodes N] [--edges M] [--dir /tmp/gi-bench] [--large-gb 1] [-- extra import flags]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { Field, Float64, Int64, RecordBatch, RecordBatchFileWriter, Schema, Struct, makeData, tableFromIPC, tableToIPC } from 'apache-arrow';
import { dataset, parseArgs, phasePeaks, root, timedImport } from './bench-common.mjs';

const { opt, extra } = parseArgs();
const nodes = Number(opt('nodes', 1_000_000));
const edges = Number(opt('edges', 10_000_000));
const largeGb = Number(opt('large-gb', 0));
const data = dataset(opt('dir', '/tmp/gi-bench'), nodes, edges);
const csv = [join(data, 'nodes.csv'), join(data, 'edges.csv')];

/** Runs `graph-import export` under /usr/bin/time -v; wall seconds and peak RSS MB. */
function timedExport(store, format, out) {
  rmSync(out, { recursive: true, force: true });
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'bin/graph-import.js'), 'export', store, '--format', format, '--out', out], { encoding: 'utf8' });
  if (run.status !== 0) {
    process.stderr.write(run.stderr);
    process.exit(run.status ?? 1);
  }
  const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(run.stderr)[1].trim().split(':').map(Number).reduce((acc, p) => acc * 60 + p, 0);
  return { wall, rssMB: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)[1]) / 1024 };
}

const filesOf = (dir) => ['nodes', 'relationships'].flatMap((k) => readdirSync(join(dir, k)).sort().map((f) => join(dir, k, f)));
const size = (files) => files.reduce((t, f) => t + statSync(f).size, 0);

function report(label, files, { wall, rssMB, result }) {
  const bytes = size(files);
  const rows = result.nodes + result.relationships;
  const phases = Object.entries(result.phaseMs).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}s`).join(' ');
  console.log([
    `${label}: ${(bytes / 1e6).toFixed(0)} MB in ${files.length} files, flags: ${extra.join(' ') || '(none)'}`,
    `  wall ${wall.toFixed(2)} s, ${Math.round(rows / wall).toLocaleString()} rows/s, ${(bytes / 1e6 / wall).toFixed(1)} MB/s of input, peak RSS ${rssMB.toFixed(0)} MB`,
    `  phases: ${phases}`,
    `  peak RSS so far at phase end (MiB): ${phasePeaks(result)}`,
  ].join('\n'));
}

/** True when two stores hold the same files with the same bytes. */
function sameStore(a, b) {
  const list = (dir) => readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile()).sort();
  const files = list(a);
  return JSON.stringify(files) === JSON.stringify(list(b)) && files.every((f) => readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

const base = timedImport(csv, join(data, 'csv.db'), extra);
report(`CSV (${nodes.toLocaleString()} nodes + ${edges.toLocaleString()} edges)`, csv, base);
for (const format of ['arrow', 'parquet']) {
  const out = join(data, `export-${format}`);
  const exp = timedExport(join(data, 'csv.db'), format, out);
  const files = filesOf(out);
  console.log(`export --format ${format}: ${exp.wall.toFixed(2)} s, peak RSS ${exp.rssMB.toFixed(0)} MB, ${(size(files) / 1e6).toFixed(0)} MB written`);
  const label = format === 'arrow' ? 'Arrow IPC files (read in place)' : 'Parquet (snappy, converted)';
  report(`${label} (same graph)`, files, timedImport(files, join(data, `${format}.db`), extra));
  console.log(`  store byte-identical to the CSV import's: ${sameStore(join(data, `${format}.db`), join(data, 'csv.db')) ? 'yes' : 'NO'}`);
  if (format === 'arrow') {
    // The same record batches as Arrow streams, which have no random access and so are converted: the old path.
    // Same file stems (table names) as the Arrow files, in a directory of their own.
    mkdirSync(join(data, 'streams'), { recursive: true });
    const streams = files.map((f) => {
      const to = join(data, 'streams', `${basename(f, '.arrow')}.arrows`);
      writeFileSync(to, tableToIPC(tableFromIPC(readFileSync(f)), 'stream'));
      return to;
    });
    report('Arrow IPC streams (same batches, converted)', streams, timedImport(streams, join(data, 'arrows.db'), extra));
    console.log(`  store byte-identical to the CSV import's: ${sameStore(join(data, 'arrows.db'), join(data, 'csv.db')) ? 'yes' : 'NO'}`);
    for (const f of streams) rmSync(f, { force: true });
  }
}

if (largeGb > 0) {
  // Edges over the exported nodes' IDs, written batch by batch: the generator holds one batch, not the file.
  const nodeFile = filesOf(join(data, 'export-arrow')).find((f) => f.includes('/nodes/'));
  const ids = tableFromIPC(readFileSync(nodeFile)).getChildAt(0).toArray();
  const path = join(data, `large-${largeGb}gb.arrow`);
  const fields = [new Field(':START_ID', new Int64(), false), new Field(':END_ID', new Int64(), false), new Field('weight', new Float64(), true), new Field('since', new Int64(), true)];
  const schema = new Schema(fields);
  const writer = new RecordBatchFileWriter();
  const file = createWriteStream(path);
  writer.toNodeStream().pipe(file);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const rowsPerBatch = 1 << 20;
  let written = 0;
  let total = 0;
  while (written < largeGb * 1e9) {
    const src = new BigInt64Array(rowsPerBatch);
    const dst = new BigInt64Array(rowsPerBatch);
    const weight = new Float64Array(rowsPerBatch);
    const since = new BigInt64Array(rowsPerBatch);
    for (let i = 0; i < rowsPerBatch; i++) {
      src[i] = ids[Math.floor(rand() * ids.length)];
      dst[i] = ids[Math.floor(rand() * ids.length)];
      weight[i] = Math.round(rand() * 1e6) / 1e3;
      since[i] = BigInt(1990 + Math.floor(rand() * 35));
    }
    const children = [src, dst, weight, since].map((values, c) => makeData({ type: fields[c].type, length: rowsPerBatch, nullCount: 0, data: values }));
    writer.write(new RecordBatch(schema, makeData({ type: new Struct(fields), length: rowsPerBatch, nullCount: 0, children })));
    written += rowsPerBatch * 32;
    total += rowsPerBatch;
    if (file.writableLength > 64 << 20) await once(file, 'drain');
  }
  writer.finish();
  await once(file, 'finish');
  console.log(`wrote ${path}: ${total.toLocaleString()} edges, ${(statSync(path).size / 1e9).toFixed(2)} GB`);
  const files = [nodeFile, path];
  report(`large Arrow input (${total.toLocaleString()} edges), streaming`, files, timedImport(files, join(data, 'large.db'), ['--mode', 'streaming', ...extra]));
  rmSync(join(data, 'large.db'), { recursive: true, force: true });
}
