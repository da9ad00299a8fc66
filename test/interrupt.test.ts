import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT, generateGraph, interruptCli, runCli, snapshotDifferences, snapshotTree, strayEntries,
} from './helpers/child.js';

// Ctrl-C and SIGTERM stop an import of the built CLI (real child processes): exit 130 promptly, nothing at the target,
// no temporary sibling, and an existing store replaced with --overwrite stays as it was.
//
// 200k nodes / 4M edges (~150 MB of CSV; generated once, ~5 s) import in about 4.5 s on a 2-core machine: sniff ~0.4 s,
// nodes ~0.5 s, relationships ~1.8 s (worker threads), csr ~1.4 s. The plain reporter (CI=1) prints a line as each
// phase ends, which is how the tests know where the import is when they send the signal: 100-150 ms after the line
// of the phase before, well inside the phase they interrupt (each test also checks that phase never finished).
const NODES = 200_000;
const EDGES = 4_000_000;
/** The signal must end the process within this long. */
const EXIT_WITHIN_MS = 2_000;

let work: string;
let nodesCsv: string;
let edgesCsv: string;

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-interrupt-'));
  await generateGraph(join(work, 'data'), NODES, EDGES);
  nodesCsv = join(work, 'data/nodes.csv');
  edgesCsv = join(work, 'data/edges.csv');
}, 60_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A fresh, empty parent directory for one run's store, so stray siblings are easy to see. */
async function freshParent(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  return dir;
}

const PHASE_LINE = (phase: string) => new RegExp(`^\\[[\\d:]+ \\+[\\d.]+s\\] ${phase} done: `, 'm');

/** Where to interrupt: once the line of the phase before has been printed, plus a little, the phase is running. */
const AT = {
  relationships: { when: PHASE_LINE('nodes'), notYet: PHASE_LINE('relationships'), delayMs: 150 },
  csr: { when: PHASE_LINE('relationships'), notYet: PHASE_LINE('csr'), delayMs: 100 },
} as const;

function expectInterrupted(run: Awaited<ReturnType<typeof interruptCli>>, phase: keyof typeof AT): void {
  const where = `signal sent ${run.signalAtMs.toFixed(0)} ms after spawn; stderr:\n${run.stderr}`;
  // Mid-import: the phase before had ended, the interrupted one had not, and nothing after it ran.
  expect(run.stderrAtSignal, where).toMatch(AT[phase].when);
  expect(run.stderrAtSignal, where).not.toMatch(AT[phase].notYet);
  expect(run.stderr, where).not.toMatch(AT[phase].notYet); // the interrupted phase was cut short, not run to its end
  expect(run.stderr, where).not.toMatch(PHASE_LINE('commit'));
  expect(run.stdout, where).not.toContain('Imported');
  // It handled the signal (exit status 130), it did not die of it.
  expect(run.signal, where).toBeNull();
  expect(run.status, where).toBe(130);
  expect(run.exitAfterSignalMs, where).toBeLessThan(EXIT_WITHIN_MS);
  expect(run.stderr, where).toMatch(/GI_INTERRUPTED: import interrupted/);
}

describe('interrupting an import', () => {
  describe.each(['SIGINT', 'SIGTERM'] as const)('%s', (signal) => {
    it('during the relationship phase (worker threads): exit 130 within 2 s, no store, no temporary sibling', async () => {
      const parent = await freshParent(`rel-${signal}`);
      const db = join(parent, 'g.db');
      const run = await interruptCli([nodesCsv, edgesCsv, '--into', db], { signal, ...AT.relationships });
      expectInterrupted(run, 'relationships');
      expect(existsSync(db)).toBe(false);
      expect(await strayEntries(parent, 'g.db')).toEqual([]);
    });
  });

  it('SIGINT during the CSR build (streaming path): exit 130 within 2 s, no store, no temporary sibling', async () => {
    const parent = await freshParent('csr-streaming');
    const db = join(parent, 'g.db');
    const run = await interruptCli([nodesCsv, edgesCsv, '--into', db, '--mode', 'streaming'], { signal: 'SIGINT', ...AT.csr });
    expectInterrupted(run, 'csr');
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });

  it('SIGTERM during the CSR build (in-memory path, one partition): exit 130 within 2 s, no store, no temporary sibling', async () => {
    const parent = await freshParent('csr-in-memory');
    const db = join(parent, 'g.db');
    const run = await interruptCli([nodesCsv, edgesCsv, '--into', db, '--mode', 'in-memory', '--memory-budget', '2GiB'], { signal: 'SIGTERM', ...AT.csr });
    expectInterrupted(run, 'csr');
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });

  it('SIGINT with --overwrite leaves the existing store byte-identical and no temporary or set-aside sibling', async () => {
    const parent = await freshParent('overwrite');
    const db = join(parent, 'g.db');
    // The existing store: a finished import of the demo fixtures.
    const made = await runCli([...['persons', 'knows'].map((f) => join(ROOT, `fixtures/demo/${f}.csv`)), '--into', db, '-q']);
    expect(made.status).toBe(0);
    const before = await snapshotTree(db);
    expect(before.has('manifest.json')).toBe(true);
    expect([...before.keys()].length).toBeGreaterThan(3);

    const run = await interruptCli([nodesCsv, edgesCsv, '--into', db, '--overwrite'], { signal: 'SIGINT', ...AT.relationships });
    expectInterrupted(run, 'relationships');
    expect(snapshotDifferences(before, await snapshotTree(db))).toEqual([]);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
    expect((await runCli(['verify', db])).status).toBe(0);
  });
});
