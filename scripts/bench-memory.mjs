#!/usr/bin/env node
// Memory benchmark for the streaming path: the same 1M nodes with relationship files of growing size (about 100 MB,
// 1 GB and 5 GB by default), plus a ~1 GB node file, each imported in a child process under /usr/bin/time -v.
// Prints peak RSS per input and the spread between them. Figures, not assertions: quote them in issue notes.
// Usage: node scripts/bench-memory.mjs [--nodes 1000000] [--edges 2500000,25000000,125000000] [--big-nodes 20000000]
//        [--dir /tmp/gi-bench] [-- extra import flags]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = sep < 0 ? argv : argv.slice(0, sep);
const extra = sep < 0 ? [] : argv.slice(sep + 1);
const opt = (name, fallback) => { const i = own.indexOf(`--${name}`); return i < 0 ? fallback : own[i + 1]; };
const nodes = Number(opt('nodes', 1_000_000));
const edgeCounts = String(opt('edges', '2500000,25000000,125000000')).split(',').map(Number);
const bigNodes = Number(opt('big-nodes', 20_000_000));
const root = resolve(import.meta.dirname, '..');
const base = resolve(opt('dir', '/tmp/gi-bench'));

function dataset(n, m) {
  const dir = join(base, `n${n}-e${m}`);
  if (!existsSync(join(dir, 'edges.csv'))) {
    console.log(`generating ${n} nodes / ${m} edges into ${dir} ...`);
    execFileSync(process.execPath, [join(root, 'scripts/gen-graph.mjs'), '--nodes', String(n), '--edges', String(m), '--out', dir], { stdio: 'inherit' });
  }
  return dir;
}

function run(label, files, store) {
  rmSync(store, { recursive: true, force: true });
  const bytes = files.reduce((t, f) => t + statSync(f).size, 0);
  const child = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'bin/graph-import.js'), ...files, '--into', store, '--json', '--mode', 'streaming', ...extra],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(child.status ?? 1);
  }
  const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(child.stderr)[1].trim().split(':').map(Number).reduce((a, p) => a * 60 + p, 0);
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)[1]) / 1024;
  const result = JSON.parse(child.stdout.trim().split('\n').pop());
  const peaks = Object.entries(result.engine.phasePeakRssBytes).map(([p, b]) => `${p} ${(b / 2 ** 20).toFixed(0)}`).join(' ');
  console.log(`${label}: ${(bytes / 1e9).toFixed(2)} GB input, wall ${wall.toFixed(1)} s, peak RSS ${rss.toFixed(0)} MB, ${(bytes / 1e6 / wall).toFixed(0)} MB/s, ${result.engine.partitions} CSR partitions; peak at phase end (MiB): ${peaks}`);
  rmSync(store, { recursive: true, force: true });
  return rss;
}

const peaks = [];
for (const m of edgeCounts) {
  const dir = dataset(nodes, m);
  peaks.push(run(`${nodes} nodes + ${m} edges`, [join(dir, 'nodes.csv'), join(dir, 'edges.csv')], join(dir, 'mem.db')));
}
console.log(`relationship-file peaks: ${peaks.map((p) => p.toFixed(0)).join(' / ')} MB; spread ${(Math.max(...peaks) - Math.min(...peaks)).toFixed(0)} MB`);
if (bigNodes > 0) {
  const dir = dataset(bigNodes, 1000);
  run(`${bigNodes} nodes (node file ${(statSync(join(dir, 'nodes.csv')).size / 1e9).toFixed(2)} GB) + 1000 edges`, [join(dir, 'nodes.csv'), join(dir, 'edges.csv')], join(dir, 'mem.db'));
}
