import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freshStores, generateGraph, runCli, strayEntries } from './helpers/child.js';

// What the CLI prints (stdout summary, stderr progress, exit status) checked through real child processes of the
// built CLI: run `npm run build` first.

const PHASES = ['sniff', 'nodes', 'relationships', 'csr', 'commit'];

let work: string;
// medium: 2,000 nodes / 20,000 edges; small: 100 nodes / 300 edges (small enough for --batch-size 7).
const medium = { nodes: '', edges: '' };
const small = { nodes: '', edges: '' };
let validateSummary: ValidateFunction;
let validateEvent: ValidateFunction;

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-output-'));
  await Promise.all([generateGraph(join(work, 'medium'), 2_000, 20_000, 5), generateGraph(join(work, 'small'), 100, 300, 9)]);
  Object.assign(medium, { nodes: join(work, 'medium/nodes.csv'), edges: join(work, 'medium/edges.csv') });
  Object.assign(small, { nodes: join(work, 'small/nodes.csv'), edges: join(work, 'small/edges.csv') });
  const ajv = new Ajv({ allErrors: true });
  ajv.addSchema(JSON.parse(await readFile(join(ROOT, 'docs/summary.schema.json'), 'utf8')));
  validateSummary = ajv.getSchema('https://graph-import.dev/schemas/summary.schema.json')!;
  validateEvent = ajv.compile(JSON.parse(await readFile(join(ROOT, 'docs/progress-events.schema.json'), 'utf8')));
}, 60_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A fresh, empty parent directory and a store path `g.db` in it. */
const freshStore = freshStores(() => work);


/** The environment of this process without CI (and without anything that would make stderr look like a terminal). */
function envWithoutCi(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  return env;
}

/** stdout of a --json run: exactly one line holding one JSON object. */
function oneJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n');
  expect(lines, stdout).toHaveLength(2);
  expect(lines[1]).toBe('');
  const parsed = JSON.parse(lines[0]) as unknown;
  expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), lines[0]).toBe(true);
  return parsed as Record<string, unknown>;
}

interface Summary {
  store: string;
  nodeTables: { label: string; count: number; properties: { name: string; type: string }[] }[];
  relationshipTables: { type: string; from: string; to: string; count: number; properties: { name: string; type: string }[] }[];
  nodes: number;
  relationships: number;
  engine: { path: string; threads: number; ranges: number };
}

/** The counts a summary (or info) reports, in a shape both share. */
function counts(s: Summary) {
  return {
    nodeTables: s.nodeTables.map((t) => ({ label: t.label, count: t.count, properties: t.properties })),
    relationshipTables: s.relationshipTables.map((t) => ({ type: t.type, from: t.from, to: t.to, count: t.count, properties: t.properties })),
    nodes: s.nodes,
    relationships: s.relationships,
  };
}

function expectValidSummary(value: unknown): Summary {
  expect(validateSummary(value), JSON.stringify(validateSummary.errors)).toBe(true);
  return value as Summary;
}

type Event = { v: number; t: string; type: string; phase?: string; rows?: number; bytes?: number; batches?: number; elapsedMs?: number; result?: unknown; [k: string]: unknown };

/** Parses NDJSON and validates every line against the events schema. */
function parseEvents(text: string): Event[] {
  expect(text.endsWith('\n'), 'NDJSON ends with a newline').toBe(true);
  const lines = text.slice(0, -1).split('\n');
  return lines.map((line, i) => {
    const e = JSON.parse(line) as Event;
    expect(validateEvent(e), `line ${i + 1}: ${line.slice(0, 200)}\n${JSON.stringify(validateEvent.errors)}`).toBe(true);
    return e;
  });
}

/**
 * Checks the event sequence: sniff, plan, then nodes, relationships, csr, commit each as phase-start, its progress
 * events, phase-end; `end` last. Within a phase rows, bytes and elapsedMs never go down and batches count 1, 2, 3...
 * Returns the progress events per phase and the phase-end events.
 */
