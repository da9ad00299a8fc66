import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { compressionOf, decodeTo, zstdUnsupported } from '../input/decode-input.js';
import type { StreamingConfig } from '../config/streaming-config.js';
import { ImportError, toImportError } from '../errors/import-error.js';
import { CSR_BYTES_PER_EDGE, type MemoryPlan, fitsBudget, idIndexBytes, planMemory } from '../plan/memory-plan.js';
import { type Partitioning, balancedPartitioning, singlePartition } from '../plan/partitioning.js';
import { type EnginePlan, type ImportPlan, planImport } from '../plan/plan-import.js';
import { rangeBytesFor } from '../plan/split-ranges.js';
import type { InferredKind } from '../schema/infer-types.js';
import { type GraphSchema, type SniffedFacts, buildGraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import { type InputFile, checkInputsUnchanged, resolveInputs } from '../schema/resolve-inputs.js';
import { type Manifest, STORE_FORMAT, STORE_FORMAT_VERSION, typeToManifest } from '../store/manifest.js';
import { NodeTableWriter } from '../store/node-table-writer.js';
import type { StoreFileEntry } from '../store/rel-table-writer.js';
import { PendingStore } from '../store/store-dir.js';
import type { EventSink, ImportResult, WarningCode } from './events.js';
import { PhaseClock, checkAborted } from './phase-clock.js';
import { reclaim } from './reclaim.js';
import { RejectLog, RejectWriter, badRowPolicy } from './bad-rows.js';
import { IdIndex, TARGET_LOAD, TIGHT_LOAD } from './id-index.js';
import { loadNodeFile } from './load-nodes.js';
import { INLINE_CSR_EDGES, buildRelTables } from './build-rel-tables.js';
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
  /** Below this many edges the CSR build runs on the main thread (default INLINE_CSR_EDGES); for tests and tuning. */
  inlineCsrEdges?: number;
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
  /** Time the sniff (headers, samples, label scans) took, and the process peak RSS at its end. */
  sniffMs: number;
  sniffPeakRss: number;
}

/**
 * Reads headers and data to decide the schema, and returns the plan; writes nothing. Files are read in their first
 * SAMPLE_BYTES only, except node files with a :LABEL column (their labels decide the tables) and files listed in
 * `fullInference` (after a sample guessed wrong).
 */
export async function prepareImport(
  config: StreamingConfig, options: RunOptions = {}, fullInference: ReadonlySet<string> = new Set(), decoded: ReadonlyMap<string, string> = new Map(),
): Promise<PreparedImport> {
  const emit = options.onEvent ?? (() => undefined);
  const files = await resolveInputs(config, decoded);
  const clock = new PhaseClock(emit);
  clock.start('sniff', { files: files.map((f) => ({ path: f.path, bytes: f.size })) });
  const facts: (SniffedFacts | undefined)[] = [];
  const rows: (number | undefined)[] = [];
  const bytesPerRow: (number | undefined)[] = [];
  const verifyKinds: ((InferredKind | null)[] | undefined)[] = [];
  const policy = badRowPolicy(config);
  const widths = { extraOk: policy.ignoreExtraColumns, skipHeaders: config.autoSkipSubsequentHeaders };
  for (const file of files) {
    const infer = columnsToInfer(file, config.idType !== 'auto');
    checkAborted(options.signal);
    // A :LABEL column decides which node tables exist, so such files are read whole; others are sampled.
    const sample = (file.kind === 'relationship' || file.layout.labelColumn < 0) && !fullInference.has(file.path) ? (options.sampleBytes ?? SAMPLE_BYTES) : Infinity;
    const stats = await sniffFile(file, infer, config.batchSize, config.arrayDelimiter, sample, widths);
    facts.push(stats);
    rows.push(stats.sampled ? undefined : stats.rows);
    bytesPerRow.push(stats.rows > 0 && stats.bytes > 0 ? stats.bytes / stats.rows : undefined);
    // A string column holds anything: only narrower kinds need checking against later values.
    verifyKinds.push(stats.sampled ? file.layout.columns.map((_, c) => (infer.includes(c) && stats.kinds[c] !== 'string' ? stats.kinds[c] : null)) : undefined);
  }
  clock.end('sniff', rows.reduce<number>((n, r) => n + (r ?? 0), 0));
  const schema = buildGraphSchema(files, facts, config.idType);
  const plan = planImport(config, files, schema, rows);
  return { files, schema, plan, bytesPerRow, rows, verifyKinds, sniffMs: clock.durations.sniff ?? 0, sniffPeakRss: clock.peakRss.sniff ?? 0 };
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
      options.onEvent?.({
        type: 'warning', code: 'GI_W_INFERENCE_RESTART', file: e.file,
        message: `${e.message}; starting again with the file's types inferred from all its rows`,
      });
    }
  }
}

