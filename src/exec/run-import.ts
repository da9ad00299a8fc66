import { rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { StreamingConfig } from '../config/streaming-config.js';
import { ImportError, toImportError } from '../errors/import-error.js';
import { CSR_BYTES_PER_EDGE, type MemoryPlan, fitsBudget, idIndexBytes, planMemory } from '../plan/memory-plan.js';
import { type Partitioning, balancedPartitioning, singlePartition } from '../plan/partitioning.js';
import { type ImportPlan, planImport } from '../plan/plan-import.js';
import { rangeBytesFor } from '../plan/split-ranges.js';
import type { InferredKind } from '../schema/infer-types.js';
import { type GraphSchema, type SniffedFacts, buildGraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import { type InputFile, resolveInputs } from '../schema/resolve-inputs.js';
import { type Manifest, STORE_FORMAT, STORE_FORMAT_VERSION, typeToManifest } from '../store/manifest.js';
import { NodeTableWriter } from '../store/node-table-writer.js';
import type { StoreFileEntry } from '../store/rel-table-writer.js';
import { PendingStore } from '../store/store-dir.js';
import { type EventSink, type ImportResult, type Phase } from './events.js';
import { IdIndex, TARGET_LOAD, TIGHT_LOAD } from './id-index.js';
import { loadNodeFile } from './load-nodes.js';
import { buildRelTables } from './build-rel-tables.js';
import { loadRelationships } from './load-relationships.js';
import { sampleEndpoints } from './sample-endpoints.js';
import { WorkerPool } from './worker-pool.js';
import { columnsToInfer, sniffFile } from './sniff-files.js';
import { VERSION } from '../version.js';

/** Options of a run besides the config: where events go, and a signal that stops the run. */
export interface RunOptions {
  onEvent?: EventSink;
  signal?: AbortSignal;
  /** Caps the edges per CSR partition on the streaming path (the budget decides otherwise); for tests and tuning. */
  maxPartitionEdges?: number;
  /** Bytes of each file read up front for type inference (default SAMPLE_BYTES); for tests and tuning. */
  sampleBytes?: number;
}

/** Bytes of a file read up front to infer its types; the rest is checked as it loads (see RelFileSpec.verifyKinds). */
export const SAMPLE_BYTES = 8 << 20;

/** What prepareImport decides: files, schema, plan, and what the engine needs from the sniff. */
export interface PreparedImport {
  files: InputFile[];
  schema: GraphSchema;
  plan: ImportPlan;
  /** Per file: average data bytes per row (from the rows read). */
  bytesPerRow: (number | undefined)[];
  /** Per file: rows counted by a full pass (node files), else undefined. */
  rows: (number | undefined)[];
  /** Per relationship file read only in part: the inferred kind per column that the load must verify. */
  verifyKinds: ((InferredKind | null)[] | undefined)[];
}

/**
 * Reads headers and data to decide the schema, and returns the plan; writes nothing. Files are read in their first
 * SAMPLE_BYTES only, except node files with a :LABEL column (their labels decide the tables) and files listed in
 * `fullInference` (after a sample guessed wrong).
 */
export async function prepareImport(config: StreamingConfig, options: RunOptions = {}, fullInference: ReadonlySet<string> = new Set()): Promise<PreparedImport> {
  const emit = options.onEvent ?? (() => undefined);
  const files = await resolveInputs(config);
  const clock = phaseClock(emit);
  clock.start('sniff', files.reduce((n, f) => n + f.size, 0));
  const facts: (SniffedFacts | undefined)[] = [];
  const rows: (number | undefined)[] = [];
  const bytesPerRow: (number | undefined)[] = [];
  const verifyKinds: ((InferredKind | null)[] | undefined)[] = [];
  for (const file of files) {
    const infer = columnsToInfer(file, config.idType !== 'auto');
    checkAborted(options.signal);
    // A :LABEL column decides which node tables exist, so such files are read whole; others are sampled.
    const sample = (file.kind === 'relationship' || file.layout.labelColumn < 0) && !fullInference.has(file.path) ? (options.sampleBytes ?? SAMPLE_BYTES) : Infinity;
    const stats = await sniffFile(file, infer, config.batchSize, config.arrayDelimiter, sample);
    facts.push(stats);
    rows.push(stats.sampled ? undefined : stats.rows);
    bytesPerRow.push(stats.rows > 0 ? stats.bytes / stats.rows : undefined);
    // A string column holds anything: only narrower kinds need checking against later values.
    verifyKinds.push(stats.sampled ? file.layout.columns.map((_, c) => (infer.includes(c) && stats.kinds[c] !== 'string' ? stats.kinds[c] : null)) : undefined);
  }
  clock.end('sniff', rows.reduce<number>((n, r) => n + (r ?? 0), 0));
  const schema = buildGraphSchema(files, facts, config.idType);
  const plan = planImport(config, files, schema, rows);
  emit({ type: 'plan', plan });
  return { files, schema, plan, bytesPerRow, rows, verifyKinds };
}

/** Imports the configured files into a new store at `config.into`, atomically: the store appears whole or not at all. */
export async function runImport(config: StreamingConfig, options: RunOptions = {}): Promise<ImportResult> {
  const fullInference = new Set<string>();
  for (;;) {
    try {
      return await importOnce(config, options, fullInference);
    } catch (err) {
      const e = toImportError(err);
      // A sampled type was too narrow for a later value: infer that file from all its rows and start again.
      if (e.code !== 'GI_INFERENCE_RESTART' || e.file === undefined || fullInference.has(e.file)) throw e;
      fullInference.add(e.file);
    }
  }
}

async function importOnce(config: StreamingConfig, options: RunOptions, fullInference: ReadonlySet<string>): Promise<ImportResult> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => undefined);
  const pending = await PendingStore.create(config.into, config.overwrite);
  const writers: NodeTableWriter[] = [];
  let workers: WorkerPool | undefined;
  let threads = config.threads;
  const pool = (): WorkerPool => (workers ??= WorkerPool.start(threads, options.signal));
  try {
    const prepared = await prepareImport(config, options, fullInference);
    const { files, schema } = prepared;
    const clock = phaseClock(emit);
    const quote = config.quote.charCodeAt(0);
    const arrayDelimiter = config.arrayDelimiter.charCodeAt(0);
    const expected = new Map(schema.spaces.map((s) => [s.name, expectedNodes(prepared, files, s.name)]));
    const memory = memoryFor(config, prepared, expected, options.maxPartitionEdges);
    threads = memory.threads;
    const indexes = new Map(schema.spaces.map((s) => [s.name, new IdIndex(s.kind, expected.get(s.name), s.tables.length === 1 ? s.tables[0] : -1, memory.indexLoad)]));
    for (const [t, table] of schema.nodeTables.entries()) {
      const kind = table.space === null ? null : indexes.get(table.space)!.kind;
      writers.push(new NodeTableWriter(table, kind, await pending.path(`nodes/${t}.arrow`), quote, arrayDelimiter));
    }
    const storeFiles: StoreFileEntry[] = [];
    let bytesRead = 0;

    clock.start('nodes', sumBytes(files, 'node'));
    let nodeRows = 0;
    for (const [i, file] of files.entries()) {
      if (file.kind !== 'node') continue;
      nodeRows += await loadNodeFile(file, i, { schema, writers, indexes, arrayDelimiter: config.arrayDelimiter, verifyKinds: prepared.verifyKinds[i] }, config.batchSize,
        clock.progress('nodes', file.path, options.signal));
      bytesRead += file.size;
    }
    for (const [t, writer] of writers.entries()) storeFiles.push({ path: `nodes/${t}.arrow`, ...(await writer.close()) });
    for (const index of indexes.values()) index.freeze();
    clock.end('nodes', nodeRows);

    const nodeCounts = writers.map((w) => w.rowCount);
    const { srcPartitions, dstPartitions } = await partitionTables(files, indexes, nodeCounts, memory.plan);
    const spillDir = memory.streaming ? dirname(await pending.path('.spill/rel-0.spill')) : undefined;
    clock.start('relationships', sumBytes(files, 'relationship'));
    const relProgress = clock.counter('relationships', options.signal);
    const rel = await loadRelationships({
      files, schema, indexes, verifyKinds: prepared.verifyKinds, bytesPerRow: prepared.bytesPerRow, partitions: srcPartitions,
      partitionCount: memory.plan.partitions, relationshipBytes: sumBytes(files, 'relationship'),
      threads, batchRows: config.batchSize, arrayDelimiter, spillDir, signal: options.signal, pool,
      onRange: (rows, bytes, file) => relProgress(rows, bytes, file),
    });
    for (const f of files) if (f.kind === 'relationship') bytesRead += f.size;
    clock.end('relationships', rel.rows);

    clock.start('csr', undefined, rel.rows);
    const csrProgress = clock.counter('csr', options.signal);
    let edgesDone = 0;
    const built = await buildRelTables({
      blocks: rel.blocks, spillFiles: rel.spillFiles, files, columnTypes: schema.columnTypes, nodeCounts,
      labels: schema.nodeTables.map((t) => t.label), srcPartitions, dstPartitions, quote, arrayDelimiter,
      resolvePath: (p) => pending.path(p), backwardSpill: spillDir === undefined ? undefined : join(spillDir, 'bwd'), threads, pool, signal: options.signal,
      onProgress: (edges) => {
        csrProgress(edges - edgesDone, 0, '');
        edgesDone = edges;
      },
    });
    await workers?.close();
    if (spillDir !== undefined) await rm(spillDir, { recursive: true, force: true });
    storeFiles.push(...built.files);
    const relTables = built.tables;
    clock.end('csr', rel.rows);

    clock.start('commit');
    checkAborted(options.signal);
    const manifest = buildManifest(schema, writers, indexes, relTables, storeFiles);
    await pending.writeSmallFile('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    await pending.commit();
    clock.end('commit', 0);
    const result: ImportResult = {
      store: config.into,
      nodeTables: manifest.nodeTables.map((t) => ({ label: t.label, count: t.count })),
      relationshipTables: relTables.map((t) => ({ type: t.type, from: t.from, to: t.to, count: t.count })),
      nodes: nodeRows,
      relationships: rel.rows,
      bytesRead,
      storeBytes: storeFiles.reduce((n, f) => n + f.bytes, 0),
      durationMs: performance.now() - started,
      phaseMs: clock.durations,
      engine: {
        path: memory.streaming ? 'streaming' : 'in-memory',
        threads: rel.tasksPerWorker.length,
        ranges: rel.ranges,
        rangesReread: rel.redone,
        partitions: memory.plan.partitions,
        memoryBudget: config.memoryBudget,
        idIndexBytes: [...indexes.values()].reduce((n, x) => n + x.byteLength, 0),
        relationshipTaskMs: rel.taskMs,
        tasksPerWorker: rel.tasksPerWorker,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        phasePeakRssBytes: clock.peakRss,
      },
    };
    emit({ type: 'end', result });
    return result;
  } catch (err) {
    await workers?.close();
    await Promise.all(writers.map((w) => w.abort()));
    await pending.discard();
    throw toImportError(err);
  }
}

/**
 * CSR partitions per node table, as sources and as targets. One partition per table on the in-memory path; on the
 * streaming path each table gets partitions in proportion to its share of sampled edges, balanced on where those
 * edges fall (see balancedPartitioning), so skewed degrees do not put most edges into one partition.
 */
async function partitionTables(
  files: InputFile[], indexes: Map<string, IdIndex>, nodeCounts: number[], plan: MemoryPlan,
): Promise<{ srcPartitions: Partitioning[]; dstPartitions: Partitioning[] }> {
  if (plan.partitions <= 1) {
    const single = nodeCounts.map((n) => singlePartition(n));
    return { srcPartitions: single, dstPartitions: single };
  }
  const sample = await sampleEndpoints(files, indexes, nodeCounts.length);
  const share = (rows: number[]): number => (sample.edges === 0 ? 1 : rows.length / sample.edges);
  const parts = (rows: number[]): number => Math.max(1, Math.ceil(plan.partitions * share(rows)));
  return {
    srcPartitions: nodeCounts.map((n, t) => balancedPartitioning(n, parts(sample.sources[t]), sample.sources[t])),
    dstPartitions: nodeCounts.map((n, t) => balancedPartitioning(n, parts(sample.targets[t]), sample.targets[t])),
  };
}

/**
 * Chooses the path, the worker threads and the CSR partitioning within the memory budget. Threads beyond what the
 * work can use cost nothing; threads the budget cannot hold are not started (the budget wins over the default
 * thread count); only a budget that cannot hold even one worker fails, up front.
 */
function memoryFor(
  config: StreamingConfig, prepared: PreparedImport, expected: Map<string, number>, maxPartitionEdges = Infinity,
): { streaming: boolean; threads: number; plan: MemoryPlan; indexLoad: number } {
  const { files, schema } = prepared;
  let edges = 0;
  let propBytes = 0;
  let relBytes = 0;
  files.forEach((f, i) => {
    if (f.kind !== 'relationship') return;
    const perRow = prepared.bytesPerRow[i] ?? 64;
    const data = Math.max(0, f.size - f.dataStart);
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
      const data = Math.max(0, f.size - f.dataStart);
      const bytes = Math.min(data, rangeBytesFor(config.batchSize, prepared.bytesPerRow[i] ?? 64, relBytes, partitions));
      rangeBytes = Math.max(rangeBytes, bytes);
      ranges += Math.max(1, Math.ceil(data / Math.max(1, bytes)));
    });
    return { rangeBytes, ranges };
  };
  let { rangeBytes, ranges } = rangesFor(1);
  const indexBytesAt = (load: number): number => schema.spaces.reduce((n, s) => n + idIndexBytes(s.kind, expected.get(s.name) ?? 0, s.tables.length === 1, load), 0);
  let threads = Math.max(1, Math.min(config.threads, ranges));
  let indexLoad = TARGET_LOAD;
  const inputs = (t: number) => ({
    budget: config.memoryBudget, threads: t, rangeBytes, indexBytes: indexBytesAt(indexLoad), edges, propertyBytesPerEdge: edges > 0 ? propBytes / edges : 0,
  });
  const fits = (t: number): boolean => fitsBudget(inputs(t));
  while (threads > 1 && !fits(threads)) threads--;
  // A tight budget packs the ID index denser before giving up.
  if (!fits(threads)) indexLoad = TIGHT_LOAD;
  let streaming = config.mode === 'streaming' || (config.mode === 'auto' && prepared.plan.totalBytes >= config.streamingThreshold);
  let plan = planMemory({ ...inputs(threads), streaming });
  const inMemoryBytes = edges * (CSR_BYTES_PER_EDGE + 2 * inputs(threads).propertyBytesPerEdge);
  if (!streaming && inMemoryBytes > plan.csrBytes) {
    if (config.mode === 'in-memory') {
      throw new ImportError('GI_MEMORY_BUDGET', `the in-memory path needs about ${Math.ceil(inMemoryBytes / 2 ** 20)} MiB for ${Math.round(edges)} relationships, more than the ${Math.floor(plan.csrBytes / 2 ** 20)} MiB the budget leaves`, {
        hint: 'use --mode streaming (or auto), or raise --memory-budget',
      });
    }
    streaming = true;
    plan = planMemory({ ...inputs(threads), streaming });
  }
  if (plan.partitions > 1) {
    // Many partitions make ranges larger (see rangeBytesFor): plan again with what workers will then hold.
    ({ rangeBytes, ranges } = rangesFor(plan.partitions));
    while (threads > 1 && !fits(threads)) threads--;
    plan = planMemory({ ...inputs(threads), streaming });
  }
  if (streaming && plan.partitionEdges > maxPartitionEdges) {
    plan = { ...plan, partitionEdges: maxPartitionEdges, partitions: Math.max(1, Math.ceil(edges / maxPartitionEdges)) };
  }
  return { streaming, threads, plan, indexLoad };
}