function checkSequence(events: Event[]): { progress: Map<string, Event[]>; ends: Map<string, Event> } {
  const progress = new Map<string, Event[]>(PHASES.map((p) => [p, []]));
  const ends = new Map<string, Event>();
  const skeleton: string[] = [];
  let open: string | undefined;
  for (const e of events) {
    if (e.type === 'phase-start') {
      expect(open, `phase ${e.phase} starts while ${open} is open`).toBeUndefined();
      open = e.phase;
      skeleton.push(`start ${e.phase}`);
    } else if (e.type === 'phase-end') {
      expect(open).toBe(e.phase);
      open = undefined;
      ends.set(e.phase!, e);
      skeleton.push(`end ${e.phase}`);
    } else if (e.type === 'progress') {
      expect(open, `progress of ${e.phase} outside its phase`).toBe(e.phase);
      const list = progress.get(e.phase!)!;
      const prev = list.at(-1);
      expect(e.batches).toBe(list.length + 1);
      if (prev !== undefined) {
        expect(e.rows!).toBeGreaterThanOrEqual(prev.rows!);
        expect(e.bytes!).toBeGreaterThanOrEqual(prev.bytes!);
        expect(e.elapsedMs!).toBeGreaterThanOrEqual(prev.elapsedMs!);
      }
      list.push(e);
    } else if (e.type === 'plan' || e.type === 'end') {
      skeleton.push(e.type);
    }
    // Warnings may come anywhere; none are expected for these inputs, and the schema has checked their shape.
  }
  expect(skeleton).toEqual([
    'start sniff', 'end sniff', 'plan',
    'start nodes', 'end nodes', 'start relationships', 'end relationships', 'start csr', 'end csr', 'start commit', 'end commit',
    'end',
  ]);
  expect(events.at(-1)!.type).toBe('end');
  expect(events.filter((e) => e.type === 'warning')).toEqual([]);
  for (const phase of ['nodes', 'relationships', 'csr']) {
    const list = progress.get(phase)!;
    expect(list.length, `progress events of ${phase}`).toBeGreaterThan(0);
    expect(list.at(-1)!.rows, `last ${phase} progress rows vs phase-end`).toBe(ends.get(phase)!.rows);
  }
  for (const phase of ['nodes', 'relationships']) expect(progress.get(phase)!.at(-1)!.bytes).toBe(ends.get(phase)!.bytes);
  return { progress, ends };
}

/** Data rows of a CSV without quoted line ends, and the offsets where they start (after the one header line). */
function rowStarts(csv: Buffer): { dataStart: number; starts: number[] } {
  const dataStart = csv.indexOf(10) + 1;
  const starts: number[] = [];
  for (let at = dataStart; at < csv.length;) {
    starts.push(at);
    const lineEnd = csv.indexOf(10, at);
    if (lineEnd < 0) break;
    at = lineEnd + 1;
  }
  return { dataStart, starts };
}

