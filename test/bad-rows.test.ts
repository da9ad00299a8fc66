import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, ROOT, runCli, snapshotDifferences, snapshotTree, strayEntries } from './helpers/child.js';
import { dumpGraph } from './helpers/graph-dump.js';

// Tolerance modes (--max-bad-rows, --skip-duplicate-nodes, --skip-bad-relationships, --ignore-extra-columns) and the
// rejects report (--rejects), checked through real child processes of the built CLI: run `npm run build` first.

let work: string;

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-bad-rows-'));
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh directory holding `files` (relative path -> content). The CLI runs in it, so paths are given relative. */
async function fixture(files: Record<string, string>): Promise<string> {
  const dir = join(work, `case-${++dirs}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const gi = (cwd: string, args: string[]): Promise<CliRun> => runCli(args, { cwd, timeoutMs: 120_000 });

const csv = (header: string, rows: string[]): string => `${header}\n${rows.map((r) => `${r}\n`).join('')}`;

interface Summary {
  nodes: number;
  relationships: number;
  nodeTables: { label: string; count: number; skipped: Record<string, number> }[];
  relationshipTables: { type: string; count: number; skipped: Record<string, number> }[];
  skipped: { rows: number; byReason: Record<string, number>; byFile: Record<string, Record<string, number>> };
  rejectsReport?: string;
  engine: { threads: number; ranges: number };
}

/** The --json summary: stdout is exactly one line holding one object. */
function summaryOf(run: CliRun): Summary {
  expect(run.stdout.indexOf('\n'), `${run.stdout}\n${run.stderr}`).toBe(run.stdout.length - 1);
  return JSON.parse(run.stdout) as Summary;
}

const nodeTable = (s: Summary, label: string) => s.nodeTables.find((t) => t.label === label)!;

interface Reject {
  file: string;
  line: number;
  byteOffset: number;
  column: number;
  columnName?: string;
  code: string;
  message: string;
  raw: string;
}

/** What a test expects of one rejected row; byteOffset is derived from `line` and checked against the file. */
interface Expected {
  file: string;
  line: number;
  code: string;
  column: number;
  raw: string;
  columnName?: string;
}

async function readRejects(path: string): Promise<Reject[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n'), 'NDJSON ends with a newline').toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Reject);
}

/** Byte offsets where the physical lines of `bytes` start: index 1 holds line 1's. */
function lineStarts(bytes: Buffer): number[] {
  const starts = [-1, 0];
  for (let at = bytes.indexOf(10); at >= 0 && at + 1 < bytes.length; at = bytes.indexOf(10, at + 1)) starts.push(at + 1);
  return starts;
}

/** The rejects report at `report` lists exactly `expected`, in order, with exact byte offsets and raw rows. */
async function expectRejects(cwd: string, report: string, expected: Expected[]): Promise<Reject[]> {
  const got = await readRejects(join(cwd, report));
  const projected = got.map((r, i) => {
    const keys = Object.keys(expected[i] ?? { file: 0, line: 0, code: 0, column: 0, raw: 0 });
    return Object.fromEntries(keys.map((k) => [k, r[k as keyof Reject]]));
  });
  expect(projected).toEqual(expected);
  const files = new Map<string, { bytes: Buffer; starts: number[] }>();
  for (const r of got) {
    if (!files.has(r.file)) {
      const bytes = await readFile(join(cwd, r.file));
      files.set(r.file, { bytes, starts: lineStarts(bytes) });
    }
    const { bytes, starts } = files.get(r.file)!;
    const where = `${r.file}:${r.line}`;
    expect(r.byteOffset, where).toBe(starts[r.line]);
    const end = r.byteOffset + Buffer.byteLength(r.raw);
    expect(bytes.subarray(r.byteOffset, end).toString('utf8'), where).toBe(r.raw);
    // The raw text is the whole row: it ends at a line end or at the end of the file.
    expect(end === bytes.length || bytes[end] === 10 || bytes[end] === 13, where).toBe(true);
    expect(r.message, where).not.toBe('');
  }
  return got;
}

/** `<report>.rows/` holds exactly these files: each its input's header line, then the rejected rows verbatim. */
async function expectRowsFiles(cwd: string, report: string, files: Record<string, { header: string; raws: string[] }>): Promise<void> {
  const dir = join(cwd, `${report}.rows`);
  expect((await readdir(dir)).sort()).toEqual(Object.keys(files).sort());
  for (const [name, { header, raws }] of Object.entries(files)) {
    expect(await readFile(join(dir, name), 'utf8'), name).toBe(csv(header, raws));
  }
}

/** No rejected row was recorded: the report is absent or empty, and so is the rows directory. */
async function expectNoRejects(cwd: string, report: string): Promise<void> {
  const path = join(cwd, report);
  expect(existsSync(path) ? await readFile(path, 'utf8') : '').toBe('');
  expect(existsSync(`${path}.rows`) ? await readdir(`${path}.rows`) : []).toEqual([]);
}

/** Writes `files` to a fresh directory and imports them (in `order`) with no flags; the import must succeed. */
async function cleanGraph(files: Record<string, string>, order: string[]): Promise<Awaited<ReturnType<typeof dumpGraph>>> {
  const dir = await fixture(files);
  const run = await gi(dir, [...order, '--into', 'g.db']);
  expect(run.status, run.stderr).toBe(0);
  return dumpGraph(join(dir, 'g.db'));
}

/** The run failed with a data error, naming `headline`, and left no store and no temporary siblings. */
async function expectFailed(run: CliRun, cwd: string, headline: string, store = 'g.db'): Promise<void> {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).toContain(headline);
  expect(existsSync(join(cwd, store))).toBe(false);
  expect(await strayEntries(cwd, store)).toEqual([]);
}

/**
 * A strict run's error headline is `file:line:column: CODE` of one of the bad rows. Which one is not pinned here: the
 * sniff checks field counts before values are loaded (see the known bug at the end of this file).
 */
function expectNamesOneOf(run: CliRun, rows: Expected[]): void {
  const headline = /^(\S+:\d+:\d+: GI_[A-Z_]+):/m.exec(run.stderr)?.[1];
  expect(rows.map((r) => `${r.file}:${r.line}:${r.column}: ${r.code}`), run.stderr).toContain(headline);
}

describe('each tolerance flag', () => {
  it('--skip-duplicate-nodes: the first node wins, within a file and across tables of one ID space; not counted', async () => {
    const header = 'id:ID,name,tags:string[],age:int';
    const persons = ['1,Ann,a;b,30', '2,Bob,,41', '1,Ann2,c,50', '3,Cid,d,22'];
    const companies = ['10,Acme', '2,Dupco', '11,Beta'];
    const files = {
      'persons.csv': csv(header, persons),
      'companies.csv': csv('id:ID,name', companies),
      'knows.csv': csv(':START_ID,:END_ID,since:int', ['1,2,2000', '2,3,2001', '1,3,2002']),
      'works_at.csv': csv(':START_ID,:END_ID', ['1,10', '2,11', '3,10']),
    };
    const order = ['persons.csv', 'companies.csv', 'knows.csv', 'works_at.csv'];
    const dir = await fixture(files);
    // --max-bad-rows stays 0: duplicates skipped by the flag must not count against it.
    const [run, strict, clean] = await Promise.all([
      gi(dir, [...order, '--into', 'g.db', '--skip-duplicate-nodes', '--rejects', 'rej.ndjson', '--json']),
      gi(dir, [...order, '--into', 'strict.db']),
      cleanGraph({ ...files, 'persons.csv': csv(header, persons.filter((_, i) => i !== 2)), 'companies.csv': csv('id:ID,name', companies.filter((_, i) => i !== 1)) }, order),
    ]);
    expect(run.status, run.stderr).toBe(4);
    const s = summaryOf(run);
    expect(s.skipped).toEqual({
      rows: 2,
      byReason: { GI_DUPLICATE_NODE_ID: 2 },
      byFile: { 'persons.csv': { GI_DUPLICATE_NODE_ID: 1 }, 'companies.csv': { GI_DUPLICATE_NODE_ID: 1 } },
    });
    expect(s.rejectsReport).toBe(join(dir, 'rej.ndjson'));
    expect([s.nodes, s.relationships]).toEqual([5, 6]);
    expect(nodeTable(s, 'persons').count).toBe(3);
    expect(nodeTable(s, 'persons').skipped).toEqual({ GI_DUPLICATE_NODE_ID: 1 });
    expect(nodeTable(s, 'companies').count).toBe(2);
    expect(nodeTable(s, 'companies').skipped).toEqual({ GI_DUPLICATE_NODE_ID: 1 });
    for (const t of s.relationshipTables) expect(t.skipped).toEqual({});
    await expectRejects(dir, 'rej.ndjson', [
      { file: 'persons.csv', line: 4, code: 'GI_DUPLICATE_NODE_ID', column: 1, raw: '1,Ann2,c,50' },
      { file: 'companies.csv', line: 3, code: 'GI_DUPLICATE_NODE_ID', column: 1, raw: '2,Dupco' },
    ]);
    await expectRowsFiles(dir, 'rej.ndjson', {
      'persons.csv': { header, raws: ['1,Ann2,c,50'] },
      'companies.csv': { header: 'id:ID,name', raws: ['2,Dupco'] },
    });
    expect(await dumpGraph(join(dir, 'g.db'))).toEqual(clean);
    await expectFailed(strict, dir, 'persons.csv:4:1: GI_DUPLICATE_NODE_ID', 'strict.db');
  });

  it('--skip-bad-relationships: dangling start or end nodes are skipped, with exact lines across several ranges and workers', async () => {
    const header = ':START_ID,:END_ID,note,w:int';
    const rows = ['1,2,"two\nlines",5', '9,1,x,1', '2,3,y,2', '2,8,"bad\nend",3', '3,4,z,4', '7,7,both,5', '4,1,w,6', '1,5,last,7'];
    const bad = new Set([1, 3, 5, 7]);
    const files = { 'persons.csv': csv('id:ID,name', ['1,Ann', '2,Bob', '3,Cid', '4,Dan']), 'knows.csv': csv(header, rows) };
    const order = ['persons.csv', 'knows.csv'];
    const dir = await fixture(files);
    const [run, strict, clean] = await Promise.all([
      gi(dir, [...order, '--into', 'g.db', '--skip-bad-relationships', '--threads', '2', '--batch-size', '2', '--rejects', 'rej.ndjson', '--json']),
      gi(dir, [...order, '--into', 'strict.db', '--threads', '2', '--batch-size', '2']),
      cleanGraph({ ...files, 'knows.csv': csv(header, rows.filter((_, i) => !bad.has(i))) }, order),
    ]);
    expect(run.status, run.stderr).toBe(4);
    const s = summaryOf(run);
    expect(s.skipped).toEqual({ rows: 4, byReason: { GI_ENDPOINT_NOT_FOUND: 4 }, byFile: { 'knows.csv': { GI_ENDPOINT_NOT_FOUND: 4 } } });
    expect([s.nodes, s.relationships]).toEqual([4, 4]);
    expect(s.engine.threads).toBe(2);
    expect(s.engine.ranges).toBeGreaterThan(1);
    // Relationship rows are reported per file, never against a node table or their own table.
    expect(nodeTable(s, 'persons').skipped).toEqual({});
    expect(s.relationshipTables.map((t) => t.skipped)).toEqual([{}]);
    await expectRejects(dir, 'rej.ndjson', [
      { file: 'knows.csv', line: 4, code: 'GI_ENDPOINT_NOT_FOUND', column: 1, raw: '9,1,x,1' },
      { file: 'knows.csv', line: 6, code: 'GI_ENDPOINT_NOT_FOUND', column: 2, raw: '2,8,"bad\nend",3' },
      { file: 'knows.csv', line: 9, code: 'GI_ENDPOINT_NOT_FOUND', column: 1, raw: '7,7,both,5' },
      { file: 'knows.csv', line: 11, code: 'GI_ENDPOINT_NOT_FOUND', column: 2, raw: '1,5,last,7' },
    ]);
    await expectRowsFiles(dir, 'rej.ndjson', { 'knows.csv': { header, raws: rows.filter((_, i) => bad.has(i)) } });
    expect(await dumpGraph(join(dir, 'g.db'))).toEqual(clean);
    await expectFailed(strict, dir, 'knows.csv:4:1: GI_ENDPOINT_NOT_FOUND', 'strict.db');
  });

  it('--ignore-extra-columns: longer node rows are imported without their extra fields (exit 0); shorter rows stay bad', async () => {
    const header = 'id:ID,name,age:int';
    const files = {
      'persons.csv': csv(header, ['1,Ann,30', '2,Bob,41,extra', '3,Cid,22,x,"y,z"']),
      'knows.csv': csv(':START_ID,:END_ID,w:int', ['1,2,5', '2,3,6']),
    };
    const order = ['persons.csv', 'knows.csv'];
    // A short row is not what the flag is about: it fails the import, or is counted against --max-bad-rows.
    const shortFiles = { 'persons.csv': csv(header, ['1,Ann,30', '2,Bob,41,extra', '3,Cid', '4,Dan,50']), 'knows.csv': csv(':START_ID,:END_ID,w:int', ['1,2,5', '2,4,6']) };
    const [dir, short] = await Promise.all([fixture(files), fixture(shortFiles)]);
    const [run, strict, clean, failed, counted, cleanShort] = await Promise.all([
      gi(dir, [...order, '--into', 'g.db', '--ignore-extra-columns', '--rejects', 'rej.ndjson', '--json']),
      gi(dir, [...order, '--into', 'strict.db']),
      cleanGraph({ ...files, 'persons.csv': csv(header, ['1,Ann,30', '2,Bob,41', '3,Cid,22']) }, order),
      gi(short, [...order, '--into', 'strict.db', '--ignore-extra-columns']),
      gi(short, [...order, '--into', 'g.db', '--ignore-extra-columns', '--max-bad-rows', '1', '--rejects', 'rej.ndjson', '--json']),
      cleanGraph({ ...shortFiles, 'persons.csv': csv(header, ['1,Ann,30', '2,Bob,41', '4,Dan,50']) }, order),
    ]);
    expect(run.status, run.stderr).toBe(0);
    const s = summaryOf(run);
    expect(s.skipped).toEqual({ rows: 0, byReason: {}, byFile: {} });
    expect([s.nodes, s.relationships]).toEqual([3, 2]);
    expect(nodeTable(s, 'persons').skipped).toEqual({});
    await expectNoRejects(dir, 'rej.ndjson');
    expect(await dumpGraph(join(dir, 'g.db'))).toEqual(clean);
    await expectFailed(strict, dir, 'persons.csv:3:4: GI_FIELD_COUNT', 'strict.db');

    await expectFailed(failed, short, 'persons.csv:4:2: GI_FIELD_COUNT', 'strict.db');
    expect(counted.status, counted.stderr).toBe(4);
    expect(summaryOf(counted).skipped).toEqual({ rows: 1, byReason: { GI_FIELD_COUNT: 1 }, byFile: { 'persons.csv': { GI_FIELD_COUNT: 1 } } });
    await expectRejects(short, 'rej.ndjson', [{ file: 'persons.csv', line: 4, code: 'GI_FIELD_COUNT', column: 2, raw: '3,Cid' }]);
    expect(await dumpGraph(join(short, 'g.db'))).toEqual(cleanShort);
  });

  it('--max-bad-rows <count>: every kind of bad row is skipped up to the count, half-appended rows leave nothing behind', async () => {
    const pHeader = 'id:ID,name,tags:string[],age:int';
    // Bad values come after string and array columns, so a row is rejected after part of it was appended.
    const persons = ['1,Ann,a;b,30', '2,Bob,c;d,x', ',Nobody,e,20', '3,Cid,f', '4,Dan,g;h,44', '5,"Eve\nSmith",i,55,extra', '6,Fay,,66'];
    const kHeader = ':START_ID,:END_ID,note,w:int';
    const knows = ['1,4,"hi\nthere",1', '4,6,ok,zz', '1', '6,1,fine,3', '4,1,"a;b",9'];
    const files = { 'persons.csv': csv(pHeader, persons), 'knows.csv': csv(kHeader, knows) };
    const order = ['persons.csv', 'knows.csv'];
    const dir = await fixture(files);
    // Exactly 6 counted bad rows: a limit of 6 is enough.
    const [run, strict, clean] = await Promise.all([
      gi(dir, [...order, '--into', 'g.db', '--max-bad-rows', '6', '--threads', '2', '--batch-size', '2', '--rejects', 'rej.ndjson', '--json']),
      gi(dir, [...order, '--into', 'strict.db']),
      cleanGraph({
        'persons.csv': csv(pHeader, persons.filter((_, i) => [0, 4, 6].includes(i))),
        'knows.csv': csv(kHeader, knows.filter((_, i) => [0, 3, 4].includes(i))),
      }, order),
    ]);
    expect(run.status, run.stderr).toBe(4);
    const s = summaryOf(run);
    expect(s.skipped).toEqual({
      rows: 6,
      byReason: { GI_TYPE_CAST: 2, GI_MISSING_NODE_ID: 1, GI_FIELD_COUNT: 3 },
      byFile: {
        'persons.csv': { GI_TYPE_CAST: 1, GI_MISSING_NODE_ID: 1, GI_FIELD_COUNT: 2 },
        'knows.csv': { GI_TYPE_CAST: 1, GI_FIELD_COUNT: 1 },
      },
    });
    expect([s.nodes, s.relationships]).toEqual([3, 3]);
    expect(nodeTable(s, 'persons').count).toBe(3);
    expect(nodeTable(s, 'persons').skipped).toMatchObject({ GI_TYPE_CAST: 1, GI_MISSING_NODE_ID: 1 });
    expect(s.relationshipTables.map((t) => t.skipped)).toEqual([{}]);
    const expected: Expected[] = [
      { file: 'persons.csv', line: 3, code: 'GI_TYPE_CAST', column: 4, columnName: 'age', raw: '2,Bob,c;d,x' },
      { file: 'persons.csv', line: 4, code: 'GI_MISSING_NODE_ID', column: 1, raw: ',Nobody,e,20' },
      { file: 'persons.csv', line: 5, code: 'GI_FIELD_COUNT', column: 3, raw: '3,Cid,f' },
      { file: 'persons.csv', line: 7, code: 'GI_FIELD_COUNT', column: 5, raw: '5,"Eve\nSmith",i,55,extra' },
      { file: 'knows.csv', line: 4, code: 'GI_TYPE_CAST', column: 4, columnName: 'w', raw: '4,6,ok,zz' },
      { file: 'knows.csv', line: 5, code: 'GI_FIELD_COUNT', column: 1, raw: '1' },
    ];
    await expectRejects(dir, 'rej.ndjson', expected);
    await expectRowsFiles(dir, 'rej.ndjson', {
      'persons.csv': { header: pHeader, raws: expected.slice(0, 4).map((e) => e.raw) },
      'knows.csv': { header: kHeader, raws: expected.slice(4).map((e) => e.raw) },
    });
    expect(await dumpGraph(join(dir, 'g.db'))).toEqual(clean);
    await expectFailed(strict, dir, ': GI_', 'strict.db');
    expectNamesOneOf(strict, expected);
  });

  it('--max-bad-rows <p%>: bad rows up to that share of all rows read (nodes and relationships) are skipped', async () => {
    // 20 node rows and 20 relationship rows, 2 bad in each: exactly 10%.
    const pRows = Array.from({ length: 20 }, (_, i) => `${i + 1},p${i + 1},${20 + i}`);
    // Relationships avoid nodes 5 and 12, whose rows are bad: a relationship to them would be a third kind of bad row.
    const live = Array.from({ length: 20 }, (_, i) => i + 1).filter((id) => id !== 5 && id !== 12);
    const kRows = Array.from({ length: 20 }, (_, i) => `${live[i % 18]},${live[(i * 7) % 18]},${i}`);
    const pDirty = pRows.map((r, i) => (i === 4 ? '5,p5,x' : i === 11 ? '12,p12' : r));
    const kDirty = kRows.map((r, i) => (i === 0 ? '1,8,q' : i === 19 ? '20' : r));
    const pHeader = 'id:ID,name,age:int';
    const kHeader = ':START_ID,:END_ID,w:int';
    const order = ['persons.csv', 'knows.csv'];
    const dir = await fixture({ 'persons.csv': csv(pHeader, pDirty), 'knows.csv': csv(kHeader, kDirty) });
    const [run, strict, tight, clean] = await Promise.all([
      gi(dir, [...order, '--into', 'g.db', '--max-bad-rows', '10%', '--threads', '2', '--batch-size', '3', '--rejects', 'rej.ndjson', '--json']),
      gi(dir, [...order, '--into', 'strict.db']),
      gi(dir, [...order, '--into', 'tight.db', '--max-bad-rows', '9.5%']),
      cleanGraph({
        'persons.csv': csv(pHeader, pRows.filter((_, i) => i !== 4 && i !== 11)),
        'knows.csv': csv(kHeader, kRows.filter((_, i) => i !== 0 && i !== 19)),
      }, order),
    ]);
    expect(run.status, run.stderr).toBe(4);
    const s = summaryOf(run);
    expect(s.skipped).toEqual({
      rows: 4,
      byReason: { GI_TYPE_CAST: 2, GI_FIELD_COUNT: 2 },
      byFile: { 'persons.csv': { GI_TYPE_CAST: 1, GI_FIELD_COUNT: 1 }, 'knows.csv': { GI_TYPE_CAST: 1, GI_FIELD_COUNT: 1 } },
    });
    expect([s.nodes, s.relationships]).toEqual([18, 18]);
    expect(nodeTable(s, 'persons').skipped).toMatchObject({ GI_TYPE_CAST: 1 });
    const rejects: Expected[] = [
      { file: 'persons.csv', line: 6, code: 'GI_TYPE_CAST', column: 3, columnName: 'age', raw: '5,p5,x' },
      { file: 'persons.csv', line: 13, code: 'GI_FIELD_COUNT', column: 2, raw: '12,p12' },
      { file: 'knows.csv', line: 2, code: 'GI_TYPE_CAST', column: 3, columnName: 'w', raw: '1,8,q' },
      { file: 'knows.csv', line: 21, code: 'GI_FIELD_COUNT', column: 1, raw: '20' },
    ];
    await expectRejects(dir, 'rej.ndjson', rejects);
    expect(await dumpGraph(join(dir, 'g.db'))).toEqual(clean);

    await expectFailed(strict, dir, ': GI_', 'strict.db');
    expectNamesOneOf(strict, rejects);
    await expectFailed(tight, dir, 'persons.csv:6:3: GI_TOO_MANY_BAD_ROWS', 'tight.db');
  });
});

describe('re-importing the rejected rows', () => {
  it('fixed rows from <rejects>.rows/, imported beside the original files, complete the graph (node and relationship files)', async () => {
    const pHeader = 'id:ID,name,age:int,tags:string[]';
    const kHeader = ':START_ID,:END_ID,w:int,note';
    const pClean = Array.from({ length: 12 }, (_, i) => (i === 7 ? '8,"P\n8",28,t8;u8' : `${i + 1},P${i + 1},${21 + i},t${i + 1};u${i + 1}`));
    pClean.splice(9, 0, '13,Dup,99,d');
    // Relationships avoid nodes 3 and 6, whose rows are rejected: a relationship to them would be rejected too,
    // and then imported twice (from the original file and from the rows file) once the nodes are fixed.
    const ends = [1, 2, 4, 5, 7, 8, 9, 10, 11, 12];
    const kClean = Array.from({ length: 15 }, (_, i) => `${ends[i % 10]},${ends[(i * 3 + 1) % 10]},${i + 1},${i === 8 ? '"multi\nnote"' : `n${i + 1}`}`);
    const pFixes = new Map([['3,P3,x,t3;u3', pClean[2]], ['6,P6,26', pClean[5]], ['4,Dup,99,d', '13,Dup,99,d']]);
    const kFixes = new Map([
      [`${kClean[1].split(',').slice(0, 2).join(',')},zz,n2`, kClean[1]],
      [`${ends[4]},99,5,n5`, kClean[4]],
      [`${kClean[8].split(',').slice(0, 2).join(',')},bad,"multi\nnote"`, kClean[8]],
      [kClean[14].split(',').slice(0, 2).join(','), kClean[14]],
    ]);
    const dirty = (rows: string[], fixes: Map<string, string>): string[] => {
      const back = new Map([...fixes].map(([bad, good]) => [good, bad]));
      return rows.map((r) => back.get(r) ?? r);
    };
    const pDirty = dirty(pClean, pFixes);
    const kDirty = dirty(kClean, kFixes);
    expect(pDirty.filter((r, i) => r !== pClean[i])).toHaveLength(3);
    expect(kDirty.filter((r, i) => r !== kClean[i])).toHaveLength(4);

    const dir = await fixture({ 'persons.csv': csv(pHeader, pDirty), 'knows.csv': csv(kHeader, kDirty) });
    const flags = ['--skip-duplicate-nodes', '--skip-bad-relationships', '--max-bad-rows', '10', '--threads', '2', '--batch-size', '3'];
    const [first, clean] = await Promise.all([
      gi(dir, ['persons.csv', 'knows.csv', '--into', 'g.db', ...flags, '--rejects', 'rej.ndjson', '--json']),
      cleanGraph({ 'persons.csv': csv(pHeader, pClean), 'knows.csv': csv(kHeader, kClean) }, ['persons.csv', 'knows.csv']),
    ]);
    expect(first.status, first.stderr).toBe(4);
    expect(summaryOf(first).skipped.rows).toBe(7);
    await expectRowsFiles(dir, 'rej.ndjson', {
      'persons.csv': { header: pHeader, raws: [...pFixes.keys()] },
      'knows.csv': { header: kHeader, raws: [...kFixes.keys()] },
    });

    for (const [name, fixes] of [['persons.csv', pFixes], ['knows.csv', kFixes]] as const) {
      const path = join(dir, 'rej.ndjson.rows', name);
      let text = await readFile(path, 'utf8');
      for (const [bad, good] of fixes) {
        // Whole rows only: a short row's text is also the start of other rows.
        const fixed = text.replace(`\n${bad}\n`, `\n${good}\n`);
        expect(fixed, bad).not.toBe(text);
        text = fixed;
      }
      await writeFile(path, text);
    }
    // The original files still hold the bad rows: the same flags skip them again.
    const second = await gi(dir, ['persons.csv', 'knows.csv', 'rej.ndjson.rows/persons.csv', 'rej.ndjson.rows/knows.csv', '--into', 'g2.db', ...flags, '--json']);
    expect(second.status, second.stderr).toBe(4);
    const s = summaryOf(second);
    expect(s.skipped.byFile).toEqual(summaryOf(first).skipped.byFile);
    expect(s.nodeTables.map((t) => t.label)).toEqual(['persons']);
    expect(s.relationshipTables.map((t) => t.type)).toEqual(['knows']);
    expect([s.nodes, s.relationships]).toEqual([13, 15]);

    expect(await dumpGraph(join(dir, 'g2.db'))).toEqual(clean);
    // ...and the first import alone is not the whole graph.
    expect(await dumpGraph(join(dir, 'g.db'))).not.toEqual(clean);
  });
});

describe('exceeding the tolerance', () => {
  /** A store at `db` holding a small clean graph, and a snapshot of its files. */
  async function oldStore(dir: string, db: string) {
    await writeFile(join(dir, 'old.csv'), csv('id:ID,name', ['100,old', '101,older']));
    const run = await gi(dir, ['old.csv', '--into', db]);
    expect(run.status, run.stderr).toBe(0);
    return { tree: await snapshotTree(join(dir, db)), manifest: await readFile(join(dir, db, 'manifest.json')), nodes: await readFile(join(dir, db, 'nodes/0.arrow')) };
  }

  /** The store at `db` is byte-identical to `old`, and no temporary or set-aside sibling remains. */
  async function expectUntouched(dir: string, db: string, old: Awaited<ReturnType<typeof oldStore>>): Promise<void> {
    expect(snapshotDifferences(old.tree, await snapshotTree(join(dir, db)))).toEqual([]);
    expect((await readFile(join(dir, db, 'manifest.json'))).equals(old.manifest)).toBe(true);
    expect((await readFile(join(dir, db, 'nodes/0.arrow'))).equals(old.nodes)).toBe(true);
    expect(await strayEntries(dir, db)).toEqual([]);
  }

  it('--max-bad-rows 1 with 2 bad node rows: GI_TOO_MANY_BAD_ROWS names the first; no store, an old store stays as it was', async () => {
    const dir = await fixture({
      'persons.csv': csv('id:ID,name,age:int', ['1,a,10', '2,b,x', '3,c,30', '4,d', '5,e,50']),
      'knows.csv': csv(':START_ID,:END_ID', ['1,3', '3,5']),
    });
    const [fresh, enough, old] = await Promise.all([
      gi(dir, ['persons.csv', 'knows.csv', '--into', 'g.db', '--max-bad-rows', '1']),
      // The limit is inclusive: as many bad rows as it allows are skipped.
      gi(dir, ['persons.csv', 'knows.csv', '--into', 'ok.db', '--max-bad-rows', '2']),
      oldStore(dir, 'old.db'),
    ]);
    await expectFailed(fresh, dir, 'GI_TOO_MANY_BAD_ROWS');
    expect(fresh.stderr).toMatch(/persons\.csv:3:3: GI_TOO_MANY_BAD_ROWS: 2 bad rows, more than --max-bad-rows 1\b/);
    expect(enough.status, enough.stderr).toBe(4);

    const over = await gi(dir, ['persons.csv', 'knows.csv', '--into', 'old.db', '--overwrite', '--max-bad-rows', '1', '--skip-duplicate-nodes']);
    expect(over.status, over.stderr).toBe(1);
    expect(over.stderr).toContain('persons.csv:3:3: GI_TOO_MANY_BAD_ROWS');
    await expectUntouched(dir, 'old.db', old);
  });

  it('--max-bad-rows 10% with 30% bad rows fails the same way', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ([1, 3, 6].includes(i) ? `${i + 1},n${i + 1},bad` : `${i + 1},n${i + 1},${i}`));
    const dir = await fixture({ 'm.csv': csv('id:ID,name,age:int', rows) });
    const [fresh, enough, old] = await Promise.all([
      gi(dir, ['m.csv', '--into', 'g.db', '--max-bad-rows', '10%']),
      gi(dir, ['m.csv', '--into', 'ok.db', '--max-bad-rows', '30%']),
      oldStore(dir, 'old.db'),
    ]);
    await expectFailed(fresh, dir, 'm.csv:3:3: GI_TOO_MANY_BAD_ROWS');
    expect(fresh.stderr).toMatch(/\b3 bad rows\b/);
    expect(fresh.stderr).toContain('10%');
    expect(enough.status, enough.stderr).toBe(4);

    const over = await gi(dir, ['m.csv', '--into', 'old.db', '--overwrite', '--max-bad-rows', '10%', '--json']);
    expect(over.status, over.stderr).toBe(1);
    expect(over.stdout).toBe('');
    expect(over.stderr).toContain('m.csv:3:3: GI_TOO_MANY_BAD_ROWS');
    await expectUntouched(dir, 'old.db', old);
  });

  it('bad rows in a relationship file read by 2 workers in tiny ranges: the first bad row in file order is named', async () => {
    const nodes = csv('id:ID', Array.from({ length: 50 }, (_, i) => String(i + 1)));
    /** 200 relationship rows with multi-line notes; `bad` row indexes get a non-int weight. Returns the text and their lines. */
    const rels = (bad: number[]): { text: string; lines: number[] } => {
      let text = ':START_ID,:END_ID,w:int,note\n';
      const lines: number[] = [];
      for (let i = 0; i < 200; i++) {
        const note = i % 11 === 0 ? '"multi\nline"' : 'x';
        if (bad.includes(i)) lines.push(text.split('\n').length);
        text += `${(i % 50) + 1},${((i * 7) % 50) + 1},${bad.includes(i) ? `w${i}` : i},${note}\n`;
      }
      return { text, lines };
    };
    const spread = rels([100, 170, 171]);
    const adjacent = rels([120, 121]);
    const dir = await fixture({ 'nodes.csv': nodes, 'spread.csv': spread.text, 'adjacent.csv': adjacent.text });
    const old = await oldStore(dir, 'old.db');
    for (const [file, lines, batch] of [['spread.csv', spread.lines, '3'], ['adjacent.csv', adjacent.lines, '5']] as const) {
      {
        const run = await gi(dir, ['nodes.csv', file, '--into', 'old.db', '--overwrite', '--max-bad-rows', '1', '--skip-bad-relationships', '--threads', '2', '--batch-size', batch]);
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr).toContain(`${file}:${lines[0]}:3: GI_TOO_MANY_BAD_ROWS`);
        expect(run.stderr).toContain(`the first: ${file}:${lines[0]}:3: GI_TYPE_CAST`);
        await expectUntouched(dir, 'old.db', old);
      }
    }
    const pct = await gi(dir, ['nodes.csv', 'spread.csv', '--into', 'old.db', '--overwrite', '--max-bad-rows', '1%', '--threads', '2', '--batch-size', '5']);
    expect(pct.status, pct.stderr).toBe(1);
    expect(pct.stderr).toContain(`spread.csv:${spread.lines[0]}:3: GI_TOO_MANY_BAD_ROWS`);
    await expectUntouched(dir, 'old.db', old);
  });
});

describe('a larger relationship file in parallel', () => {
  type Kind = 'start' | 'end' | 'both' | 'int' | 'short' | 'extra' | 'startMulti' | 'endMulti' | 'intMulti';
  const N = 2_000;
  const M = 20_000;
  const CYCLE: Kind[] = ['end', 'int', 'short', 'startMulti', 'endMulti', 'extra', 'intMulti', 'both', 'start'];

  /** 20,000 relationship rows (some with quoted multi-line notes), bad rows injected at known places. */
  function generate() {
    let state = 7;
    const rand = (): number => {
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      return state / 4294967296;
    };
    const node = (): number => 1 + Math.floor(rand() * N);
    const inject = new Map<number, Kind>([[0, 'start'], [1, 'int'], [2, 'intMulti'], [M - 2, 'short'], [M - 1, 'intMulti']]);
    for (let i = 150, k = 0; i < M - 2; i += 331, k++) inject.set(i, CYCLE[k % CYCLE.length]);
    const header = ':START_ID,:END_ID,w:int,note';
    const parts = [`${header}\n`];
    const clean = [`${header}\n`];
    const expected: Expected[] = [];
    let line = 2;
    for (let i = 0; i < M; i++) {
      const a = node();
      const b = node();
      const gone = N + 100 + i;
      const kind = inject.get(i);
      let row: string;
      let code = 'GI_ENDPOINT_NOT_FOUND';
      let column = 1;
      switch (kind) {
        case undefined: row = `${a},${b},${i},${i % 37 === 0 ? `"line ${i}\nnext, ""quoted"""` : `n${i}`}`; break;
        case 'start': row = `${gone},${b},${i},n${i}`; break;
        case 'end': row = `${a},${gone},${i},n${i}`; column = 2; break;
        case 'both': row = `${gone},${gone + 1},${i},n${i}`; break;
        case 'startMulti': row = `${gone},${b},${i},"bad\nrow ${i}"`; break;
        case 'endMulti': row = `${a},${gone},${i},"bad\r\nrow ${i}"`; column = 2; break;
        case 'int': row = `${a},${b},w${i},n${i}`; code = 'GI_TYPE_CAST'; column = 3; break;
        case 'intMulti': row = `${a},${b},w${i},"bad\nrow\n${i}"`; code = 'GI_TYPE_CAST'; column = 3; break;
        case 'short': row = `${a},${b}`; code = 'GI_FIELD_COUNT'; column = 2; break;
        case 'extra': row = `${a},${b},${i},n${i},x`; code = 'GI_FIELD_COUNT'; column = 5; break;
      }
      // The last row has no line end: the report must still hold it whole.
      const text = i === M - 1 ? row : `${row}\n`;
      parts.push(text);
      if (kind === undefined) clean.push(text);
      else expected.push({ file: 'rels.csv', line, code, column, raw: row });
      line += text.split('\n').length - 1;
    }
    const nodes = csv('id:ID,name', Array.from({ length: N }, (_, i) => `${i + 1},n${i + 1}`));
    return { nodes, rels: parts.join(''), clean: clean.join(''), expected, header };
  }

  it('2 workers, 97-row ranges: the rejects list exactly the injected rows in file order; same report and graph as one thread', async () => {
    const g = generate();
    expect(g.expected.length).toBeGreaterThan(60);
    const dir = await fixture({ 'nodes.csv': g.nodes, 'rels.csv': g.rels, 'clean/nodes.csv': g.nodes, 'clean/rels.csv': g.clean });
    const common = ['nodes.csv', 'rels.csv', '--skip-bad-relationships', '--max-bad-rows', '1000', '--json'];
    const [par, one, clean] = await Promise.all([
      gi(dir, [...common, '--into', 'par.db', '--threads', '2', '--batch-size', '97', '--rejects', 'par.ndjson']),
      gi(dir, [...common, '--into', 'one.db', '--threads', '1', '--batch-size', '100000', '--rejects', 'one.ndjson']),
      gi(join(dir, 'clean'), ['nodes.csv', 'rels.csv', '--into', 'g.db', '--threads', '2', '--batch-size', '97']),
    ]);
    expect(par.status, par.stderr).toBe(4);
    expect(one.status, one.stderr).toBe(4);
    expect(clean.status, clean.stderr).toBe(0);
    const ps = summaryOf(par);
    expect(ps.engine.threads).toBe(2);
    expect(ps.engine.ranges).toBeGreaterThan(100);
    expect(ps.relationships).toBe(M - g.expected.length);
    const byReason: Record<string, number> = {};
    for (const e of g.expected) byReason[e.code] = (byReason[e.code] ?? 0) + 1;
    expect(ps.skipped).toEqual({ rows: g.expected.length, byReason, byFile: { 'rels.csv': byReason } });
    expect(summaryOf(one).skipped).toEqual(ps.skipped);
    expect(summaryOf(one).relationships).toBe(ps.relationships);

    await expectRejects(dir, 'par.ndjson', g.expected);
    expect(await readFile(join(dir, 'par.ndjson'), 'utf8')).toBe(await readFile(join(dir, 'one.ndjson'), 'utf8'));
    await expectRowsFiles(dir, 'par.ndjson', { 'rels.csv': { header: g.header, raws: g.expected.map((e) => e.raw) } });
    expect(await readFile(join(dir, 'par.ndjson.rows/rels.csv'), 'utf8')).toBe(await readFile(join(dir, 'one.ndjson.rows/rels.csv'), 'utf8'));

    const graph = await dumpGraph(join(dir, 'par.db'));
    expect(graph.edges['rels:nodes->nodes']).toHaveLength(M - g.expected.length);
    expect(await dumpGraph(join(dir, 'one.db'))).toEqual(graph);
    expect(await dumpGraph(join(dir, 'clean/g.db'))).toEqual(graph);
  });
});

describe('defaults: the first bad row fails the import', () => {
  it('each kind of bad row fails with exit 1, its code and its exact file:line:column; nothing is written', async () => {
    const header = 'id:ID,name,age:int';
    const rels = ':START_ID,:END_ID,note,w:int\n1,2,"a\nb",1\n2,1,x,2\n1,"2",y,3\n2,1,"c\nd",4\n2,7,z,5\n1,2,zz,oops\n';
    const dir = await fixture({
      'cast.csv': csv(header, ['1,a,10', '2,b,x', '3,c,y']),
      'noid.csv': csv(header, ['1,a,10', ',b,20']),
      'dup.csv': csv(header, ['1,a,10', '2,b,20', '1,c,30']),
      'short.csv': csv(header, ['1,a,10', '2,b', '3,c']),
      'long.csv': csv(header, ['1,"a\nb",10', '2,b,20,extra']),
      'nodes.csv': csv('id:ID', ['1', '2']),
      'rels.csv': rels,
      'relcast.csv': ':START_ID,:END_ID,note,w:int\n1,2,"a\nb",1\n2,1,"c\nd",zz\n',
      'quote.csv': csv(header, ['1,"a\nb",10', '2,"b,20']),
    });
    const cases: [string[], string][] = [
      [['cast.csv'], 'cast.csv:3:3: GI_TYPE_CAST'],
      [['noid.csv'], 'noid.csv:3:1: GI_MISSING_NODE_ID'],
      [['dup.csv'], 'dup.csv:4:1: GI_DUPLICATE_NODE_ID'],
      [['short.csv'], 'short.csv:3:2: GI_FIELD_COUNT'],
      [['long.csv'], 'long.csv:4:4: GI_FIELD_COUNT'],
      [['nodes.csv', 'rels.csv', '--threads', '2', '--batch-size', '1'], 'rels.csv:8:2: GI_ENDPOINT_NOT_FOUND'],
      [['nodes.csv', 'relcast.csv', '--threads', '2', '--batch-size', '1'], 'relcast.csv:4:4: GI_TYPE_CAST'],
    ];
    const runs = await Promise.all(cases.map(([args], i) => gi(dir, [...args, '--into', `g${i}.db`])));
    for (const [i, run] of runs.entries()) await expectFailed(run, dir, cases[i][1], `g${i}.db`);

    // Quote errors stay fatal whatever the flags.
    const quote = await gi(dir, ['quote.csv', '--into', 'q.db', '--max-bad-rows', '100', '--skip-duplicate-nodes', '--skip-bad-relationships', '--ignore-extra-columns']);
    await expectFailed(quote, dir, 'GI_UNTERMINATED_QUOTE', 'q.db');
  });
  it('int node IDs are not taken from a long property parsed after them, strict or tolerant', async () => {
    const dir = await fixture({ 'p.csv': csv('id:ID,big:long', ['1,100', '2,200']), 'k.csv': csv(':START_ID,:END_ID', ['1,2']) });
    const [plain, tolerant] = await Promise.all([
      gi(dir, ['p.csv', 'k.csv', '--into', 'plain.db']),
      gi(dir, ['p.csv', 'k.csv', '--into', 'tolerant.db', '--max-bad-rows', '5']),
    ]);
    const expected = {
      nodes: { p: ['{"_id":"1n","big":"100n"}', '{"_id":"2n","big":"200n"}'] },
      edges: { 'k:p->p': ['["1","2",{}]'] },
    };
    expect(plain.status, plain.stderr).toBe(0);
    expect(await dumpGraph(join(dir, 'plain.db'))).toEqual(expected);
    expect(tolerant.status, tolerant.stderr).toBe(0);
    expect(await dumpGraph(join(dir, 'tolerant.db'))).toEqual(expected);
  });
});

// Bugs found while writing this file, fixed since; the one it.fails left is a known limitation (the sniff checks
// field counts before values are loaded): it turns red once fixed, and must then become an it.
describe('bugs found by these tests', () => {
  it('strict: a bad value is reported before a later row with too few fields (the sniff reports the short row first)', async () => {
    const dir = await fixture({ 'persons.csv': csv('id:ID,name,age:int', ['1,a,10', '2,b,x', '3,c']) });
    const run = await gi(dir, ['persons.csv', '--into', 'g.db']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('persons.csv:3:3: GI_TYPE_CAST');
  });

  it('--ignore-extra-columns alone applies to relationship files too', async () => {
    const dir = await fixture({
      'persons.csv': csv('id:ID,name', ['1,Ann', '2,Bob']),
      'knows.csv': csv(':START_ID,:END_ID,w:int', ['1,2,5', '2,1,6,extra']),
    });
    const run = await gi(dir, ['persons.csv', 'knows.csv', '--into', 'g.db', '--ignore-extra-columns', '--threads', '2', '--batch-size', '1']);
    expect(run.stderr).not.toContain('GI_FIELD_COUNT');
    expect(run.status).toBe(0);
  });

  it('a rejects report never holds rows of an earlier run', async () => {
    const dir = await fixture({
      'a.csv': csv('id:ID,age:int', ['1,10', '2,x']),
      'b.csv': csv('id:ID,age:int', ['3,30', '4,y']),
      'c.csv': csv('id:ID,age:int', ['5,50', '6,z']),
      'clean.csv': csv('id:ID,age:int', ['7,70']),
    });
    const first = await gi(dir, ['a.csv', 'b.csv', '--into', 'g1.db', '--max-bad-rows', '5', '--rejects', 'rej.ndjson']);
    expect(first.status, first.stderr).toBe(4);
    const second = await gi(dir, ['c.csv', '--into', 'g2.db', '--max-bad-rows', '5', '--rejects', 'rej.ndjson']);
    expect(second.status, second.stderr).toBe(4);
    // Importing every file of the rows directory must not bring back a.csv's and b.csv's rows.
    expect(await readdir(join(dir, 'rej.ndjson.rows'))).toEqual(['c.csv']);
    const third = await gi(dir, ['clean.csv', '--into', 'g3.db', '--max-bad-rows', '5', '--rejects', 'rej.ndjson', '--json']);
    expect(third.status, third.stderr).toBe(0);
    await expectNoRejects(dir, 'rej.ndjson');
  });

  it('input files with the same basename get rows files that still feed their table', async () => {
    const dir = await fixture({ 'a/p.csv': csv('id:ID,age:int', ['1,10', '2,x']), 'b/p.csv': csv('id:ID,age:int', ['3,30', '4,y']) });
    const run = await gi(dir, ['a/p.csv', 'b/p.csv', '--into', 'g.db', '--max-bad-rows', '5', '--rejects', 'rej.ndjson']);
    expect(run.status, run.stderr).toBe(4);
    const rowsFiles = (await readdir(join(dir, 'rej.ndjson.rows'), { recursive: true })).filter((f) => f.endsWith('.csv')).map((f) => join('rej.ndjson.rows', f));
    expect(rowsFiles).toHaveLength(2);
    for (const f of rowsFiles) await writeFile(join(dir, f), (await readFile(join(dir, f), 'utf8')).replace(',x\n', ',20\n').replace(',y\n', ',40\n'));
    const again = await gi(dir, ['a/p.csv', 'b/p.csv', ...rowsFiles, '--into', 'g2.db', '--max-bad-rows', '5', '--json']);
    expect(again.status, again.stderr).toBe(4);
    expect(summaryOf(again).nodeTables.map((t) => [t.label, t.count])).toEqual([['p', 4]]);
  });

  it('a node table whose every row is skipped can still be written when it has a list column (labels, string[])', async () => {
    // A zero-row list column fails in Arrow's writer (GI_INTERNAL, exit 70); a header-only file always did, but
    // skipping makes it easy to reach: here the table Robot only ever gets a duplicate.
    const dir = await fixture({ 'things.csv': csv('id:ID,:LABEL,tags:string[]', ['1,Person,a;b', '1,Robot,c']) });
    const run = await gi(dir, ['things.csv', '--into', 'g.db', '--skip-duplicate-nodes', '--json']);
    expect(run.stderr).not.toContain('GI_INTERNAL');
    expect(run.status).toBe(4);
  });

  it('a node table\'s skipped counts include field-count rows of a file that feeds only that table', async () => {
    const dir = await fixture({ 'persons.csv': csv('id:ID,name,age:int', ['1,a,10', '2,b,x', '3,c']) });
    const run = await gi(dir, ['persons.csv', '--into', 'g.db', '--max-bad-rows', '5', '--json']);
    expect(run.status, run.stderr).toBe(4);
    const s = summaryOf(run);
    expect(s.skipped.byFile['persons.csv']).toEqual({ GI_TYPE_CAST: 1, GI_FIELD_COUNT: 1 });
    expect(nodeTable(s, 'persons').skipped).toEqual(s.skipped.byFile['persons.csv']);
  });
});
