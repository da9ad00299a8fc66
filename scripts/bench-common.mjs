// Shared by the benchmark scripts: argument parsing, cached seeded data sets, and a timed import in a child process.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** `--name value` options before `--`, and import flags after it. */
export function parseArgs(argv = process.argv.slice(2)) {
  const sep = argv.indexOf('--');
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const extra = sep < 0 ? [] : argv.slice(sep + 1);
  const opt = (name, fallback) => { const i = own.indexOf(`--${name}`); return i < 0 ? fallback : own[i + 1]; };
  return { opt, extra };
}

/** Directory of a seeded graph of `nodes` and `edges` under `base` (`ids`: sparse, sequential or string), generated on first use. */
export function dataset(base, nodes, edges, ids = 'sparse') {
  const dir = join(resolve(base), `n${nodes}-e${edges}${ids === 'sparse' ? '' : `-${ids}`}`);
  if (!existsSync(join(dir, 'edges.csv'))) {
    console.log(`generating ${nodes} nodes / ${edges} edges (${ids} ids) into ${dir} ...`);
    execFileSync(process.execPath, [join(root, 'scripts/gen-graph.mjs'), '--nodes', String(nodes), '--edges', String(edges), '--out', dir, '--ids', ids], { stdio: 'inherit' });
  }
  return dir;
}

/** Imports `files` into a fresh `store` under /usr/bin/time -v; exits on failure. Wall seconds, peak RSS MB, --json result. */
export function timedImport(files, store, flags) {
  rmSync(store, { recursive: true, force: true });
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'bin/graph-import.js'), ...files, '--into', store, '--json', ...flags],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    process.stderr.write(run.stderr);
    process.exit(run.status ?? 1);
  }
  const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(run.stderr)[1].trim().split(':').map(Number).reduce((acc, p) => acc * 60 + p, 0);
  const rssMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)[1]) / 1024;
  // CPU seconds (user + system) of the whole process: steadier than wall time on a shared machine.
  const cpu = Number(/User time \(seconds\): ([\d.]+)/.exec(run.stderr)[1]) + Number(/System time \(seconds\): ([\d.]+)/.exec(run.stderr)[1]);
  return { wall, rssMB, cpu, result: JSON.parse(run.stdout.trim().split('\n').pop()) };
}

/** Peak RSS at each phase end, in MiB, as one line. */
export function phasePeaks(result) {
  return Object.entries(result.engine.phasePeakRssBytes).map(([p, b]) => `${p} ${(b / 2 ** 20).toFixed(0)}`).join(' ');
}