function buildManifest(
  schema: GraphSchema, writers: NodeTableWriter[], indexes: Map<string, IdIndex>, relTables: Manifest['relationshipTables'], files: StoreFileEntry[],
): Manifest {
  return {
    format: STORE_FORMAT,
    formatVersion: STORE_FORMAT_VERSION,
    createdBy: `graph-import ${VERSION}`,
    nodeTables: schema.nodeTables.map((t, i) => ({
      label: t.label,
      count: writers[i].rowCount,
      idSpace: t.space,
      idName: t.idName,
      idType: t.space === null ? null : indexes.get(t.space)!.kind === 'int' ? 'int64' : 'string',
      properties: t.properties.map((p) => ({ name: p.name, type: typeToManifest(p.type) })),
      hasLabels: t.hasLabels,
      file: `nodes/${i}.arrow`,
    })),
    relationshipTables: relTables,
    files: files.map((f) => ({ path: f.path, bytes: f.bytes, crc32: f.crc32 })),
  };
}

function expectedNodes(prepared: PreparedImport, files: InputFile[], space: string): number {
  let n = 0;
  files.forEach((f, i) => {
    if (f.kind === 'node' && idColumnSpec(f.layout)?.space === space) n += prepared.rows[i] ?? Math.ceil((f.size - f.dataStart) / (prepared.bytesPerRow[i] ?? 32));
  });
  return n;
}

