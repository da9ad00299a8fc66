#!/usr/bin/env node
// Benchmark: generate (once, cached) a seeded graph, import it in a child process under /usr/bin/time -v,
// and print wall time, peak RSS, rows/s and MB/s. Figures, not assertions: quote them in issue notes.
// Usage: node scripts/bench-import.mjs [--nodes N] [--edges M] [--ids sparse|sequential|string] [--dir /tmp/gi-bench] [--runs R] [-- extra import flags]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dataset, parseArgs, phasePeaks, timedImport } from './bench-common.mjs';

const { opt, extra } = parseArgs();
const nodes = Number(opt('nodes', 1_000_000));
const edges = Number(opt('edges', 10_000_000));
const runs = Number(opt('runs', 1));
const ids = opt('ids', 'sparse');
const data = dataset(opt('dir', '/tmp/gi-bench'), nodes, edges, ids);
const files = [join(data, 'nodes.csv'), join(data, 'edges.csv')];
const bytes = files.reduce((t, f) => t + statSync(f).size, 0);
for (let r = 0; r < runs; r++) {
  const { wall, rssMB, cpu, result } = timedImport(files, join(data, 'bench.db'), extra);
  const phases = Object.entries(result.phaseMs).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}s`).join(' ');
  const peaks = phasePeaks(result);
  const e = result.engine;
  const phaseRate = (rows, ms) => (ms ? `${Math.round(rows / (ms / 1000)).toLocaleString()}/s` : '-');
  console.log([
    `run ${r + 1}: ${nodes.toLocaleString()} nodes + ${edges.toLocaleString()} edges (${ids} ids), ${(bytes / 1e6).toFixed(0)} MB CSV, flags: ${extra.join(' ') || '(none)'}`,
    `  wall ${wall.toFixed(2)} s, cpu ${cpu.toFixed(2)} s (${(cpu / wall).toFixed(2)} cores busy), peak RSS ${rssMB.toFixed(0)} MB (budget ${(e.memoryBudget / 2 ** 20).toFixed(0)} MiB), store ${(result.storeBytes / 1e6).toFixed(0)} MB`,
    `  ${Math.round((nodes + edges) / wall).toLocaleString()} rows/s, ${(bytes / 1e6 / wall).toFixed(1)} MB/s; nodes ${phaseRate(result.nodes, result.phaseMs.nodes)}, edges ${phaseRate(result.relationships, result.phaseMs.relationships)} (relationship phase)`,
    `  phases: ${phases}`,
    `  peak RSS so far at phase end (MiB): ${peaks}`,
    `  engine: ${e.path}, ${e.threads} threads, ${e.ranges} ranges (${e.rangesReread} re-read), ${e.partitions} CSR partitions, ID index ${(e.idIndexBytes / 2 ** 20).toFixed(0)} MiB, tasks per worker ${e.tasksPerWorker.join('/')}`,
  ].join('\n'));
}
