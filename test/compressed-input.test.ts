import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateGraph, runCli, strayEntries } from './helpers/child.js';
import { dumpGraph } from './helpers/graph-dump.js';
import { readStoreBytes } from './helpers/store-bytes.js';

// gzip inputs are read transparently: inflated once into the import's temporary directory, then read like any
// other file (in parallel ranges), with every message naming the .gz the user gave.

let work: string;
const plain = { nodes: '', edges: '' };
const gz = { nodes: '', edges: '' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-gz-'));
  await generateGraph(join(work, 'g'), 20_000, 200_000, 3);
  Object.assign(plain, { nodes: join(work, 'g/nodes.csv'), edges: join(work, 'g/edges.csv') });
  Object.assign(gz, { nodes: join(work, 'nodes.csv.gz'), edges: join(work, 'edges.csv.gz') });
  await writeFile(gz.nodes, gzipSync(await readFile(plain.nodes)));
  // Two gzip members back to back, as `cat a.gz b.gz` makes: one file to every gzip reader.
  const edges = await readFile(plain.edges);
  const cut = edges.indexOf(0x0a, edges.length >> 1) + 1;
  await writeFile(gz.edges, Buffer.concat([gzipSync(edges.subarray(0, cut)), gzipSync(edges.subarray(cut))]));
}, 60_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('gzip input', () => {
  it('imports to the same store bytes as the plain files, also in parallel ranges, and leaves no inflated copy', async () => {
    const a = join(work, 'plain.db');
    const b = join(work, 'gz.db');
    expect((await runCli([plain.nodes, plain.edges, '--into', a, '--threads', '2', '--batch-size', '5000', '--quiet'])).status).toBe(0);
    const run = await runCli([gz.nodes, gz.edges, '--into', b, '--threads', '2', '--batch-size', '5000', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.engine.ranges).toBeGreaterThan(10);
    expect(summary.phaseMs.decode).toBeGreaterThan(0);
    // Tables are named after the file stem, `.csv.gz` included.
    expect(summary.nodeTables.map((t: { label: string }) => t.label)).toEqual(['nodes']);
    const [x, y] = await Promise.all([readStoreBytes(a), readStoreBytes(b)]);
    expect(y.manifest.equals(x.manifest)).toBe(true);
    expect(y.extra).toEqual([]);
    for (const [path, bytes] of x.files) expect(y.files.get(path)?.equals(bytes!), path).toBe(true);
    expect(await strayEntries(work, 'gz.db')).toEqual([]);
  }, 60_000);

  it('reports decompression progress on compressed bytes, in steps, up to the compressed size', async () => {
    const events = join(work, 'events.ndjson');
    const run = await runCli([gz.nodes, gz.edges, '--into', join(work, 'progress.db'), '--progress-file', events, '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const lines = (await readFile(events, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const start = lines.find((e) => e.type === 'phase-start' && e.phase === 'decode');
    const compressed = (await stat(gz.nodes)).size + (await stat(gz.edges)).size;
    expect(start.totalBytes).toBe(compressed);
    expect(lines.indexOf(start)).toBe(0);
    const steps = lines.filter((e) => e.type === 'progress' && e.phase === 'decode');
    expect(steps.length).toBeGreaterThan(2);
    expect(steps[0].bytes).toBeLessThan(compressed);
    for (let i = 1; i < steps.length; i++) expect(steps[i].bytes).toBeGreaterThan(steps[i - 1].bytes);
    expect(steps.at(-1).bytes).toBe(compressed);
    expect(steps.at(-1).filesDone).toBe(2);
  }, 60_000);

  it('names the .gz file, with the exact line, in row errors', async () => {
    await writeFile(join(work, 'p.csv.gz'), gzipSync('id:ID,name\n1,a\n2,b\n'));
    await writeFile(join(work, 'k.csv.gz'), gzipSync(':START_ID,:END_ID\n1,2\n"2",\n2,9\n'));
    const run = await runCli([join(work, 'p.csv.gz'), join(work, 'k.csv.gz'), '--into', join(work, 'err.db')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${join(work, 'k.csv.gz')}:3:2: GI_ENDPOINT_NOT_FOUND`);
    expect(existsSync(join(work, 'err.db'))).toBe(false);
    expect(await strayEntries(work, 'err.db')).toEqual([]);
  });

  it('refuses damaged gzip, a .gz name without gzip bytes, and zstd, writing nothing (exit 1)', async () => {
    const whole = gzipSync('id:ID,name\n1,a\n2,b\n'.repeat(50));
    const cases: [string, Buffer, string, RegExp][] = [
      ['truncated.csv.gz', whole.subarray(0, whole.length >> 1), 'GI_BAD_COMPRESSION', /damaged or truncated/],
      ['bad-crc.csv.gz', Buffer.concat([whole.subarray(0, whole.length - 8), Buffer.from([1, 2, 3, 4]), whole.subarray(whole.length - 4)]), 'GI_BAD_COMPRESSION', /damaged or truncated/],
      ['not-gzip.csv.gz', Buffer.from('id:ID\n1\n'), 'GI_BAD_COMPRESSION', /named \.gz but does not start like one/],
      ['data.csv.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), 'GI_UNSUPPORTED_COMPRESSION', /zstd/],
    ];
    for (const [name, bytes, code, message] of cases) {
      const parent = await mkdtemp(join(work, 'bad-'));
      await writeFile(join(parent, name), bytes);
      const run = await runCli([join(parent, name), '--into', join(parent, 'g.db')]);
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toContain(`${join(parent, name)}: ${code}`);
      expect(run.stderr, name).toMatch(message);
      expect(await readdir(parent), name).toEqual([name]);
    }
  });

  it('--dry-run reads a gzip input and removes its inflated copy', async () => {
    const before = (await readdir(tmpdir())).filter((e) => e.startsWith('graph-import-plan-'));
    const run = await runCli([gz.nodes, '--into', join(work, 'dry.db'), '--dry-run']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/nodes\.csv\.gz .* node -> nodes/);
    const after = (await readdir(tmpdir())).filter((e) => e.startsWith('graph-import-plan-'));
    expect(after).toEqual(before);
    expect(existsSync(join(work, 'dry.db'))).toBe(false);
  });
});