async function importOnce(config: StreamingConfig, options: RunOptions, fullInference: ReadonlySet<string>): Promise<ImportResult> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => undefined);
  const pending = await PendingStore.create(config.into, config.overwrite);
  const writers: NodeTableWriter[] = [];
  let workers: WorkerPool | undefined;
  let log: RejectLog | undefined;
  let inputs: InputFile[] = [];
  let threads = config.threads;
  const pool = (): WorkerPool => (workers ??= WorkerPool.start(threads, options.signal));
  try {
    const clock = new PhaseClock(emit);
    const decoded = await decodeInputs(config, (name) => pending.path(`.decoded/${name}`), clock, options.signal);
    const prepared = await prepareImport(config, options, fullInference, decoded);
    const { files, schema } = prepared;
    inputs = files;
    log = new RejectLog(badRowPolicy(config), config.rejects === undefined ? undefined : new RejectWriter(config.rejects, files));
    clock.durations.sniff = prepared.sniffMs;
    clock.peakRss.sniff = prepared.sniffPeakRss;
    const quote = prepared.plan.quote.charCodeAt(0);
    const arrayDelimiter = config.arrayDelimiter.charCodeAt(0);
    const expected = new Map(schema.spaces.map((s) => [s.name, expectedNodes(prepared, files, s.name)]));
    const memory = memoryFor(config, prepared, expected, options.maxPartitionEdges);
    threads = memory.threads;
    emit({ type: 'plan', plan: { ...prepared.plan, engine: memory.engine } });
    for (const w of memory.warnings) emit({ type: 'warning', ...w });
    const indexes = new Map(schema.spaces.map((s) => [s.name, new IdIndex(s.kind, expected.get(s.name), s.tables.length === 1 ? s.tables[0] : -1, memory.indexLoad)]));
    for (const [t, table] of schema.nodeTables.entries()) {
      const kind = table.space === null ? null : indexes.get(table.space)!.kind;
      writers.push(new NodeTableWriter(table, kind, await pending.path(`nodes/${t}.arrow`), quote, arrayDelimiter));
    }
    const storeFiles: StoreFileEntry[] = [];
    let bytesRead = 0;

    clock.start('nodes', { totalBytes: sumBytes(files, 'node'), files: dataFiles(files, 'node') });
    let nodeRows = 0;
    const nodeHeaders = config.autoSkipSubsequentHeaders ? { count: 0 } : undefined;
    for (const [i, file] of files.entries()) {
      if (file.kind !== 'node') continue;
      nodeRows += await loadNodeFile(file, i, { schema, writers, indexes, arrayDelimiter: config.arrayDelimiter, verifyKinds: prepared.verifyKinds[i], rejects: log, skipHeaders: nodeHeaders }, config.batchSize,
        clock.fileProgress('nodes', file.path, options.signal));
      bytesRead += file.size;
    }
    for (const [t, writer] of writers.entries()) storeFiles.push({ path: `nodes/${t}.arrow`, ...(await writer.close()) });
    await checkInputsUnchanged(files);
    for (const index of indexes.values()) index.freeze();
    clock.end('nodes', nodeRows);

    const nodeCounts = writers.map((w) => w.rowCount);
    const { srcPartitions, dstPartitions } = await partitionTables(files, indexes, nodeCounts, memory.plan);
    const spillDir = memory.streaming ? dirname(await pending.path('.spill/rel-0.spill')) : undefined;
    const rejectsDir = config.rejects === undefined ? undefined : dirname(await pending.path('.rejects/main.ndjson'));
    clock.start('relationships', { totalBytes: sumBytes(files, 'relationship'), files: dataFiles(files, 'relationship') });
    const rel = await loadRelationships({
      files, schema, indexes, verifyKinds: prepared.verifyKinds, bytesPerRow: prepared.bytesPerRow, partitions: srcPartitions,
      partitionCount: memory.plan.partitions, relationshipBytes: sumBytes(files, 'relationship'),
      threads, batchRows: config.batchSize, arrayDelimiter, spillDir, signal: options.signal, pool, rejects: log, rejectsDir,
      skipHeaders: config.autoSkipSubsequentHeaders,
      onBatch: (rows, bytes, file) => {
        if (options.signal?.aborted !== true) clock.batch('relationships', file, rows, bytes);
      },
    });
    for (const f of files) if (f.kind === 'relationship') bytesRead += f.size;
    reclaim('major');
    await checkInputsUnchanged(files);
    log.checkPercent(nodeRows + rel.rows + log.total);
    if (rejectsDir !== undefined) await rm(rejectsDir, { recursive: true, force: true });
    clock.end('relationships', rel.rows);

    clock.start('csr', { totalRows: rel.rows });
    let edgesDone = 0;
    const built = await buildRelTables({
      blocks: rel.blocks, spillFiles: rel.spillFiles, files, columnTypes: schema.columnTypes, nodeCounts,
      labels: schema.nodeTables.map((t) => t.label), srcPartitions, dstPartitions, quote, arrayDelimiter,
      inlineEdges: options.inlineCsrEdges, resolvePath: (p) => pending.path(p), backwardSpill: spillDir === undefined ? undefined : join(spillDir, 'bwd'), threads, pool, signal: options.signal,
      onProgress: (edges) => {
        if (options.signal?.aborted !== true) clock.batch('csr', '', edges - edgesDone, 0);
        edgesDone = edges;
      },
    });
    await workers?.close();
    if (spillDir !== undefined) await rm(spillDir, { recursive: true, force: true });
    if (decoded.size > 0) await rm(dirname([...decoded.values()][0]), { recursive: true, force: true });
    storeFiles.push(...built.files);
    const relTables = built.tables;
    clock.end('csr', rel.rows);

    clock.start('commit');
    checkAborted(options.signal);
    const manifest = buildManifest(schema, writers, indexes, relTables, storeFiles);
    await pending.writeSmallFile('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    await pending.commit();
    clock.end('commit', 0);
    const durationMs = performance.now() - started;
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    const result: ImportResult = {
      store: resolve(config.into),
      nodeTables: manifest.nodeTables.map((t) => ({ label: t.label, count: t.count, skipped: { ...log!.byLabel.get(t.label) }, properties: t.properties })),
      relationshipTables: relTables.map((t) => ({ type: t.type, from: t.from, to: t.to, count: t.count, skipped: {}, properties: t.properties })),
      nodes: nodeRows,
      relationships: rel.rows,
      bytesRead,
      storeBytes: storeFiles.reduce((n, f) => n + f.bytes, 0),
      durationMs,
      phaseMs: clock.durations,
      throughput: { rowsPerSecond: (nodeRows + rel.rows) / Math.max(durationMs / 1000, 1e-3), bytesPerSecond: bytesRead / Math.max(durationMs / 1000, 1e-3) },
      peakRssBytes,
      skipped: {
        rows: log.total,
        byReason: { ...log.byReason },
        byFile: Object.fromEntries([...log.byFile].map(([f, counts]) => [f, { ...counts }])),
      },
      rejectsReport: config.rejects === undefined ? undefined : resolve(config.rejects),
      repeatedHeadersSkipped: (nodeHeaders?.count ?? 0) + rel.headersSkipped,
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
        peakRssBytes,
        phasePeakRssBytes: clock.peakRss,
      },
    };
    emit({ type: 'end', result });
    return result;
  } catch (err) {
    await workers?.close();
    await Promise.all(writers.map((w) => w.abort()));
    await pending.discard();
    throw await explainFailure(toImportError(err), inputs);
  } finally {
    log?.close();
  }
}

