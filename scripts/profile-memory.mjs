#!/usr/bin/env node
// Memory-profiling run: imports a generated ~1 GB graph (streaming path) under `node --heap-prof` (sampling heap
// profiler, main thread and workers) and prints peak RSS and heap per phase from the NDJSON progress events.
// Open the .heapprofile files in Chrome DevTools (Memory tab, "Load") to see which code allocated what.
// Usage: node scripts/profile-memory.mjs [--nodes N] [--edges M] [--dir /tmp/gi-bench] [--out DIR]
//                                        [--interval BYTES] [-- extra import flags]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataset, parseArgs, root } from './bench-common.mjs';

const { opt, extra } = parseArgs();
const nodes = Number(opt('nodes', 1_000_000));
const edges = Number(opt('edges', 25_000_000));
const data = dataset(opt('dir', '/tmp/gi-bench'), nodes, edges);
const out = resolve(opt('out', join(data, 'heap-profiles')));
// 512 KiB between samples (the default) is cheap enough to leave the timings meaningful.
const interval = opt('interval', String(512 * 1024));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = [join(data, 'nodes.csv'), join(data, 'edges.csv')];
const inputMB = files.reduce((t, f) => t + statSync(f).size, 0) / 2 ** 20;
const store = join(data, 'profile.db');
rmSync(store, { recursive: true, force: true });

console.log(`profiling ${nodes.toLocaleString()} nodes + ${edges.toLocaleString()} edges (${inputMB.toFixed(0)} MiB CSV), heap profiles into ${out}`);
const run = spawnSync('/usr/bin/time', ['-v', process.execPath, '--heap-prof', `--heap-prof-dir=${out}`, `--heap-prof-interval=${interval}`,
  join(root, 'bin/graph-import.js'), ...files, '--into', store, '--mode', 'streaming', '--progress', 'json', '--quiet', ...extra],
{ encoding: 'utf8', maxBuffer: 1 << 28 });
const lines = run.stderr.split('\n');
const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
if (run.status !== 0) {
  process.stderr.write(lines.filter((l) => !l.startsWith('{')).join('\n'));
  process.exit(run.status ?? 1);
}
const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(run.stderr)[1].trim().split(':').map(Number).reduce((acc, p) => acc * 60 + p, 0);
const peakMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)[1]) / 1024;
const MiB = (b) => (b / 2 ** 20).toFixed(0).padStart(6);
console.log('phase           seconds  RSS at end  peak RSS so far  main heap used (MiB)');
for (const e of events.filter((x) => x.type === 'phase-end')) {
  console.log(`${e.phase.padEnd(14)} ${(e.elapsedMs / 1000).toFixed(2).padStart(8)}  ${MiB(e.rssBytes)}      ${MiB(e.peakRssBytes)}           ${MiB(e.heapUsedBytes)}`);
}
console.log(`whole run: wall ${wall.toFixed(2)} s, peak RSS ${peakMB.toFixed(0)} MiB (/usr/bin/time), ${(inputMB / wall).toFixed(1)} MiB/s under the profiler`);
for (const f of readdirSync(out).sort()) console.log(`  ${join(out, f)}  ${(statSync(join(out, f)).size / 1024).toFixed(0)} KiB`);
rmSync(store, { recursive: true, force: true });
