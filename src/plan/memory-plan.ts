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
 * What the main thread holds per node besides the ID index, counted in the relationship phase: RSS at the end of
 * the node phase less the index measured 147, 155 and 185 MiB at 1M, 3M and 20M nodes (about 2.1 B a node).
 */
export const MAIN_BYTES_PER_NODE = 2.5;
/**
 * A worker thread in the CSR phase besides its range buffers (counted apart): runtime and modules (~22 MiB idle),
 * partition arrays, results in transit, and garbage between collections. Planning with less put a 2-thread run at
 * 532-549 MiB against a 500 MiB budget, so this stays conservative.
 */
export const WORKER_BYTES = 72 * MiB;
/**
 * A worker thread in the relationship phase besides twice its range buffer: runtime, scan arrays, partition
 * buffers kept from range to range. Measured (RSS at the phase's end less the node phase's): 57 MiB per worker at
 * 1M nodes / 10M edges (4 MB ranges) and 67 MiB at 10M nodes / 50M edges (5-8 MB ranges).
 */
export const REL_WORKER_BYTES = 56 * MiB;
/** The CSR build needs at least this much to make progress at all. */
export const MIN_CSR_BYTES = 32 * MiB;
/**
 * What the relationship phase holds beyond the above and the ID index: the main thread's block metadata and
 * reports, and garbage between collections. The CSR build's memory is not in use yet.
 */
export const REL_PHASE_MARGIN = 16 * MiB;
/** Per edge during the CSR build: block bytes, endpoints, permutation, forward targets, backward record, results in transit. */
export const CSR_BYTES_PER_EDGE = 96;
/** Bytes of an ID index holding `nodes` IDs (see id-index.ts), with growth headroom for arrays that double. */
export function idIndexBytes(kind: 'int' | 'string', nodes: number, oneTable: boolean, load?: number, keyBytesPerNode = 16): number {
  const slots = slotsFor(nodes, load);
  const perNode = oneTable ? 0 : 6 * 2; // table + row arrays, grown by doubling
  if (kind === 'int') return slots * 12 + nodes * perNode;
  // String keys: the arena doubles as it grows; a key is its bytes and a length byte.
  return slots * 12 + nodes * (perNode + (keyBytesPerNode + 1) * 2);
}

/** What the engine must know to plan memory. */
export interface MemoryInputs {
  budget: number;
  threads: number;
  /** Bytes of the largest range a worker holds at once, text and parsed. */
  rangeBytes: number;
  indexBytes: number;
  /** Expected nodes (all ID spaces). */
  nodes: number;
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
  /** Fixed cost: runtime and workers (the ID index is counted apart: it is released before the CSR build). */
  fixedBytes: number;
}

/** Memory that does not depend on the input's size: the main thread and the workers with their ranges. */
export function fixedBytes(m: Pick<MemoryInputs, 'threads' | 'rangeBytes'>): number {
  // A worker holds its read buffer (at most 8 MiB) and at most FLUSH_ROWS buffered edges, whatever the range size.
  return MAIN_THREAD_BYTES + m.threads * (WORKER_BYTES + 3 * Math.min(m.rangeBytes, 8 << 20));
}

/**
 * Bytes the CSR build may use. The phases do not overlap: the ID index lives until every endpoint is resolved and is
 * released before the CSR build, whose memory it can then have. On the in-memory path the edges' blocks are kept
 * from the relationship phase, so there the index and the CSR input are counted together.
 */
function csrBytesOf(m: Omit<MemoryInputs, 'edges' | 'propertyBytesPerEdge'>): number {
  return m.budget - fixedBytes(m) - (m.streaming ? 0 : m.indexBytes);
}

type PhaseInputs = Pick<MemoryInputs, 'threads' | 'rangeBytes' | 'indexBytes' | 'nodes'>;

/** Peak of the relationship phase: main thread, workers reading ranges, and the ID index they resolve through. */
export function relPhaseBytes(m: PhaseInputs): number {
  const main = MAIN_THREAD_BYTES + MAIN_BYTES_PER_NODE * m.nodes;
  return main + m.threads * (REL_WORKER_BYTES + 2 * Math.min(m.rangeBytes, 8 << 20)) + m.indexBytes + REL_PHASE_MARGIN;
}

/** The smallest budget that holds both phases of a streaming import with these threads, ranges and index. */
export function budgetNeeded(m: PhaseInputs): number {
  return Math.max(relPhaseBytes(m), fixedBytes(m) + MIN_CSR_BYTES);
}

/** True when the budget holds the relationship phase and the least the CSR build needs (planMemory will not fail). */
export function fitsBudget(m: PhaseInputs & Pick<MemoryInputs, 'budget'>): boolean {
  return m.budget >= budgetNeeded(m);
}

/** Decides partitions within the budget, or fails up front when even the streaming path does not fit. */
export function planMemory(m: MemoryInputs): MemoryPlan {
  const fixed = fixedBytes(m);
  if (!fitsBudget(m)) {
    const need = Math.ceil(budgetNeeded(m) / MiB);
    throw new ImportError('GI_MEMORY_BUDGET', `a memory budget of ${Math.round(m.budget / MiB)} MiB cannot hold this import: with ${m.threads} worker thread(s) the relationship phase needs about ${Math.ceil(relPhaseBytes(m) / MiB)} MiB (the ID index ${Math.ceil(m.indexBytes / MiB)} MiB of it) and the CSR build at least ${Math.ceil((fixed + MIN_CSR_BYTES) / MiB)} MiB`, {
      hint: `raise --memory-budget to at least ${need} MiB, or lower --threads or --batch-size`,
    });
  }
  const csrBytes = csrBytesOf(m);
  const perEdge = CSR_BYTES_PER_EDGE + 2 * m.propertyBytesPerEdge;
  // Each worker builds one partition while the main thread appends another: threads + 1 partitions in memory.
  const partitionEdges = Math.max(1 << 16, Math.floor(Math.max(0, csrBytes) / perEdge / (m.threads + 1)));
  if (!m.streaming) return { csrBytes, partitionEdges: Math.max(partitionEdges, m.edges), partitions: 1, fixedBytes: fixed };
  return { csrBytes, partitionEdges, partitions: Math.max(1, Math.ceil(m.edges / partitionEdges)), fixedBytes: fixed };
}
