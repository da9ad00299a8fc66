import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import { runImport } from '../src/exec/run-import.js';
import { FLUSH_ROWS } from '../src/exec/edge-buckets.js';
import { storeDifferences } from './helpers/store-bytes.js';

// A range task flushes its partition buffers every FLUSH_ROWS rows, so one range can yield several blocks per
// partition. Their order (range, then flush) must keep each node's edges in input order: the store must not
// depend on whether a range flushed, how many threads ran, or how edges were partitioned.

let work: string;
const NODES = 5000;
const EDGES = Math.round(FLUSH_ROWS * 2.5);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-flush-'));
  await writeFile(join(work, 'nodes.csv'), `id:ID,name\n${Array.from({ length: NODES }, (_, i) => `${i},n${i}`).join('\n')}\n`);
  // Skewed sources and a property that records the input position, so a reordering of any node's edges shows.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = Array.from({ length: EDGES }, (_, i) => `${Math.floor(NODES * rand() ** 2)},${Math.floor(NODES * rand())},${i}`);
  await writeFile(join(work, 'rels.csv'), `:START_ID,:END_ID,pos:long\n${rows.join('\n')}\n`);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function importWith(into: string, batchSize: number, threads: number, maxPartitionEdges?: number) {
  const config = normalizeConfig({
    inputs: [{ kind: 'node', files: [join(work, 'nodes.csv')] }, { kind: 'relationship', name: 'R', files: [join(work, 'rels.csv')] }],
    into: join(work, into), batchSize, threads, mode: 'streaming',
  });
  return runImport(config, { maxPartitionEdges });
}

describe('range tasks that flush their buffers part way', () => {
  it('give the same store bytes as ranges too small to flush, for any threads and partitioning', async () => {
    const ref = await importWith('ref.db', Math.round(FLUSH_ROWS / 3), 1);
    expect(ref.relationships).toBe(EDGES);
    expect(ref.engine.ranges).toBeGreaterThan(1);
    // One range for the whole file (batch size above the row count): it must flush at least twice.
    const oneRange = await importWith('one-range.db', EDGES * 2, 2, 20_000);
    expect(oneRange.engine.ranges).toBe(1);
    expect(oneRange.engine.partitions).toBeGreaterThan(1);
    expect(await storeDifferences(join(work, 'one-range.db'), join(work, 'ref.db'))).toEqual([]);
    // Two ranges of about 1.3 flushes each, read by two worker threads, many partitions.
    const mixed = await importWith('mixed.db', Math.round(FLUSH_ROWS * 1.3), 2, 5_000);
    expect(mixed.engine.ranges).toBe(2);
    expect(mixed.engine.threads).toBe(2);
    expect(await storeDifferences(join(work, 'mixed.db'), join(work, 'ref.db'))).toEqual([]);
  });
});
