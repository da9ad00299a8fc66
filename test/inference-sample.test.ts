import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import { type RunOptions, runImport } from '../src/exec/run-import.js';
import { readManifest } from '../src/store/manifest.js';
import { dumpGraph } from './helpers/graph-dump.js';

// Types of plain-header columns are inferred from a sample of each file and checked against every later value;
// a value the sample's type cannot hold restarts the import with that file read whole. The result must be exactly
// what whole-file inference gives: these tests compare a small sample against a sample larger than the file.

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-sample-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const WHOLE: RunOptions = { sampleBytes: 1 << 30 };
const SMALL: RunOptions = { sampleBytes: 256 };

async function importBoth(name: string, nodes: string, rels: string) {
  const dir = join(work, name);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  await writeFile(join(dir, 'nodes.csv'), nodes);
  await writeFile(join(dir, 'rels.csv'), rels);
  const config = (into: string, batchSize: number) =>
    normalizeConfig({ inputs: [{ kind: 'auto', files: [join(dir, 'nodes.csv')] }, { kind: 'auto', files: [join(dir, 'rels.csv')] }], into: join(dir, into), batchSize, threads: 2 });
  const whole = await runImport(config('whole.db', 100_000), WHOLE);
  const sampled = await runImport(config('sampled.db', 7), SMALL);
  return { dir, whole, sampled, wholeDb: join(dir, 'whole.db'), sampledDb: join(dir, 'sampled.db') };
}

function rows(n: number, make: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => make(i)).join('\n') + '\n';
}

describe('types inferred from a sample are checked against every value', () => {
  it('a late double in an integer-looking relationship column widens it to double, as whole-file inference does', async () => {
    const nodes = 'id,name\n' + rows(200, (i) => `${i},n${i}`);
    const rels = 'src,dst,w\n' + rows(2000, (i) => `${i % 200},${(i * 7) % 200},${i === 1900 ? '2.5' : String(i)}`);
    const r = await importBoth('late-double', nodes, rels);
    const manifest = await readManifest(r.sampledDb);
    expect(manifest.relationshipTables[0].properties).toEqual([{ name: 'w', type: 'double' }]);
    expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
  });

  it('a late zero-padded integer makes the column a string (never a silently stripped zero)', async () => {
    const nodes = 'id,code\n' + rows(3000, (i) => `${i},${i === 2999 ? '0042' : String(i + 1)}`);
    const rels = 'src,dst\n' + rows(100, (i) => `${i},${i + 1}`);
    const r = await importBoth('late-zero', nodes, rels);
    const manifest = await readManifest(r.sampledDb);
    expect(manifest.nodeTables[0].properties).toEqual([{ name: 'code', type: 'string' }]);
    expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
  });

  it('a late non-integer node ID turns the ID space to strings, and relationships still resolve', async () => {
    const nodes = 'id,name\n' + rows(3000, (i) => (i === 2500 ? 'x2500,late' : `${i},n${i}`));
    const rels = 'src,dst\n' + rows(3000, (i) => `${i === 2500 ? 'x2500' : i},${i === 10 ? 'x2500' : (i + 1) % 2500}`);
    const r = await importBoth('late-string-id', nodes, rels);
    const manifest = await readManifest(r.sampledDb);
    expect(manifest.nodeTables[0].idType).toBe('string');
    expect(r.sampled.relationships).toBe(3000);
    expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
  });

  it('a column empty throughout the sample takes the type of its later values', async () => {
    const nodes = 'id\n' + rows(50, (i) => `${i}`);
    const rels = 'src,dst,since\n' + rows(3000, (i) => `${i % 50},${(i + 3) % 50},${i < 2000 ? '' : String(1990 + (i % 30))}`);
    const r = await importBoth('late-values', nodes, rels);
    const manifest = await readManifest(r.sampledDb);
    expect(manifest.relationshipTables[0].properties).toEqual([{ name: 'since', type: 'long' }]);
    expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
  });

  it('a late "1" in a boolean column makes it a string, as the classifier would', async () => {
    const nodes = 'id,flag\n' + rows(3000, (i) => `${i},${i === 2800 ? '1' : i % 2 === 0 ? 'true' : 'false'}`);
    const rels = 'src,dst\n' + rows(10, (i) => `${i},${i + 1}`);
    const r = await importBoth('late-bool', nodes, rels);
    expect((await readManifest(r.sampledDb)).nodeTables[0].properties).toEqual([{ name: 'flag', type: 'string' }]);
    expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
  });

  it('when the sample is right the file is read once and the stores are byte-identical', async () => {
    const nodes = 'id,score\n' + rows(3000, (i) => `${i},${(i / 7).toFixed(3)}`);
    const rels = 'src,dst,w\n' + rows(3000, (i) => `${i},${(i * 13) % 3000},${i % 97}`);
    const r = await importBoth('sample-right', nodes, rels);
    const a = await readManifest(r.wholeDb);
    const b = await readManifest(r.sampledDb);
    expect(b.files).toEqual(a.files);
    for (const f of a.files) expect(await readFile(join(r.sampledDb, f.path))).toEqual(await readFile(join(r.wholeDb, f.path)));
  });

  // A date column is parsed before it is checked (appendInferred): a value that parses as a date fits, and any other
  // non-empty value must still restart the import, in node files read row by row or in ranges and in relationship
  // files read a column at a time or row by row.
  for (const [late, type] of [['2021-07-04', 'date'], ['2021-07-04T10:00:00', 'string'], ['n/a', 'string'], ['20210704', 'string']] as const) {
    it(`a late ${late} in a date column leaves it ${type}, as whole-file inference does`, async () => {
      const date = (i: number): string => `20${String(10 + (i % 10))}-0${1 + (i % 9)}-1${i % 10}`;
      const nodes = 'id,born\n' + rows(3000, (i) => `${i},${i === 2900 ? late : date(i)}`);
      const rels = 'src,dst,on\n' + rows(3000, (i) => `${i},${(i + 1) % 3000},${i === 2950 ? late : date(i)}`);
      const r = await importBoth(`late-date-${type}-${late.length}`, nodes, rels);
      const manifest = await readManifest(r.sampledDb);
      expect(manifest.nodeTables[0].properties).toEqual([{ name: 'born', type }]);
      expect(manifest.relationshipTables[0].properties).toEqual([{ name: 'on', type }]);
      expect(await dumpGraph(r.sampledDb)).toEqual(await dumpGraph(r.wholeDb));
      // The node file again in ranges read by workers (node-range-task), from the same small sample.
      const ranged = join(r.dir, 'ranged.db');
      await runImport(normalizeConfig({
        inputs: [{ kind: 'auto', files: [join(r.dir, 'nodes.csv')] }, { kind: 'auto', files: [join(r.dir, 'rels.csv')] }], into: ranged, batchSize: 7, threads: 2, mode: 'streaming',
      }), { ...SMALL, rangedNodeBytes: 0 });
      expect((await readManifest(ranged)).nodeTables[0].properties).toEqual([{ name: 'born', type }]);
      expect(await dumpGraph(ranged)).toEqual(await dumpGraph(r.wholeDb));
    });
  }
});
