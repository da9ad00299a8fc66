import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_CODES, exitCodeFor } from '../src/cli/exit-codes.js';
import { ERROR_CODES, type ErrorCode, ImportError, type ImportEvent, normalizeConfig, prepareImport, runImport, verifyStore } from '../src/index.js';
import type { ConfigInput } from '../src/index.js';
import { CONTROL, createControl, runPool, workerScriptPath } from '../src/exec/worker-pool.js';
import { ROOT, freshStores, generateGraph, runCli, strayEntries } from './helpers/child.js';
import { dumpGraph } from './helpers/graph-dump.js';

// Every Worker the pool starts is recorded, so the tests can see that all of them are gone after a failure or an abort
// (a Worker's threadId becomes -1 once its thread has exited).
const started = vi.hoisted(() => [] as Worker[]);
const exited = (w: Worker): boolean => w.threadId === -1;
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Tracked extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      started.push(this);
    }
  }
  return { ...real, Worker: Tracked, default: { ...real, Worker: Tracked } };
});

// The default thread count is os.availableParallelism(); a test sets `cores` to see what a bigger machine would do.
const machine = vi.hoisted(() => ({ cores: undefined as number | undefined }));
vi.mock('node:os', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:os')>();
  const availableParallelism = () => machine.cores ?? real.availableParallelism();
  return { ...real, availableParallelism, default: { ...real, availableParallelism } };
});

