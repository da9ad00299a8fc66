import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// Real child processes of the built CLI (npm test builds first through `pretest`).
const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin/graph-import.js');
const DEMO = join(ROOT, 'fixtures/demo');

function cli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/cli/main.js'))).toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-cli-'));
});

describe('graph-import CLI', () => {
  it('imports positional files classified by header, and info --json reports the documented shape', async () => {
    const db = join(work, 'demo.db');
    const run = cli([join(DEMO, 'persons.csv'), join(DEMO, 'knows.csv'), '--into', db]);
    expect(run.stderr).not.toMatch(/GI_/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Imported 5 nodes and 6 relationships');
    const info = JSON.parse(cli(['info', db, '--json']).stdout);
    expect(info.nodeTables).toEqual([{ label: 'Person', count: 5, idSpace: 'Person', idType: 'int64', properties: [
      { name: 'name', type: 'string' }, { name: 'born', type: 'date' }, { name: 'height', type: 'double' },
      { name: 'tags', type: 'string[]' }, { name: 'vip', type: 'boolean' }] }]);
    expect(info.relationshipTables).toEqual([{ type: 'knows', from: 'Person', to: 'Person', count: 6, properties: [
      { name: 'since', type: 'int' }, { name: 'weight', type: 'float' }] }]);
    expect(cli(['verify', db]).status).toBe(0);
  });

  it('--nodes/--relationships name tables and take header-only first files', async () => {
    await writeFile(join(work, 'h.csv'), 'id:ID,name\n');
    await writeFile(join(work, 'p1.csv'), '1,a\n2,b\n');
    await writeFile(join(work, 'p2.csv'), '3,c\n');
    await writeFile(join(work, 'r.tsv'), ':START_ID\t:END_ID\n1\t3\n2\t1\n');
    const db = join(work, 'named.db');
    const run = cli(['--nodes', `Thing=${join(work, 'h.csv')},${join(work, 'p1.csv')},${join(work, 'p2.csv')}`,
      '--relationships', `LINKS=${join(work, 'r.tsv')}`, '--into', db, '--json']);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.nodeTables).toEqual([{ label: 'Thing', count: 3, skipped: {}, properties: [{ name: 'name', type: 'string' }] }]);
    expect(summary.relationshipTables).toEqual([{ type: 'LINKS', from: 'Thing', to: 'Thing', count: 2, skipped: {}, properties: [] }]);
  });

  it('refuses to touch an existing store without --overwrite, replaces it with --overwrite', async () => {
    const db = join(work, 'ow.db');
    expect(cli([join(DEMO, 'persons.csv'), '--into', db]).status).toBe(0);
    const refused = cli([join(DEMO, 'persons.csv'), join(DEMO, 'knows.csv'), '--into', db]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('GI_STORE_EXISTS');
    expect(JSON.parse(cli(['info', db, '--json']).stdout).relationships).toBe(0);
    expect(cli([join(DEMO, 'persons.csv'), join(DEMO, 'knows.csv'), '--into', db, '--overwrite']).status).toBe(0);
    expect(JSON.parse(cli(['info', db, '--json']).stdout).relationships).toBe(6);
    expect((await readdir(work)).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
  });

  it('export writes CSV that imports back to the same counts', async () => {
    const db = join(work, 'full.db');
    expect(cli([...['persons', 'companies', 'knows', 'works_at'].map((f) => join(DEMO, `${f}.csv`)), '--into', db]).status).toBe(0);
    const out = join(work, 'dump');
    const exp = cli(['export', db, '--out', out]);
    expect(exp.status).toBe(0);
    const files = exp.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(cli([...files, '--into', join(work, 'again.db')]).status).toBe(0);
    const a = JSON.parse(cli(['info', db, '--json']).stdout);
    const b = JSON.parse(cli(['info', join(work, 'again.db'), '--json']).stdout);
    expect(b.nodeTables).toEqual(a.nodeTables);
    expect(b.relationshipTables).toEqual(a.relationshipTables);
  });

  it('--dry-run prints the plan and writes nothing', () => {
    const db = join(work, 'dry.db');
    const run = cli([join(DEMO, 'persons.csv'), '--into', db, '--dry-run', '--json']);
    expect(run.status).toBe(0);
    const { plan } = JSON.parse(run.stdout);
    expect(plan.files[0].kind).toBe('node');
    expect(plan.files[0].delimiterSource).toBe('detected');
    expect(plan.engine.path).toBe('in-memory');
    expect(existsSync(db)).toBe(false);
    const human = cli([join(DEMO, 'persons.csv'), '--into', db, '--dry-run']);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('Plan (dry run: nothing was written)');
    expect(human.stdout).toMatch(/persons\.csv .* node -> Person {2}delimiter "," \(detected\)/);
    expect(human.stdout).toMatch(/engine: in-memory path \(input .* < --streaming-threshold/);
    expect(existsSync(db)).toBe(false);
  });

  it('verify reports a corrupted file with exit 3', async () => {
    const db = join(work, 'corrupt.db');
    expect(cli([join(DEMO, 'persons.csv'), join(DEMO, 'knows.csv'), '--into', db]).status).toBe(0);
    const target = join(db, 'rels/0/fwd.arrow');
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(target);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(target, bytes);
    const run = cli(['verify', db]);
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('GI_STORE_CORRUPT');
  });

  it('--help shows examples and --version the package version', () => {
    expect(cli(['import', '--help']).stdout).toContain('Examples:');
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