describe('--json summary', () => {
  it('--json summary counts equal info --json counts', async () => {
    const { parent, db } = await freshStore();
    const run = await runCli([medium.nodes, medium.edges, '--into', db, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = expectValidSummary(oneJsonLine(run.stdout));
    expect(summary.store).toBe(db);
    expect(summary.nodes).toBe(2_000);
    expect(summary.relationships).toBe(20_000);
    expect(summary.nodeTables.reduce((n, t) => n + t.count, 0)).toBe(summary.nodes);
    expect(summary.relationshipTables.reduce((n, t) => n + t.count, 0)).toBe(summary.relationships);

    const info = await runCli(['info', db, '--json']);
    expect(info.stderr).toBe('');
    expect(info.status).toBe(0);
    const stored = JSON.parse(info.stdout) as Summary;
    expect(counts(stored)).toEqual(counts(summary));
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });
});

describe('NDJSON progress events', () => {
  it('--progress json on stderr: every line fits the schema, phases are well-formed, end.result is the --json summary', async () => {
    const { db } = await freshStore();
    // Many ranges over two worker threads: progress comes from both, interleaved.
    const run = await runCli([medium.nodes, medium.edges, '--into', db, '--json', '--progress', 'json', '--batch-size', '500', '--threads', '2']);
    expect(run.status, run.stderr).toBe(0);
    const summary = expectValidSummary(oneJsonLine(run.stdout));
    const events = parseEvents(run.stderr);
    const { progress, ends } = checkSequence(events);
    expect(events.every((e) => e.v === 1)).toBe(true);
    expect(ends.get('nodes')!.rows).toBe(2_000);
    expect(ends.get('relationships')!.rows).toBe(20_000);
    expect(ends.get('csr')!.rows).toBe(20_000);
    expect(progress.get('nodes')!.length).toBe(Math.ceil(2_000 / 500));
    expect(summary.engine.threads).toBe(2);
    expect(summary.engine.ranges).toBeGreaterThan(2);
    // Input bytes: the phases read the whole data part of each file (the header line excluded).
    const nodeCsv = await readFile(medium.nodes);
    const edgeCsv = await readFile(medium.edges);
    expect(ends.get('nodes')!.bytes).toBe(nodeCsv.length - (nodeCsv.indexOf(10) + 1));
    expect(ends.get('relationships')!.bytes).toBe(edgeCsv.length - (edgeCsv.indexOf(10) + 1));
    const end = events.at(-1)!;
    expect(end.result).toEqual(summary);
    // The validators can say no: a bad batch count, and an end event whose result is not a summary (the $ref resolves).
    expect(validateEvent({ ...progress.get('nodes')![0], batches: 0 })).toBe(false);
    expect(validateEvent({ ...end, result: { ...summary, engine: undefined } })).toBe(false);
  });

  it('--progress-file with --batch-size 7 --threads 1: one progress event per batch, file fits the schema, stderr empty', async () => {
    const { parent, db } = await freshStore();
    const file = join(parent, 'progress.ndjson');
    const run = await runCli([small.nodes, small.edges, '--into', db, '--json', '--progress-file', file, '--batch-size', '7', '--threads', '1']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = expectValidSummary(oneJsonLine(run.stdout));
    const events = parseEvents(await readFile(file, 'utf8'));
    const { progress, ends } = checkSequence(events);
    expect(counts(events.at(-1)!.result as Summary)).toEqual(counts(summary));
    expect(events.at(-1)!.result).toEqual(summary);

    const nodeRows = ends.get('nodes')!.rows!;
    const edgeRows = ends.get('relationships')!.rows!;
    expect(nodeRows).toBe(100);
    expect(edgeRows).toBe(300);
    expect(progress.get('nodes')!.length).toBe(Math.ceil(nodeRows / 7));
    // Every event is one batch: at most 7 rows, at least one.
    for (const phase of ['nodes', 'relationships']) {
      let before = 0;
      for (const e of progress.get(phase)!) {
        expect(e.rows! - before).toBeGreaterThanOrEqual(1);
        expect(e.rows! - before).toBeLessThanOrEqual(7);
        before = e.rows!;
      }
    }
    // The relationship file is NOT read as one range: ranges are ~--batch-size rows of bytes (README, "How an import
    // runs", step 3), and a range holding 8 row starts takes two batches. So the count is the sum over ranges of
    // ceil(rows in range / 7), not ceil(300 / 7) = 43. Ranges are recomputed here from the bytes: range k holds the rows
    // starting in [dataStart + k * R, dataStart + (k + 1) * R), R = round(7 x average data bytes per row).
    const csv = await readFile(small.edges);
    const { dataStart, starts } = rowStarts(csv);
    expect(starts).toHaveLength(edgeRows);
    const rangeBytes = Math.round(7 * ((csv.length - dataStart) / edgeRows));
    const perRange = new Map<number, number>();
    for (const s of starts) {
      const k = Math.floor((s - dataStart) / rangeBytes);
      perRange.set(k, (perRange.get(k) ?? 0) + 1);
    }
    expect(summary.engine.ranges).toBe(Math.ceil((csv.length - dataStart) / rangeBytes));
    const expectedBatches = [...perRange.values()].reduce((n, rows) => n + Math.ceil(rows / 7), 0);
    expect(expectedBatches).toBeGreaterThan(Math.ceil(edgeRows / 7));
    expect(progress.get('relationships')!.length).toBe(expectedBatches);
  });
});

describe('reporter selection', () => {
  it('picks plain lines, nothing, JSON only, or the human summary from the flags and the environment', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => freshStore()));
    const base = (i: number) => [small.nodes, small.edges, '--into', stores[i].db];
    const [ci, quiet, json, none, plainNoCi, autoNoCi] = await Promise.all([
      runCli(base(0)),
      runCli([...base(1), '--quiet']),
      runCli([...base(2), '--json']),
      runCli([...base(3), '--progress', 'none']),
      runCli([...base(4), '--progress', 'plain'], { env: envWithoutCi() }),
      runCli(base(5), { env: envWithoutCi() }),
    ]);
    const plainDone = (phase: string) => new RegExp(`^\\[\\d{2}:\\d{2}:\\d{2} \\+\\d+\\.\\d+s\\] ${phase} done: [\\d,]+ rows in \\d+\\.\\d{2} s, peak RSS \\d+\\.\\d MB$`, 'm');

    // CI=1, no flags: plain phase lines on stderr, no bar; the human summary on stdout.
    expect(ci.status, ci.stderr).toBe(0);
    for (const phase of PHASES) expect(ci.stderr).toMatch(plainDone(phase));
    expect(ci.stderr).toMatch(/^\[[\d:]+ \+[\d.]+s\] plan: 2 file\(s\), /m);
    expect(ci.stderr).not.toContain('|█');
    expect(ci.stderr).not.toContain('\x1b[');
    expect(ci.stdout).toMatch(/^Imported 100 nodes and 300 relationships into /);

    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');

    expect(json.status).toBe(0);
    expect(json.stderr).toBe('');
    expect(expectValidSummary(oneJsonLine(json.stdout)).relationships).toBe(300);

    expect(none.status).toBe(0);
    expect(none.stderr).toBe('');
    expect(none.stdout).toMatch(/^Imported 100 nodes and 300 relationships into /);

    // Without CI, stderr a pipe (not a terminal): plain lines, whether asked for or chosen by auto.
    for (const run of [plainNoCi, autoNoCi]) {
      expect(run.status, run.stderr).toBe(0);
      for (const phase of PHASES) expect(run.stderr).toMatch(plainDone(phase));
      expect(run.stderr).not.toContain('|█');
      expect(run.stdout).toMatch(/^Imported 100 nodes and 300 relationships into /);
    }
    for (const s of stores) expect(await readdir(s.parent)).toEqual(['g.db']);
  });
});

