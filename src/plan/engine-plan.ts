import type { StreamingConfig } from '../config/streaming-config.js';
import { ImportError } from '../errors/import-error.js';
import { INLINE_CSR_EDGES } from '../exec/build-rel-tables.js';
import type { WarningCode } from '../exec/events.js';
import { TARGET_LOAD, TIGHT_LOAD } from '../exec/id-index.js';
import type { PreparedImport } from '../exec/prepare-import.js';
import { CSR_BYTES_PER_EDGE, type MemoryPlan, fitsBudget, idIndexBytes, planMemory, relPhaseBytes } from './memory-plan.js';
import type { EnginePlan } from './plan-import.js';
import { nativeRangeRows, nativeRanges, rangeBytesFor } from './split-ranges.js';
import { dataBytes } from '../schema/resolve-inputs.js';

/**
 * Chooses the path, the worker threads and the CSR partitioning within the memory budget. Threads beyond what the
 * work can use cost nothing; threads the budget cannot hold are not started (the budget wins over the default
 * thread count); only a budget that cannot hold even one worker fails, up front.
 */
export function planEngine(
  config: StreamingConfig, prepared: PreparedImport, expected: Map<string, number>, maxPartitionEdges = Infinity,
): {
  streaming: boolean; threads: number; plan: MemoryPlan; indexLoad: number; engine: EnginePlan; warnings: { code: WarningCode; message: string }[];
  /** True when the relationship phase will run on worker threads (more than one range, or enough edges). */
  usesWorkers: boolean;
} {
  const warnings: { code: WarningCode; message: string }[] = [];
  const { files, schema } = prepared;
  let edges = 0;
  let propBytes = 0;
  let relBytes = 0;
  files.forEach((f, i) => {
    if (f.kind !== 'relationship') return;
    const perRow = prepared.bytesPerRow[i] ?? 64;
    const data = dataBytes(f);
    edges += data / perRow;
    propBytes += data;
    relBytes += data;
  });
  // Range size (what a worker holds) and range count (how many workers can be busy), for `partitions` partitions.
  const rangesFor = (partitions: number): { rangeBytes: number; ranges: number } => {
    let rangeBytes = 0;
    let ranges = 0;
    files.forEach((f, i) => {
      if (f.kind !== 'relationship') return;
      if (f.native !== undefined) {
        // A worker holds a slice of about --batch-size rows, or (batches that cannot be sliced) a whole record
        // batch as read and inflated.
        const perRow = f.native.bytes / Math.max(1, f.native.rows);
        const held = f.native.sliced ? 2 * config.batchSize * perRow : 2 * f.native.units.reduce((m, u) => Math.max(m, u.bytes), 0);
        rangeBytes = Math.max(rangeBytes, Math.min(held, 2 * f.native.bytes));
        ranges += nativeRanges(i, f.native, nativeRangeRows(config.batchSize, edges, partitions), 0).length;
        return;
      }
      const data = Math.max(0, f.size - f.dataStart);
      const bytes = Math.min(data, rangeBytesFor(config.batchSize, prepared.bytesPerRow[i] ?? 64, relBytes, partitions));
      rangeBytes = Math.max(rangeBytes, bytes);
      ranges += Math.max(1, Math.ceil(data / Math.max(1, bytes)));
    });
    return { rangeBytes, ranges };
  };
  let { rangeBytes, ranges } = rangesFor(1);
  const totalNodes = [...expected.values()].reduce((n, x) => n + x, 0);
  const indexBytesAt = (load: number): number => schema.spaces.reduce((n, s) => n + idIndexBytes(s.kind, expected.get(s.name) ?? 0, s.tables.length === 1, load), 0);
  const usable = Math.max(1, Math.min(config.threads, ranges));
  let threads = usable;
  let indexLoad = TARGET_LOAD;
  // One range and few edges run on the main thread alone (see loadRelationships, INLINE_CSR_EDGES): no worker
  // memory to plan for, which lets a large node file with few relationships keep its whole budget.
  const workersFor = (t: number): number => (ranges <= 1 && edges < INLINE_CSR_EDGES ? 0 : t);
  const inputs = (t: number) => ({
    budget: config.memoryBudget, threads: workersFor(t), rangeBytes, indexBytes: indexBytesAt(indexLoad), nodes: totalNodes, edges,
    propertyBytesPerEdge: edges > 0 ? propBytes / edges : 0,
  });
  const fits = (t: number): boolean => fitsBudget(inputs(t));
  // The most threads the budget holds, packing the ID index denser before giving up a thread: a second core is
  // worth far more than the longer probes of a fuller table.
  const fitThreads = (): void => {
    for (threads = usable; threads >= 1; threads--) {
      indexLoad = TARGET_LOAD;
      if (fits(threads)) return;
      indexLoad = TIGHT_LOAD;
      if (fits(threads)) return;
    }
    threads = 1;
  };
  fitThreads();
  let streaming = config.mode === 'streaming' || (config.mode === 'auto' && prepared.plan.totalBytes >= config.streamingThreshold);
  const MiB = 2 ** 20;
  let pathReason = config.mode !== 'auto' ? `--mode ${config.mode}`
    : streaming ? `input ${(prepared.plan.totalBytes / MiB).toFixed(1)} MiB >= --streaming-threshold ${(config.streamingThreshold / MiB).toFixed(1)} MiB`
      : `input ${(prepared.plan.totalBytes / MiB).toFixed(1)} MiB < --streaming-threshold ${(config.streamingThreshold / MiB).toFixed(1)} MiB`;
  let plan = planMemory({ ...inputs(threads), streaming });
  const inMemoryBytes = edges * (CSR_BYTES_PER_EDGE + 2 * inputs(threads).propertyBytesPerEdge);
  if (!streaming && inMemoryBytes > plan.csrBytes) {
    if (config.mode === 'in-memory') {
      throw new ImportError('GI_MEMORY_BUDGET', `the in-memory path needs about ${Math.ceil(inMemoryBytes / 2 ** 20)} MiB for ${Math.round(edges)} relationships, more than the ${Math.max(0, Math.floor(plan.csrBytes / 2 ** 20))} MiB the budget leaves`, {
        hint: 'use --mode streaming (or auto), or raise --memory-budget',
      });
    }
    streaming = true;
    pathReason = `the in-memory path needs about ${Math.ceil(inMemoryBytes / MiB)} MiB, more than the budget leaves`;
    warnings.push({ code: 'GI_W_STREAMING_FORCED', message: `input is under --streaming-threshold, but ${pathReason}: streaming instead` });
    plan = planMemory({ ...inputs(threads), streaming });
  }
  if (plan.partitions > 1) {
    // Many partitions make ranges larger (see rangeBytesFor): plan again with what workers will then hold.
    ({ rangeBytes, ranges } = rangesFor(plan.partitions));
    fitThreads();
    plan = planMemory({ ...inputs(threads), streaming });
  }
  if (streaming && plan.partitionEdges > maxPartitionEdges) {
    plan = { ...plan, partitionEdges: maxPartitionEdges, partitions: Math.max(1, Math.ceil(edges / maxPartitionEdges)) };
  }
  if (threads < usable) {
    warnings.push({ code: 'GI_W_THREADS_LIMITED', message: `--memory-budget ${(config.memoryBudget / MiB).toFixed(0)} MiB holds ${threads} worker thread(s), not ${usable}: raise it to use more cores` });
  }
  const propertyBytes = inputs(threads).propertyBytesPerEdge;
  const engine: EnginePlan = {
    path: streaming ? 'streaming' : 'in-memory',
    pathReason,
    threads,
    partitions: plan.partitions,
    memoryBudget: config.memoryBudget,
    idIndexBytes: indexBytesAt(indexLoad),
    estimatedRelationships: Math.round(edges),
    estimatedNodes: totalNodes,
    // The larger of the relationship phase (with the ID index) and the CSR build (without it, when streaming).
    estimatedPeakBytes: Math.min(config.memoryBudget, Math.max(
      relPhaseBytes(inputs(threads)),
      plan.fixedBytes + (streaming ? 0 : indexBytesAt(indexLoad)) + Math.min(plan.csrBytes, edges * (CSR_BYTES_PER_EDGE + 2 * propertyBytes)),
    )),
    estimatedStoreBytes: Math.round(estimateStoreBytes(prepared, edges)),
  };
  return { streaming, threads, plan, indexLoad, engine, warnings, usesWorkers: ranges > 1 && workersFor(threads) > 0 };
}

/**
 * A rough store size: node files take about their text size as columns; each edge costs 12 bytes of CSR (target,
 * source and edge id) plus 8 per property; each node 16 bytes of offsets per relationship table it is in.
 */
function estimateStoreBytes(prepared: PreparedImport, edges: number): number {
  let bytes = 0;
  let props = 0;
  let nodes = 0;
  prepared.files.forEach((f, i) => {
    if (f.kind === 'node') {
      bytes += f.size - f.dataStart;
      nodes += prepared.rows[i] ?? (f.size - f.dataStart) / (prepared.bytesPerRow[i] ?? 32);
    } else {
      props = Math.max(props, f.layout.columns.filter((c) => c.kind === 'property').length);
    }
  });
  // Forward and backward offsets (8 bytes each) per source/target node; one relationship table assumed.
  return bytes + edges * (12 + 8 * props) + nodes * 16;
}
