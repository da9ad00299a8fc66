#!/usr/bin/env node
// Benchmark: generate (once, cached) a seeded graph, import it in a child process under /usr/bin/time -v,
// and print wall time, peak RSS, rows/s and MB/s. Figures, not assertions: quote them in issue notes.
// Usage: node scripts/bench-import.mjs [--nodes N] [--edges M] [--dir /tmp/gi-bench] [--runs R] [-- extra import flags]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = sep < 0 ? argv : argv.slice(0, sep);
const extra = sep < 0 ? [] : argv.slice(sep + 1);
const opt = (name, fallback) => { const i = own.indexOf(`--${name}`); return i < 0 ? fallback : own[i + 1]; };
const nodes = Number(opt('nodes', 1_000_000));
const edges = Number(opt('edges', 10_000_000));
const runs = Number(opt('runs', 1));
const root = resolve(import.meta.dirname, '..');
const data = resolve(opt('dir', '/tmp/gi-bench'), `n${nodes}-e${edges}`);

if (!existsSync(join(data, 'edges.csv'))) {
  console.log(`generating ${nodes} nodes / ${edges} edges into ${data} ...`);
  execFileSync(process.execPath, [join(root, 'scripts/gen-graph.mjs'), '--nodes', String(nodes), '--edges', String(edges), '--out', data], { stdio: 'inherit' });
}
const bytes = statSync(join(data, 'nodes.csv')).size + statSync(join(data, 'edges.csv')).size;
const store = join(data, 'bench.db');
for (let r = 0; r < runs; r++) {
  rmSync(store, { recursive: true, force: true });
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'bin/graph-import.js'), join(data, 'nodes.csv'), join(data, 'edges.csv'),
    '--into', store, '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    process.stderr.write(run.stderr);
    process.exit(run.status ?? 1);
  }
  const wall = parseWall(/Elapsed \(wall clock\) time.*: (.+)/.exec(run.stderr)[1]);
  const rssMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)[1]) / 1024;
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  const phases = Object.entries(result.phaseMs).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}s`).join(' ');
  const peaks = Object.entries(result.engine.phasePeakRssBytes).map(([p, b]) => `${p} ${(b / 2 ** 20).toFixed(0)}`).join(' ');
  const e = result.engine;
  const phaseRate = (rows, ms) => (ms ? `${Math.round(rows / (ms / 1000)).toLocaleString()}/s` : '-');
  console.log([
    `run ${r + 1}: ${nodes.toLocaleString()} nodes + ${edges.toLocaleString()} edges, ${(bytes / 1e6).toFixed(0)} MB CSV, flags: ${extra.join(' ') || '(none)'}`,
    `  wall ${wall.toFixed(2)} s, peak RSS ${rssMB.toFixed(0)} MB (budget ${(e.memoryBudget / 2 ** 20).toFixed(0)} MiB), store ${(result.storeBytes / 1e6).toFixed(0)} MB`,
    `  ${Math.round((nodes + edges) / wall).toLocaleString()} rows/s, ${(bytes / 1e6 / wall).toFixed(1)} MB/s; nodes ${phaseRate(result.nodes, result.phaseMs.nodes)}, edges ${phaseRate(result.relationships, result.phaseMs.relationships)} (relationship phase)`,
    `  phases: ${phases}`,
    `  peak RSS so far at phase end (MiB): ${peaks}`,
    `  engine: ${e.path}, ${e.threads} threads, ${e.ranges} ranges (${e.rangesReread} re-read), ${e.partitions} CSR partitions, ID index ${(e.idIndexBytes / 2 ** 20).toFixed(0)} MiB, tasks per worker ${e.tasksPerWorker.join('/')}`,
  ].join('\n'));
}

function parseWall(text) {
  const parts = text.trim().split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}