/**
 * The error to report for a failed import: when an input changed while it was read, that is the cause (a short
 * read or a range mismatch is only its symptom), so GI_INPUT_CHANGED replaces the error, keeping it as the cause.
 */
async function explainFailure(err: ImportError, files: InputFile[]): Promise<ImportError> {
  if (err.code === 'GI_INTERRUPTED' || err.code === 'GI_INPUT_CHANGED' || err.code === 'GI_INFERENCE_RESTART') return err;
  try {
    await checkInputsUnchanged(files);
  } catch (changed) {
    const c = changed as ImportError;
    return new ImportError(c.code, `${c.reason} (the import then failed with ${err.code})`, { file: c.file, hint: c.hint, cause: err });
  }
  return err;
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
): { streaming: boolean; threads: number; plan: MemoryPlan; indexLoad: number; engine: EnginePlan; warnings: { code: WarningCode; message: string }[] } {
  const warnings: { code: WarningCode; message: string }[] = [];
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
  const usable = Math.max(1, Math.min(config.threads, ranges));
  let threads = usable;
  let indexLoad = TARGET_LOAD;
  // One range and few edges run on the main thread alone (see loadRelationships, INLINE_CSR_EDGES): no worker
  // memory to plan for, which lets a large node file with few relationships keep its whole budget.
  const workersFor = (t: number): number => (ranges <= 1 && edges < INLINE_CSR_EDGES ? 0 : t);
  const inputs = (t: number) => ({
    budget: config.memoryBudget, threads: workersFor(t), rangeBytes, indexBytes: indexBytesAt(indexLoad), edges, propertyBytesPerEdge: edges > 0 ? propBytes / edges : 0,
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
      throw new ImportError('GI_MEMORY_BUDGET', `the in-memory path needs about ${Math.ceil(inMemoryBytes / 2 ** 20)} MiB for ${Math.round(edges)} relationships, more than the ${Math.floor(plan.csrBytes / 2 ** 20)} MiB the budget leaves`, {
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
  const nodes = [...expected.values()].reduce((n, x) => n + x, 0);
  const propertyBytes = inputs(threads).propertyBytesPerEdge;
  const engine: EnginePlan = {
    path: streaming ? 'streaming' : 'in-memory',
    pathReason,
    threads,
    partitions: plan.partitions,
    memoryBudget: config.memoryBudget,
    idIndexBytes: indexBytesAt(indexLoad),
    estimatedRelationships: Math.round(edges),
    estimatedNodes: nodes,
    estimatedPeakBytes: Math.min(config.memoryBudget, plan.fixedBytes + Math.min(plan.csrBytes, edges * (CSR_BYTES_PER_EDGE + 2 * propertyBytes))),
    estimatedStoreBytes: Math.round(estimateStoreBytes(prepared, edges)),
  };
  return { streaming, threads, plan, indexLoad, engine, warnings };
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

/** Plans an import without running it: the schema plan plus how the engine would run it (for --dry-run). */
export async function planImportRun(config: StreamingConfig, options: RunOptions = {}): Promise<ImportPlan> {
  // Compressed or Latin-1 inputs are decoded to read their headers and samples, into a directory removed afterwards.
  const scratch = await mkdtemp(join(tmpdir(), 'graph-import-plan-'));
  try {
    const decoded = await decodeInputs(config, async (name) => join(scratch, name), new PhaseClock(options.onEvent ?? (() => undefined)), options.signal);
    const prepared = await prepareImport(config, options, new Set(), decoded);
    const expected = new Map(prepared.schema.spaces.map((s) => [s.name, expectedNodes(prepared, prepared.files, s.name)]));
    const memory = memoryFor(config, prepared, expected, options.maxPartitionEdges);
    return { ...prepared.plan, engine: memory.engine };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Decodes every input that is not plain UTF-8 text (gzip, told by its first bytes; all inputs with
 * --input-encoding latin1) to a UTF-8 file at `dest(name)`, as a `decode` phase whose progress counts the bytes of
 * the files as stored; returns original path -> decoded path. A zstd input is refused.
 */
async function decodeInputs(
  config: StreamingConfig, dest: (name: string) => Promise<string>, clock: PhaseClock, signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const paths = [...new Set(config.inputs.flatMap((g) => g.files))];
  const todo: { path: string; bytes: number; gzip: boolean }[] = [];
  const latin1 = config.inputEncoding === 'latin1';
  for (const path of paths) {
    const kind = await compressionOf(path);
    if (kind === 'zstd') throw zstdUnsupported(path);
    if (kind === 'gzip' || latin1) todo.push({ path, bytes: (await stat(path)).size, gzip: kind === 'gzip' });
  }
  const decoded = new Map<string, string>();
  if (todo.length === 0) return decoded;
  clock.start('decode', { totalBytes: todo.reduce((n, f) => n + f.bytes, 0), files: todo });
  for (const [i, f] of todo.entries()) {
    const to = await dest(`${i}-${basename(f.path).replace(/\.(gz|gzip)$/i, '')}`);
    await decodeTo(f.path, to, { gzip: f.gzip, latin1 }, (n) => clock.batch('decode', f.path, 0, n), signal);
    decoded.set(f.path, to);
  }
  clock.end('decode', 0);
  return decoded;
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

function dataFiles(files: InputFile[], kind: InputFile['kind']): { path: string; bytes: number }[] {
  return files.filter((f) => f.kind === kind).map((f) => ({ path: f.path, bytes: f.size - f.dataStart }));
}

function sumBytes(files: InputFile[], kind: InputFile['kind']): number {
  return files.filter((f) => f.kind === kind).reduce((n, f) => n + f.size - f.dataStart, 0);
}