describe('exit status of real runs', () => {
  /** The parent of a failed import holds nothing: no store, no temporary or set-aside sibling. */
  async function expectNothingWritten(parent: string, db: string): Promise<void> {
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
    expect(await readdir(parent)).toEqual([]);
  }

  it('0 for a good import', async () => {
    const { parent, db } = await freshStore();
    const run = await runCli([small.nodes, small.edges, '--into', db]);
    expect(run.stderr).not.toMatch(/GI_/);
    expect(run.status).toBe(0);
    expect(existsSync(join(db, 'manifest.json'))).toBe(true);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });

  it('1 for bad data: a dangling endpoint names file, line and ID; a short row is GI_FIELD_COUNT', async () => {
    const inputs = join(work, 'bad-data');
    await mkdir(inputs, { recursive: true });
    const dangling = join(inputs, 'dangling.csv');
    // Node IDs of gen-graph are i * 1000003 + 17: 17 and 1000020 exist, 999 does not. The bad row is on line 4.
    await writeFile(dangling, 'src,dst,weight,since\n17,1000020,0.5,2000\n1000020,17,0.25,2001\n17,999,0.5,2002\n1000020,1000020,1.0,2003\n');
    const short = join(inputs, 'short-nodes.csv');
    await writeFile(short, 'id,name,age\n1,a,30\n2,b\n3,c,40\n');
    const [a, b] = await Promise.all([freshStore(), freshStore()]);
    const [endpoint, fields] = await Promise.all([
      runCli([small.nodes, dangling, '--into', a.db]),
      runCli([short, '--into', b.db]),
    ]);
    expect(endpoint.status, endpoint.stderr).toBe(1);
    expect(endpoint.stderr).toMatch(new RegExp(`^${dangling.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:2: GI_ENDPOINT_NOT_FOUND: end node "999" not found`, 'm'));
    expect(endpoint.stdout).toBe('');
    await expectNothingWritten(a.parent, a.db);

    expect(fields.status, fields.stderr).toBe(1);
    expect(fields.stderr).toMatch(new RegExp(`^${short.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: GI_FIELD_COUNT: `, 'm'));
    await expectNothingWritten(b.parent, b.db);
  });

  it('2 for usage errors: an unknown flag, --threads 0, an existing store without --overwrite', async () => {
    const [a, b, c] = await Promise.all([freshStore(), freshStore(), freshStore()]);
    const first = await runCli([small.nodes, '--into', c.db]);
    expect(first.status, first.stderr).toBe(0);
    const manifest = await readFile(join(c.db, 'manifest.json'));
    const [unknown, threads, exists] = await Promise.all([
      runCli([small.nodes, small.edges, '--into', a.db, '--no-such-flag']),
      runCli([small.nodes, small.edges, '--into', b.db, '--threads', '0']),
      runCli([small.nodes, small.edges, '--into', c.db]),
    ]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--no-such-flag'");
    await expectNothingWritten(a.parent, a.db);

    expect(threads.status).toBe(2);
    expect(threads.stderr).toMatch(/^GI_INVALID_OPTION: --threads: "0" is not valid/m);
    await expectNothingWritten(b.parent, b.db);

    expect(exists.status).toBe(2);
    expect(exists.stderr).toMatch(/GI_STORE_EXISTS: .*g\.db already exists/);
    expect(await readFile(join(c.db, 'manifest.json'))).toEqual(manifest);
    expect(await strayEntries(c.parent, 'g.db')).toEqual([]);
    expect(await readdir(c.parent)).toEqual(['g.db']);
  });

  it('3 for files and stores: a missing input, an unwritable --progress-file, verify of a store with a flipped byte', async () => {
    const [a, b, c] = await Promise.all([freshStore(), freshStore(), freshStore()]);
    const missing = join(work, 'no-such-input.csv');
    const unwritable = join(b.parent, 'no-such-dir', 'progress.ndjson');
    const [notFound, progressFile, good] = await Promise.all([
      runCli([small.nodes, missing, '--into', a.db]),
      runCli([small.nodes, small.edges, '--into', b.db, '--progress-file', unwritable]),
      runCli([small.nodes, small.edges, '--into', c.db]),
    ]);
    expect(notFound.status).toBe(3);
    expect(notFound.stderr).toContain(`${missing}: GI_FILE_NOT_FOUND: `);
    await expectNothingWritten(a.parent, a.db);

    expect(progressFile.status).toBe(3);
    expect(progressFile.stderr).toContain(`${unwritable}: GI_OUTPUT_UNWRITABLE: `);
    expect(progressFile.stdout).toBe('');
    await expectNothingWritten(b.parent, b.db);

    expect(good.status, good.stderr).toBe(0);
    const copy = join(c.parent, 'copy.db');
    await cp(c.db, copy, { recursive: true });
    const target = join(copy, 'nodes/0.arrow');
    const bytes = await readFile(target);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(target, bytes);
    const [intact, corrupt] = await Promise.all([runCli(['verify', c.db]), runCli(['verify', copy])]);
    // The untouched original passes: the flipped byte is what fails the copy.
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/^ok: .* passed \d+ checks$/m);
    expect(corrupt.status).toBe(3);
    expect(corrupt.stderr).toContain(`${target}: GI_STORE_CORRUPT: CRC32 `);
  });
});