function sumBytes(files: InputFile[], kind: InputFile['kind']): number {
  return files.filter((f) => f.kind === kind).reduce((n, f) => n + f.size - f.dataStart, 0);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
}

/** Times phases and turns batch boundaries into progress events. */
function phaseClock(emit: EventSink) {
  const starts = new Map<Phase, number>();
  const durations: Partial<Record<Phase, number>> = {};
  /** Process peak RSS (bytes, all threads) when each phase ended: shows which phase set the peak. */
  const peakRss: Partial<Record<Phase, number>> = {};
  const phaseTotals = new Map<Phase, { rows: number; bytes: number; batches: number }>();
  /** Adds one finished batch to its phase's totals and emits them. */
  const add = (phase: Phase, file: string, rows: number, bytes: number): void => {
    const totals = phaseTotals.get(phase) ?? { rows: 0, bytes: 0, batches: 0 };
    phaseTotals.set(phase, totals);
    totals.rows += rows;
    totals.bytes += bytes;
    totals.batches++;
    const shown = file === '' ? '' : relative('.', file) || file;
    emit({ type: 'progress', phase, file: shown, ...totals, elapsedMs: performance.now() - (starts.get(phase) ?? 0) });
  };
  return {
    durations,
    peakRss,
    start(phase: Phase, totalBytes?: number, totalRows?: number): void {
      starts.set(phase, performance.now());
      emit({ type: 'phase-start', phase, totalBytes, totalRows });
    },
    end(phase: Phase, rows: number): void {
      durations[phase] = performance.now() - (starts.get(phase) ?? performance.now());
      peakRss[phase] = process.resourceUsage().maxRSS * 1024;
      emit({ type: 'phase-end', phase, rows, elapsedMs: durations[phase]! });
    },
    /** A callback for work finished in any order (parallel ranges): rows and bytes are added to the phase's totals. */
    counter(phase: Phase, signal: AbortSignal | undefined) {
      return (rows: number, bytes: number, file: string): void => {
        if (signal?.aborted !== true) add(phase, file, rows, bytes);
      };
    },
    /** A batch callback for one file (bytes done so far in the file); stops the import once the signal aborts. */
    progress(phase: Phase, file: string, signal: AbortSignal | undefined) {
      let done = 0;
      return (batchRows: number, bytesDone: number): void => {
        checkAborted(signal);
        add(phase, file, batchRows, bytesDone - done);
        done = bytesDone;
      };
    },
  };
}
