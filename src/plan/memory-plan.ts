import { ImportError } from '../errors/import-error.js';
import { slotsFor } from '../exec/id-index.js';

/**
 * The memory model of an import, as arithmetic. The whole process must fit `budget`: the runtime and worker
 * threads, the ID index (the one structure that grows with the node count), and the CSR build, which works one
 * source partition at a time. Everything else streams through fixed buffers.
 */

const MiB = 1 << 20;
/**
 * The main thread: runtime, Arrow writers, read buffers, node table builders. Measured with `npm run bench`: RSS
 * at the end of the node phase less the ID index is ~135 MiB at 1M nodes and ~142 MiB at 10M; the rest is headroom.
 */
export const MAIN_THREAD_BYTES = 160 * MiB;
/**
 * A worker thread besides its read buffers (counted apart): runtime and modules (~22 MiB idle), scan arrays,
 * partition buffers kept from range to range, and garbage between collections. Measured: each worker adds 60-80
 * MiB RSS in the relationship phase at 10M nodes / 50M edges, and the CSR phase needs headroom on top; planning
 * with less put a 2-thread run at 532-549 MiB against a 500 MiB budget, so this stays conservative.
 */
export const WORKER_BYTES = 72 * MiB;
/** The CSR build needs at least this much to make progress at all. */
export const MIN_CSR_BYTES = 32 * MiB;
/** Per edge during the CSR build: block bytes, endpoints, permutation, forward targets, backward record, results in transit. */
export const CSR_BYTES_PER_EDGE = 96;

/** Bytes of an ID index holding `nodes` IDs (see id-index.ts), with growth headroom for arrays that double. */
export function idIndexBytes(kind: 'int' | 'string', nodes: number, oneTable: boolean, load?: number, keyBytesPerNode = 16): number {
  const slots = slotsFor(nodes, load);
  const perNode = oneTable ? 0 : 6 * 2; // table + row arrays, grown by doubling
  if (kind === 'int') return slots * 12 + nodes * perNode;
  return slots * 8 + nodes * (perNode + 8 * 2 + keyBytesPerNode * 2);
}

/** What the engine must know to plan memory. */
export interface MemoryInputs {
  budget: number;
  threads: number;
  /** Bytes of the largest range a worker holds at once, text and parsed. */
  rangeBytes: number;
  indexBytes: number;
  /** Estimated edges, and estimated in-memory bytes of one edge's properties. */
  edges: number;
  propertyBytesPerEdge: number;
  streaming: boolean;
}

/** How the CSR build is partitioned. */
export interface MemoryPlan {
  /** Bytes the CSR build may hold at once. */
  csrBytes: number;
  /** Edges per source partition. */
  partitionEdges: number;
  /** Number of partitions the edges are spread over (1 on the in-memory path). */
  partitions: number;
  /** Fixed cost: runtime, workers and ID index. */
  fixedBytes: number;
}

/** Memory that does not depend on the partitioning: main thread, workers and ID index. */
export function fixedBytes(m: Pick<MemoryInputs, 'threads' | 'rangeBytes' | 'indexBytes'>): number {
  // A worker holds its read buffer (at most 8 MiB) and at most FLUSH_ROWS buffered edges, whatever the range size.
  return MAIN_THREAD_BYTES + m.threads * (WORKER_BYTES + 3 * Math.min(m.rangeBytes, 8 << 20)) + m.indexBytes;
}

/** True when the budget holds the fixed cost and the least the CSR build needs (planMemory will not fail). */
export function fitsBudget(m: Pick<MemoryInputs, 'budget' | 'threads' | 'rangeBytes' | 'indexBytes'>): boolean {
  return m.budget - fixedBytes(m) >= MIN_CSR_BYTES;
}

/** Decides partitions within the budget, or fails up front when even the fixed part does not fit. */
export function planMemory(m: MemoryInputs): MemoryPlan {
  const fixed = fixedBytes(m);
  const csrBytes = m.budget - fixed;
  if (csrBytes < MIN_CSR_BYTES) {
    const need = Math.ceil((fixed + MIN_CSR_BYTES) / MiB);
    throw new ImportError('GI_MEMORY_BUDGET', `a memory budget of ${Math.round(m.budget / MiB)} MiB cannot hold this import: the ID index needs ${Math.ceil(m.indexBytes / MiB)} MiB and ${m.threads} worker thread(s) with their ranges about ${Math.ceil((fixed - m.indexBytes) / MiB)} MiB, leaving less than the ${MIN_CSR_BYTES / MiB} MiB the CSR build needs`, {
      hint: `raise --memory-budget to at least ${need} MiB, or lower --threads or --batch-size`,
    });
  }
  const perEdge = CSR_BYTES_PER_EDGE + 2 * m.propertyBytesPerEdge;
  // Each worker builds one partition while the main thread appends another: threads + 1 partitions in memory.
  const partitionEdges = Math.max(1 << 16, Math.floor(csrBytes / perEdge / (m.threads + 1)));
  if (!m.streaming) return { csrBytes, partitionEdges: Math.max(partitionEdges, m.edges), partitions: 1, fixedBytes: fixed };
  return { csrBytes, partitionEdges, partitions: Math.max(1, Math.ceil(m.edges / partitionEdges)), fixedBytes: fixed };
}