describe('--dry-run', () => {
  it('writes nothing, with and without --json; the human plan names the engine path and the files', async () => {
    const [a, b] = await Promise.all([freshStore(), freshStore()]);
    const [human, json] = await Promise.all([
      runCli([small.nodes, small.edges, '--into', a.db, '--dry-run']),
      runCli([small.nodes, small.edges, '--into', b.db, '--dry-run', '--json']),
    ]);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/^Plan \(dry run: nothing was written\)$/m);
    expect(human.stdout).toMatch(/^ {2}engine: in-memory path \(input .* < --streaming-threshold .*\), \d+ worker thread\(s\), 1 CSR partition\(s\)$/m);
    expect(human.stdout).toContain(`    ${small.nodes}  `);
    expect(human.stdout).toContain(`    ${small.edges}  `);
    expect(human.stdout).toMatch(/nodes\.csv .* node -> nodes {2}delimiter "," \(detected\)/);
    expect(human.stdout).toMatch(/edges\.csv .* relationship -> edges {2}delimiter "," \(detected\)/);
    expect(existsSync(a.db)).toBe(false);
    expect(await strayEntries(a.parent, 'g.db')).toEqual([]);
    expect(await readdir(a.parent)).toEqual([]);

    expect(json.status, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    const { config, plan } = JSON.parse(json.stdout) as { config: { into: string }; plan: { files: { path: string; kind: string }[]; engine: { path: string } } };
    expect(config.into).toBe(b.db);
    expect(plan.files.map((f) => [f.path, f.kind])).toEqual([[small.nodes, 'node'], [small.edges, 'relationship']]);
    expect(plan.engine.path).toBe('in-memory');
    expect(existsSync(b.db)).toBe(false);
    expect(await strayEntries(b.parent, 'g.db')).toEqual([]);
    expect(await readdir(b.parent)).toEqual([]);
  });
});

