#!/usr/bin/env node
// Memory benchmark for the streaming path: the same 1M nodes with relationship files of growing size (about 100 MB,
// 1 GB and 5 GB by default), plus a ~1 GB node file, each imported in a child process under /usr/bin/time -v.
// Prints peak RSS per input and the spread between them. Figures, not assertions: quote them in issue notes.
// Usage: node scripts/bench-memory.mjs [--nodes 1000000] [--edges 2500000,25000000,125000000] [--big-nodes 20000000]
//        [--dir /tmp/gi-bench] [-- extra import flags]
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataset, parseArgs, phasePeaks, timedImport } from './bench-common.mjs';

const { opt, extra } = parseArgs();
const nodes = Number(opt('nodes', 1_000_000));
const edgeCounts = String(opt('edges', '2500000,25000000,125000000')).split(',').map(Number);
const bigNodes = Number(opt('big-nodes', 20_000_000));
const base = opt('dir', '/tmp/gi-bench');

function run(label, dir) {
  const files = [join(dir, 'nodes.csv'), join(dir, 'edges.csv')];
  const store = join(dir, 'mem.db');
  const bytes = files.reduce((t, f) => t + statSync(f).size, 0);
  const { wall, rssMB, result } = timedImport(files, store, ['--mode', 'streaming', ...extra]);
  console.log(`${label}: ${(bytes / 1e9).toFixed(2)} GB input, wall ${wall.toFixed(1)} s, peak RSS ${rssMB.toFixed(0)} MB, ${(bytes / 1e6 / wall).toFixed(0)} MB/s, ${result.engine.partitions} CSR partitions; peak at phase end (MiB): ${phasePeaks(result)}`);
  rmSync(store, { recursive: true, force: true });
  return rssMB;
}

const peaks = [];
for (const m of edgeCounts) {
  peaks.push(run(`${nodes} nodes + ${m} edges`, dataset(base, nodes, m)));
}
console.log(`relationship-file peaks: ${peaks.map((p) => p.toFixed(0)).join(' / ')} MB; spread ${(Math.max(...peaks) - Math.min(...peaks)).toFixed(0)} MB`);
if (bigNodes > 0) {
  const dir = dataset(base, bigNodes, 1000);
  run(`${bigNodes} nodes (node file ${(statSync(join(dir, 'nodes.csv')).size / 1e9).toFixed(2)} GB) + 1000 edges`, dir);
}
