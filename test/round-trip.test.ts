import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import { runImport } from '../src/exec/run-import.js';
import { exportCsv } from '../src/read/export-csv.js';
import { readManifest } from '../src/store/manifest.js';
import { verifyStore } from '../src/read/verify-store.js';
import { typedRows } from './helpers/csv-oracle.js';
import { dumpGraph } from './helpers/graph-dump.js';

const CASES = resolve(__dirname, 'fixtures/round-trip');
const DEMO = resolve(__dirname, '../fixtures/demo');

async function importDir(files: string[], into: string): Promise<void> {
  await runImport(normalizeConfig({ inputs: files.map((f) => ({ kind: 'auto' as const, files: [f] })), into }));
}

async function csvFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.csv')).sort().map((f) => join(dir, f));
}

async function roundTrip(name: string, dir: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), `gi-rt-${name}-`));
  const inputs = await csvFiles(dir);
  await importDir(inputs, join(work, 'a.db'));
  expect((await verifyStore(join(work, 'a.db'))).ok).toBe(true);
  const exported = await exportCsv(join(work, 'a.db'), { out: join(work, 'export') });
  const exportedFiles = exported.files.map((f) => f.path);
  await importDir(exportedFiles, join(work, 'b.db'));

  // 1. The store read back from the export is the same graph (labels, IDs, typed properties, edges).
  expect(await dumpGraph(join(work, 'b.db'))).toEqual(await dumpGraph(join(work, 'a.db')));

  // 2. Input and export hold the same typed rows, read by an independent parser (csv-parse).
  const manifest = await readManifest(join(work, 'a.db'));
  const types: Record<string, string> = {};
  for (const t of [...manifest.nodeTables, ...manifest.relationshipTables]) for (const p of t.properties) types[p.name] = p.type;
  const rowsOf = (files: string[]): string[] => files.flatMap((f) => typedRows(f, types)).sort();
  const inputNodes = inputs.filter((f) => !isRelFile(f));
  const inputRels = inputs.filter((f) => isRelFile(f));
  expect(rowsOf(exported.files.filter((f) => f.kind === 'node').map((f) => f.path))).toEqual(rowsOf(inputNodes));
  expect(rowsOf(exported.files.filter((f) => f.kind === 'relationship').map((f) => f.path))).toEqual(rowsOf(inputRels));
  expect(exportedFiles.length).toBeGreaterThan(0);
}

function isRelFile(path: string): boolean {
  const header = typedHeader(path);
  return /:START_ID|^src,|,dst\b|^source,|^from,/i.test(header);
}

function typedHeader(path: string): string {
  return readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
}

describe('round trip: CSV -> store -> export -> import', () => {
  it('bundled demo fixture', async () => {
    await roundTrip('demo', DEMO);
  });
  const cases = readdirSync(CASES).sort();
  it('has case folders', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });
  it.each(cases)('%s', async (name) => {
    await roundTrip(name, join(CASES, name));
  });
});