describe('--progress-file never costs data', () => {
  it('refuses an input file or a path inside the store as the progress file, leaving the input untouched (exit 2)', async () => {
    const inputs = join(work, 'victim');
    await cp(join(work, 'small'), inputs, { recursive: true });
    const before = await readFile(join(inputs, 'nodes.csv'));
    const { parent, db } = await freshStore();
    const run = await runCli([join(inputs, 'nodes.csv'), join(inputs, 'edges.csv'), '--into', db, '--progress-file', join(inputs, 'nodes.csv')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/GI_INVALID_OPTION: --progress-file .* is one of the input files/);
    expect((await readFile(join(inputs, 'nodes.csv'))).equals(before)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
    const inside = await runCli([small.nodes, small.edges, '--into', db, '--progress-file', join(db, 'events.ndjson')]);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(/is inside the store directory/);
  });

  it('refuses --progress-file with a --progress mode that is not json (exit 2)', async () => {
    const { parent, db } = await freshStore();
    const run = await runCli([small.nodes, small.edges, '--into', db, '--progress', 'plain', '--progress-file', join(parent, 'p.ndjson')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/GI_INVALID_OPTION: --progress-file writes NDJSON events; it cannot be combined with --progress plain/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('an import that fails up front (existing store) creates no progress file', async () => {
    const { parent, db } = await freshStore();
    expect((await runCli([small.nodes, small.edges, '--into', db, '--quiet'])).status).toBe(0);
    const run = await runCli([small.nodes, small.edges, '--into', db, '--progress-file', join(parent, 'p.ndjson')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/GI_STORE_EXISTS/);
    expect(existsSync(join(parent, 'p.ndjson'))).toBe(false);
  });
});

describe('a failed import leaves nothing behind', () => {
  it('removes the parent directories it created for --into', async () => {
    const { parent } = await freshStore();
    const run = await runCli([small.nodes, join(work, 'no-such.csv'), '--into', join(parent, 'new/sub/g.db')]);
    expect(run.status).toBe(3);
    expect(await readdir(parent)).toEqual([]);
    // A parent that existed before is kept, even when the import fails.
    await mkdir(join(parent, 'kept'));
    const again = await runCli([small.nodes, join(work, 'no-such.csv'), '--into', join(parent, 'kept/g.db')]);
    expect(again.status).toBe(3);
    expect(await readdir(parent)).toEqual(['kept']);
    expect(await readdir(join(parent, 'kept'))).toEqual([]);
  });
});