// Two seeded graphs from scripts/gen-graph.mjs (plain headers: nodes id,name,age,score,joined; edges src,dst,weight,since):
//   small:  2,000 nodes,  20,000 edges (~0.7 MB)  path choice, partitioning, pool
//   medium: 20,000 nodes, 500,000 edges (~17.6 MB, ~33 bytes per edge row)  memory budget
//
// Memory arithmetic (src/plan/memory-plan.ts, unit-tested in memory-plan.test.ts): the plan fails unless the budget
// holds both the relationship phase (main thread, workers with their ranges, the ID index, a margin) and the CSR
// build's fixed part (main thread, workers with their ranges) plus MIN_CSR_BYTES (32 MiB); the hint names the larger,
// in MiB. 16 MiB can never fit (the main thread alone is planned at more). The in-memory path must also hold
// edges x (CSR_BYTES_PER_EDGE + 2 x property bytes per edge) in what the budget leaves next to the ID index.
// The tests take the smallest budget that fits from the hint of a 16 MiB run with the same settings, so the CSR gets
// just over 32 MiB; for the medium graph (threads 1, batch size 10,000 so a range is ~0.3 MB) the in-memory CSR needs
// 500,000 x (>= 40 + 2 x ~33) B >= ~50 MiB, more than that: `in-memory` fails, `auto` streams in several partitions.
let work: string;
const small = { nodes: '', edges: '' };
const medium = { nodes: '', edges: '' };

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/exec/worker-main.js')), 'run `npm run build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-limits-'));
  await Promise.all([generateGraph(join(work, 'small'), 2_000, 20_000, 7), generateGraph(join(work, 'medium'), 20_000, 500_000, 11)]);
  Object.assign(small, { nodes: join(work, 'small/nodes.csv'), edges: join(work, 'small/edges.csv') });
  Object.assign(medium, { nodes: join(work, 'medium/nodes.csv'), edges: join(work, 'medium/edges.csv') });
}, 60_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A fresh, empty parent directory and a store path `g.db` in it. */
const freshStore = freshStores(() => work);

function config(graph: { nodes: string; edges: string }, db: string, extra: Partial<ConfigInput> = {}) {
  return normalizeConfig({ inputs: [{ kind: 'auto', files: [graph.nodes] }, { kind: 'auto', files: [graph.edges] }], into: db, ...extra });
}

/** The ImportError `p` rejects with; fails when it resolves, or has not settled within `ms`. */
async function rejection(p: Promise<unknown>, ms = 30_000): Promise<ImportError> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(new Error(`still pending after ${ms} ms`)), ms); });
  const err = await Promise.race([p.then(() => undefined, (e: unknown) => e), timeout]);
  clearTimeout(timer);
  expect(err, 'expected a rejection').toBeInstanceOf(ImportError);
  return err as ImportError;
}

/** The smallest budget (MiB) the plan accepts for these settings, read from the hint of a run with 16 MiB. */
async function smallestBudget(graph: { nodes: string; edges: string }, extra: Partial<ConfigInput>): Promise<number> {
  const { db } = await freshStore();
  const err = await rejection(runImport(config(graph, db, { ...extra, memoryBudget: '16MiB' })));
  expect(err.code).toBe('GI_MEMORY_BUDGET');
  const need = Number(/raise --memory-budget to at least (\d+) MiB/.exec(err.hint ?? '')?.[1]);
  expect(need).toBeGreaterThan(16);
  return need;
}

/** Medium-graph settings for the budget tests: one thread and small ranges keep the fixed cost low and known. */
const TIGHT = { threads: 1, batchSize: 10_000, streamingThreshold: '1GiB' } as const;

const PHASE_LINE = (phase: string) => new RegExp(`^\\[\\s*[\\d.]+s\\] ${phase}: `, 'm');

/** The exit status the README's "Errors and exit status" table gives each code it lists. */
function readmeExitTable(): Map<string, number> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = new Map<string, number>();
  for (const line of readme.split('\n')) {
    const m = /^\|\s*(\d+)\s*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    if (m === null) continue;
    for (const code of m[2].matchAll(/`(GI_[A-Z_]+)`/g)) table.set(code[1], Number(m[1]));
  }
  return table;
}

describe('memory budget', () => {
  it('--memory-budget 16MiB fails up front through the CLI: GI_MEMORY_BUDGET, exit 2, budget and a larger working value named, nothing written', async () => {
    const { parent, db } = await freshStore();
    const failed = await runCli([medium.nodes, medium.edges, '--into', db, '--memory-budget', '16MiB', '--threads', '2']);
    expect(failed.stderr).toMatch(/^GI_MEMORY_BUDGET: a memory budget of 16 MiB cannot hold this import/m);
    expect(failed.status).toBe(2);
    expect(failed.status).toBe(exitCodeFor(new ImportError('GI_MEMORY_BUDGET', 'x')));
    const hint = /hint: raise --memory-budget to at least (\d+) MiB/.exec(failed.stderr);
    expect(hint, failed.stderr).not.toBeNull();
    const need = Number(hint![1]);
    expect(need).toBeGreaterThan(16);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
    // Up front: after the sniff, before any node or relationship loading finished.
    expect(failed.stderr).not.toMatch(PHASE_LINE('nodes'));
    expect(failed.stderr).not.toMatch(PHASE_LINE('relationships'));
    expect(failed.stdout).toBe('');

    // The hinted budget is enough: the same import then succeeds. (Up front is shown above by the phases never
    // reached, not by timing, which a loaded machine makes meaningless.)
    const ok = await runCli([medium.nodes, medium.edges, '--into', db, '--memory-budget', `${need}MiB`, '--threads', '2', '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result.relationships).toBe(500_000);
    expect(result.engine.memoryBudget).toBe(need * 2 ** 20);
  });

  it('a budget that holds fewer worker threads than asked runs with fewer threads instead of failing', async () => {
    // The budget wins over --threads: threads it cannot hold are not started. Only the one-thread floor can fail.
    // Batch size 1000 cuts the file into many ranges, so workers are needed (one range runs on the main thread).
    const one = await smallestBudget(small, { threads: 1, batchSize: 1000 });
    const eight = await smallestBudget(small, { threads: 8, batchSize: 1000 });
    expect(eight).toBe(one);

    const a = await freshStore();
    const ok = await runCli([small.nodes, small.edges, '--into', a.db, '--memory-budget', `${one}MiB`, '--threads', '8', '--batch-size', '1000', '--json']);
    expect(ok.status).toBe(0);
    const result = JSON.parse(ok.stdout.trim().split('\n').pop()!) as { engine: { threads: number; ranges: number } };
    expect(result.engine.ranges).toBeGreaterThan(8);
    expect(result.engine.threads).toBeGreaterThanOrEqual(1);
    expect(result.engine.threads).toBeLessThan(8);

    const b = await freshStore();
    const roomy = await runCli([small.nodes, small.edges, '--into', b.db, '--memory-budget', '4GiB', '--threads', '8', '--batch-size', '1000', '--json']);
    expect(roomy.status).toBe(0);
    expect((JSON.parse(roomy.stdout.trim().split('\n').pop()!) as { engine: { threads: number } }).engine.threads).toBe(8);
  });

  it('one range and few edges need no worker: the budget a single-range import needs is smaller by a worker', async () => {
    const single = await smallestBudget(small, { threads: 8 });
    const ranged = await smallestBudget(small, { threads: 1, batchSize: 1000 });
    expect(single).toBeLessThan(ranged);
    const { db } = await freshStore();
    const result = await runImport(config(small, db, { threads: 8, memoryBudget: `${single}MiB` }));
    expect(result.engine).toMatchObject({ threads: 0, ranges: 1 });
  });

  it('the default budget holds a tiny import at the default thread count of a 16-core machine', async () => {
    // Defaults only (threads = os.availableParallelism(), budget 500 MiB): the 5-node, 6-edge demo needs one range and
    // one worker, and a few MiB, so the plan must not refuse it however many cores the machine has.
    machine.cores = 16;
    try {
      const { parent, db } = await freshStore();
      const cfg = normalizeConfig({ inputs: ['persons', 'knows'].map((f) => ({ kind: 'auto' as const, files: [join(ROOT, `fixtures/demo/${f}.csv`)] })), into: db });
      expect(cfg.threads).toBe(16);
      expect(cfg.memoryBudget).toBe(500 * 2 ** 20);
      const result = await runImport(cfg);
      expect(result.relationships).toBe(6);
      expect(await strayEntries(parent, 'g.db')).toEqual([]);
    } finally {
      machine.cores = undefined;
    }
  });

  it('mode in-memory with a budget too small for the edges fails up front with GI_MEMORY_BUDGET suggesting streaming', async () => {
    const budget = await smallestBudget(medium, TIGHT);
    const { parent, db } = await freshStore();
    const events: ImportEvent[] = [];
    const err = await rejection(runImport(config(medium, db, { ...TIGHT, mode: 'in-memory', memoryBudget: `${budget}MiB` }), {
      onEvent: (e) => events.push(e),
    }));
    expect(err.code).toBe('GI_MEMORY_BUDGET');
    expect(err.reason).toMatch(/in-memory path needs about \d+ MiB for \d+ relationships/);
    expect(err.hint).toMatch(/--mode streaming/);
    expect(exitCodeFor(err)).toBe(EXIT_CODES.usage);
    // Up front: no node was loaded, nothing written.
    expect(events.some((e) => e.type === 'phase-start' && e.phase === 'nodes')).toBe(false);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });

  it('the same budget in mode auto takes the streaming path (several partitions) and imports everything', async () => {
    const budget = await smallestBudget(medium, TIGHT);
    const { parent, db } = await freshStore();
    // The input (~17.6 MB) is far below the streaming threshold: streaming is chosen because of the budget alone.
    const result = await runImport(config(medium, db, { ...TIGHT, mode: 'auto', memoryBudget: `${budget}MiB` }));
    expect(result.engine.path).toBe('streaming');
    expect(result.engine.partitions).toBeGreaterThan(1);
    expect(result.relationships).toBe(500_000);
    expect(result.nodes).toBe(20_000);
    expect((await verifyStore(db)).ok).toBe(true);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);

    // Control: with a roomy budget the same import stays in memory.
    const roomy = await freshStore();
    const inMemory = await runImport(config(medium, roomy.db, { ...TIGHT, mode: 'auto', memoryBudget: '2GiB' }));
    expect(inMemory.engine.path).toBe('in-memory');
    expect(inMemory.engine.partitions).toBe(1);
    expect(inMemory.relationshipTables).toEqual(result.relationshipTables);
  });

  it('streaming with maxPartitionEdges 1000 builds many partitions and the same graph as the in-memory path', async () => {
    const a = await freshStore();
    const b = await freshStore();
    const streamed = await runImport(config(small, a.db, { mode: 'streaming', threads: 2, memoryBudget: '2GiB' }), { maxPartitionEdges: 1000 });
    const inMemory = await runImport(config(small, b.db, { mode: 'in-memory', threads: 2, memoryBudget: '2GiB' }));
    expect(streamed.engine.path).toBe('streaming');
    expect(streamed.engine.partitions).toBeGreaterThan(1);
    expect(inMemory.engine.path).toBe('in-memory');
    expect(inMemory.engine.partitions).toBe(1);
    expect(streamed.relationships).toBe(20_000);
    expect(streamed.relationshipTables).toEqual(inMemory.relationshipTables);
    expect((await verifyStore(a.db)).ok).toBe(true);
    expect(await dumpGraph(a.db)).toEqual(await dumpGraph(b.db));
  });
});

describe('path choice by input size', () => {
  it('mode auto streams at or above --streaming-threshold and stays in memory below it', async () => {
    const probe = await prepareImport(config(small, join(work, 'unused.db')));
    const total = probe.plan.totalBytes;
    expect(total).toBeGreaterThan(500_000);
    const at = await freshStore();
    const above = await freshStore();
    const roomy = { mode: 'auto', threads: 2, memoryBudget: '2GiB' } as const;
    const atResult = await runImport(config(small, at.db, { ...roomy, streamingThreshold: total }));
    const belowResult = await runImport(config(small, above.db, { ...roomy, streamingThreshold: total + 1 }));
    expect(atResult.engine.path).toBe('streaming');
    expect(belowResult.engine.path).toBe('in-memory');
    expect(atResult.relationshipTables).toEqual(belowResult.relationshipTables);
    expect(existsSync(join(work, 'unused.db'))).toBe(false);
  });

  it.each([['1000', 1000, 'streaming'], ['1GiB', 2 ** 30, 'in-memory']])('--dry-run with --streaming-threshold %s prints the plan and writes nothing', async (flag, bytes, path) => {
    const { parent, db } = await freshStore();
    const run = await runCli([small.nodes, small.edges, '--into', db, '--streaming-threshold', flag, '--dry-run', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { config: shown, plan } = JSON.parse(run.stdout);
    expect(shown.streamingThreshold).toBe(bytes);
    expect(shown.mode).toBe('auto');
    expect(plan.files.map((f: { kind: string }) => f.kind)).toEqual(['node', 'relationship']);
    expect(plan.engine.path).toBe(path);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });
});

describe('when worker threads start', () => {
  it('workers are started before the node phase, so they boot while nodes load; an import without relationships starts none', async () => {
    const a = await freshStore();
    const before = started.length;
    const atPhase: Record<string, number> = {};
    const result = await runImport(config(small, a.db, { threads: 2, batchSize: 1000, mode: 'streaming' }), {
      onEvent: (e) => {
        if (e.type === 'phase-start') atPhase[e.phase] = started.length - before;
      },
    });
    expect(result.engine.threads).toBe(2);
    expect(atPhase.nodes).toBe(2);
    expect(started.length - before).toBe(2);

    // Nodes only: there is no relationship range to read, so no worker thread is started at all.
    const b = await freshStore();
    const nodesOnly = await runImport(normalizeConfig({ inputs: [{ kind: 'auto', files: [small.nodes] }], into: b.db, threads: 2 }));
    expect(nodesOnly.nodes).toBe(2_000);
    expect(started.length - before).toBe(2);
  });

  it('with relationship files past earlyWorkerBytes, workers start before the sniff; the plan lets go of those it does not use', async () => {
    const a = await freshStore();
    const before = started.length;
    const atPhase: Record<string, number> = {};
    const aliveAt: Record<string, number> = {};
    const onEvent = (e: ImportEvent): void => {
      if (e.type !== 'phase-start') return;
      atPhase[e.phase] = started.length - before;
      aliveAt[e.phase] = started.slice(before).filter((w) => !exited(w)).length;
    };
    const result = await runImport(config(small, a.db, { threads: 2, batchSize: 1000, mode: 'streaming' }), { earlyWorkerBytes: 0, onEvent });
    expect(result.engine.threads).toBe(2);
    expect(atPhase.sniff).toBe(2);
    expect(started.length - before, 'the early workers serve the whole import').toBe(2);

    // One range and few edges: the plan runs the relationship phase on this thread, so the early workers are closed
    // before the node phase and none is started again.
    const b = await freshStore();
    const one = await runImport(config(small, b.db, { threads: 2, mode: 'streaming' }), { earlyWorkerBytes: 0, onEvent });
    expect(one.engine.ranges).toBe(1);
    expect(started.length - before).toBe(4);
    expect(atPhase.nodes).toBe(4);
    expect(aliveAt.sniff).toBe(2);
    expect(aliveAt.nodes, 'closed before the node phase').toBe(0);
    await vi.waitFor(() => expect(started.slice(before).every(exited)).toBe(true));
  });
});

describe('worker pool failures', () => {
  it('workerScriptPath() is the built dist/exec/worker-main.js', () => {
    const path = workerScriptPath();
    expect(path).toBe(join(ROOT, 'dist/exec/worker-main.js'));
    expect(existsSync(path)).toBe(true);
  });

  it('an unknown task rejects with GI_TASK_FAILED carrying the worker\'s message, and no worker is left running', async () => {
    const before = started.length;
    const reports: unknown[] = [];
    const err = await rejection(runPool({ threads: 2, task: 'no-such-task', data: () => ({}), control: createControl(), onReport: (r) => reports.push(r) }));
    expect(err.code).toBe('GI_TASK_FAILED');
    expect(err.cause).toBeInstanceOf(Error);
    expect((err.cause as Error).message).toBe('unknown task no-such-task');
    expect(err.message).toContain('unknown task no-such-task');
    expect(exitCodeFor(err)).toBe(EXIT_CODES.internal);
    expect(reports).toEqual([]);
    const mine = started.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine.every(exited)).toBe(true);
  });

  it('aborting the signal while workers run rejects with GI_INTERRUPTED promptly and terminates every worker', async () => {
    const before = started.length;
    const control = createControl();
    const controller = new AbortController();
    // A csr task that may not start until the main thread has written the task before it (`ahead` 0): each worker
    // waits on the control array (polling STOP) until the pool stops it, so the pool runs until it is aborted.
    const pool = runPool({
      threads: 3, task: 'csr', control, signal: controller.signal, onReport: () => undefined,
      data: () => ({ init: {}, tasks: [{}, {}, {}], ahead: 0 }),
    });
    let settled = false;
    void pool.then(() => { settled = true; }, () => { settled = true; });
    const mine = started.slice(before);
    expect(mine).toHaveLength(3);
    await Promise.all(mine.map((w) => new Promise((resolve) => w.once('online', resolve))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled, 'the pool ended before it was aborted').toBe(false);
    expect(mine.some(exited)).toBe(false);

    const abortedAt = performance.now();
    controller.abort();
    const err = await rejection(pool, 5_000);
    const ms = performance.now() - abortedAt;
    expect(err.code).toBe('GI_INTERRUPTED');
    expect(exitCodeFor(err)).toBe(130);
    expect(ms).toBeLessThan(1_000);
    expect(Atomics.load(control, CONTROL.STOP)).toBe(1);
    expect(mine.every(exited)).toBe(true);
  });

  it('an already aborted signal rejects with GI_INTERRUPTED (not the task\'s failure) and leaves no worker running', async () => {
    const before = started.length;
    const err = await rejection(runPool({
      threads: 2, task: 'no-such-task', data: () => ({}), control: createControl(), onReport: () => undefined, signal: AbortSignal.abort(),
    }));
    expect(err.code).toBe('GI_INTERRUPTED');
    expect(started.slice(before).every(exited)).toBe(true);
  });
});

describe('exit codes through the real CLI', () => {
  it('GI_MEMORY_BUDGET from the in-memory path exits 2 as well', async () => {
    const budget = await smallestBudget(medium, TIGHT);
    const { parent, db } = await freshStore();
    const run = await runCli([medium.nodes, medium.edges, '--into', db, '--mode', 'in-memory', '--memory-budget', `${budget}MiB`,
      '--threads', '1', '--batch-size', '10000', '--streaming-threshold', '1GiB']);
    expect(run.stderr).toMatch(/^GI_MEMORY_BUDGET: the in-memory path needs/m);
    expect(run.stderr).toMatch(/hint: use --mode streaming/);
    expect(run.status).toBe(2);
    expect(existsSync(db)).toBe(false);
    expect(await strayEntries(parent, 'g.db')).toEqual([]);
  });

  it('the codes these tests produce map to their class\'s exit status, and the README table agrees with exitCodeFor', () => {
    const produced: Record<string, number> = { GI_MEMORY_BUDGET: 2, GI_TASK_FAILED: 70, GI_WORKER_CRASHED: 70, GI_INTERRUPTED: 130 };
    for (const [code, status] of Object.entries(produced)) expect(exitCodeFor(new ImportError(code as ErrorCode, 'x')), code).toBe(status);
    const documented = readmeExitTable();
    expect(documented.get('GI_INTERRUPTED')).toBe(130);
    expect(documented.size).toBeGreaterThan(20);
    for (const [code, status] of documented) {
      expect(code in ERROR_CODES, `${code} in README but not in ERROR_CODES`).toBe(true);
      expect(exitCodeFor(new ImportError(code as ErrorCode, 'x')), code).toBe(status);
    }
    // Anything that is not an ImportError is a defect.
    expect(exitCodeFor(new Error('boom'))).toBe(70);
  });
});
