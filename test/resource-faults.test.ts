import { spawn, spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, generateGraph, runCli, snapshotTree, strayEntries } from './helpers/child.js';

// Resource faults with real files and real child processes: an unwritable target, a write that fails half-way
// (the file-size limit of `ulimit -f`, which fails writes with EFBIG like a full disk), and inputs truncated,
// deleted or appended to while they are imported. Each must give exit 3, no new store, and an old store untouched.

let work: string;
let source: { nodes: string; edges: string };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-faults-'));
  await generateGraph(join(work, 'src'), 200_000, 3_000_000, 8);
  source = { nodes: join(work, 'src/nodes.csv'), edges: join(work, 'src/edges.csv') };
}, 120_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

let runs = 0;
/** A fresh directory with its own copy of the inputs (tests change them) and an existing store `g.db`. */
async function setup(): Promise<{ dir: string; nodes: string; edges: string; db: string; before: Map<string, Buffer | 'dir'> }> {
  const dir = join(work, `run-${++runs}`);
  await mkdir(dir);
  const nodes = join(dir, 'nodes.csv');
  const edges = join(dir, 'edges.csv');
  await Promise.all([copyFile(source.nodes, nodes), copyFile(source.edges, edges)]);
  const db = join(dir, 'g.db');
  // The existing store that a failed --overwrite import must leave as it was.
  await writeFile(join(dir, 'small.csv'), 'id:ID\n1\n2\n');
  expect((await runCli([join(dir, 'small.csv'), '--into', db, '--quiet'])).status).toBe(0);
  return { dir, nodes, edges, db, before: await snapshotTree(db) };
}

async function expectUntouched(dir: string, db: string, before: Map<string, Buffer | 'dir'>): Promise<void> {
  expect(await snapshotTree(db)).toEqual(before);
  expect(await strayEntries(dir, 'g.db')).toEqual([]);
}

/** Starts an import writing NDJSON progress to a file; `act` runs once `trigger` matches a line of it. */
function importAndAct(args: string[], events: string, trigger: RegExp, act: () => Promise<void>): Promise<{ status: number | null; stderr: string; acted: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--progress-file', events, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let acted = false;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const poll = setInterval(() => {
      void readFile(events, 'utf8').catch(() => '').then(async (text) => {
        if (acted || !trigger.test(text)) return;
        acted = true;
        clearInterval(poll);
        await act();
      });
    }, 20);
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`import did not finish\n${stderr}`)); }, 90_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearInterval(poll);
      clearTimeout(timer);
      done({ status, stderr, acted });
    });
  });
}

/** bash with `ulimit -f`, the fault injector of the disk-full case. */
const canLimitFileSize = spawnSync('bash', ['-c', 'ulimit -f 4096 && echo ok'], { encoding: 'utf8' }).stdout?.trim() === 'ok';

const RELS_STARTED = /"type":"phase-start","phase":"relationships"/;
const NODES_STARTED = /"type":"progress","phase":"nodes"/;

describe('resource faults', () => {
  it('an --into below a regular file fails with GI_STORE_WRITE (exit 3) and creates nothing', async () => {
    const dir = join(work, 'unwritable');
    await mkdir(dir);
    await writeFile(join(dir, 'file'), 'not a directory');
    const run = await runCli([source.nodes, '--into', join(dir, 'file/g.db')]);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/GI_STORE_WRITE/);
    expect(await readdir(dir)).toEqual(['file']);
  });

  it.skipIf(!canLimitFileSize)('a write that fails half-way (file size limit, like a full disk) fails with GI_STORE_WRITE (exit 3), old store intact', async () => {
    const { dir, nodes, edges, db, before } = await setup();
    // 4096 blocks of 512 bytes: 2 MiB per file, far less than the store needs. SIGXFSZ is ignored so the write
    // fails with EFBIG instead of killing the process.
    const run = spawnSync('bash', ['-c', `ulimit -f 4096; trap '' XFSZ; exec "${process.execPath}" "${BIN}" "$@"`, 'bash', nodes, edges, '--into', db, '--overwrite', '--quiet'],
      { encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 90_000 });
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/GI_STORE_WRITE: EFBIG/);
    await expectUntouched(dir, db, before);
  }, 120_000);

  it('a relationship file truncated mid-import fails with GI_INPUT_CHANGED (exit 3), old store intact', async () => {
    const { dir, nodes, edges, db, before } = await setup();
    const run = await importAndAct([nodes, edges, '--into', db, '--overwrite', '--threads', '1', '--batch-size', '20000'], join(dir, 'events.ndjson'), RELS_STARTED,
      () => truncate(edges, 1_000_000));
    expect(run.acted).toBe(true);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/edges\.csv: GI_INPUT_CHANGED: the file changed while it was being imported \(\d+ bytes when opened, 1000000 now\)/);
    await expectUntouched(dir, db, before);
  }, 120_000);

  it('a relationship file deleted mid-import fails with GI_INPUT_CHANGED (exit 3), old store intact', async () => {
    const { dir, nodes, edges, db, before } = await setup();
    const run = await importAndAct([nodes, edges, '--into', db, '--overwrite', '--threads', '1', '--batch-size', '20000'], join(dir, 'events.ndjson'), RELS_STARTED,
      () => unlink(edges));
    expect(run.acted).toBe(true);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/edges\.csv: GI_INPUT_CHANGED: the file was removed or became unreadable/);
    await expectUntouched(dir, db, before);
  }, 120_000);

  it('a node file appended to during the node phase fails with GI_INPUT_CHANGED (exit 3), old store intact', async () => {
    const { dir, nodes, edges, db, before } = await setup();
    const run = await importAndAct([nodes, edges, '--into', db, '--overwrite', '--batch-size', '1000'], join(dir, 'events.ndjson'), NODES_STARTED,
      () => appendFile(nodes, '999999999,Late Arrival,30,1.5,2020-01-01\n'));
    expect(run.acted).toBe(true);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/nodes\.csv: GI_INPUT_CHANGED/);
    await expectUntouched(dir, db, before);
    expect(existsSync(join(dir, 'g.db', 'manifest.json'))).toBe(true);
  }, 120_000);
});
