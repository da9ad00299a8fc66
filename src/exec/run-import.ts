import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { StreamingConfig } from '../config/streaming-config.js';
import { ImportError, toImportError } from '../errors/import-error.js';
import { planEngine } from '../plan/engine-plan.js';
import type { MemoryPlan } from '../plan/memory-plan.js';
import { type Partitioning, balancedPartitioning, singlePartition } from '../plan/partitioning.js';
import type { ImportPlan } from '../plan/plan-import.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import { type InputFile, checkInputsUnchanged, dataBytes } from '../schema/resolve-inputs.js';
import { type Manifest, STORE_FORMAT, STORE_FORMAT_VERSION, typeToManifest } from '../store/manifest.js';
import { NodeTableWriter } from '../store/node-table-writer.js';
import type { StoreFileEntry } from '../store/rel-table-writer.js';
import { PendingStore } from '../store/store-dir.js';
import { VERSION } from '../version.js';
import { RejectLog, RejectWriter, badRowPolicy } from './bad-rows.js';
import { buildRelTables } from './build-rel-tables.js';
import { decodeInputs } from './decode-inputs.js';
import type { ImportResult } from './events.js';
import { IdIndex, type IdKind } from './id-index.js';
import { loadNodeFile } from './load-nodes.js';
import { loadNodeRanges, rangeLoadable } from './load-node-ranges.js';
import { loadArrowNodeFile } from './load-arrow-nodes.js';
import { loadRelationships } from './load-relationships.js';
import { PhaseClock, checkAborted } from './phase-clock.js';
import { type PrepareOptions, expectedNodes, prepareImport } from './prepare-import.js';
import { reclaim } from './reclaim.js';
import { sampleEndpoints } from './sample-endpoints.js';
import { WorkerPool } from './worker-pool.js';

export { SAMPLE_BYTES, prepareImport, type PreparedImport } from './prepare-import.js';

/** Options of a run besides the config: where events go, and a signal that stops the run. */
export interface RunOptions extends PrepareOptions {
  /** Caps the edges per CSR partition on the streaming path (the budget decides otherwise); for tests and tuning. */
  maxPartitionEdges?: number;
  /** Below this many edges the CSR build runs on the main thread (default INLINE_CSR_EDGES); for tests and tuning. */
  inlineCsrEdges?: number;
  /** Node files smaller than this load row by row, not in parallel ranges (default RANGED_NODE_BYTES); for tests and tuning. */
  rangedNodeBytes?: number;
  /** Relationship bytes from which workers start before the sniff (default EARLY_WORKER_BYTES); for tests and tuning. */
  earlyWorkerBytes?: number;
}

/** Relationship bytes from which workers start before the sniff (see startEarly in importOnce). */
const EARLY_WORKER_BYTES = 32 << 20;

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

/**
 * Empties `indexes`, keeping what the manifest and the summary need of them. A helper, for the reason freezeAll
 * is: temporaries holding an index must not outlive this call in importOnce's frame, or the collection after it
 * cannot free the index.
 */
function releaseIndexes(indexes: Map<string, IdIndex>): { idKinds: Map<string, IdKind>; idIndexBytes: number } {
  const idKinds = new Map<string, IdKind>();
  let idIndexBytes = 0;
  for (const [space, index] of indexes) {
    idKinds.set(space, index.kind);
    idIndexBytes += index.byteLength;
  }
  indexes.clear();
  return { idKinds, idIndexBytes };
}

/**
 * Freezes every ID index (see IdIndex.freeze). A helper, not a loop in importOnce: a loop variable there would stay in
 * the suspended async function's registers and keep the last index alive after it is released.
 */
function freezeAll(indexes: Map<string, IdIndex>): void {
  for (const index of indexes.values()) index.freeze();
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
  // Worker threads take about 0.3 s of CPU to start (runtime and modules), and the sniff and the node phase keep
  // one core busy: started as soon as the inputs are known, they boot beside the sniff and are ready for the node
  // ranges and the relationship phase. Small imports, which would not use them, do not pay for them.
  const startEarly = (files: InputFile[]): void => {
    if (threads > 0 && sumBytes(files, 'relationship') >= (options.earlyWorkerBytes ?? EARLY_WORKER_BYTES)) pool();
  };
  try {
    const clock = new PhaseClock(emit);
    const decoded = await decodeInputs(config, (name) => pending.path(`.decoded/${name}`), clock, options.signal);
    const prepared = await prepareImport(config, { ...options, onFilesResolved: startEarly }, fullInference, decoded);
    const { files, schema } = prepared;
    inputs = files;
    log = new RejectLog(badRowPolicy(config), config.rejects === undefined ? undefined : new RejectWriter(config.rejects, files));
    clock.durations.sniff = prepared.sniffMs;
    clock.peakRss.sniff = prepared.sniffPeakRss;
    const quote = prepared.plan.quote.charCodeAt(0);
    const arrayDelimiter = config.arrayDelimiter.charCodeAt(0);
    const expected = new Map(schema.spaces.map((s) => [s.name, expectedNodes(prepared, files, s.name)]));
    const memory = planEngine(config, prepared, expected, options.maxPartitionEdges);
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
    // Workers started early that the plan does not use, or more of them than it has memory for, are let go.
    if (workers !== undefined && (!memory.usesWorkers || workers.size > threads)) {
      await workers.close();
      workers = undefined;
    }
    if (memory.usesWorkers) pool();

    clock.start('nodes', { totalBytes: sumBytes(files, 'node'), files: dataFiles(files, 'node') });
    let nodeRows = 0;
    let nodeRanges = 0;
    let nodeRangesReread = 0;
    const nodeHeaders = config.autoSkipSubsequentHeaders ? { count: 0 } : undefined;
    for (const [i, file] of files.entries()) {
      if (file.kind !== 'node') continue;
      const sinks = { schema, writers, indexes, arrayDelimiter: config.arrayDelimiter, verifyKinds: prepared.verifyKinds[i], rejects: log, skipHeaders: nodeHeaders };
      const progress = clock.fileProgress('nodes', file.path, options.signal);
      const ranged = { threads: memory.usesWorkers ? threads : 0, minBytes: options.rangedNodeBytes, pool, batchRows: config.batchSize, bytesPerRow: prepared.bytesPerRow[i] ?? 64, signal: options.signal };
      if (file.native !== undefined) nodeRows += await loadArrowNodeFile(file, i, sinks, progress);
      else if (rangeLoadable(file, i, sinks, ranged)) {
        const read = await loadNodeRanges(file, i, sinks, ranged, progress);
        nodeRows += read.rows;
        nodeRanges += read.ranges;
        nodeRangesReread += read.reread;
      }
      else nodeRows += await loadNodeFile(file, i, sinks, config.batchSize, progress);
      bytesRead += file.storedSize;
    }
    for (const [t, writer] of writers.entries()) storeFiles.push({ path: `nodes/${t}.arrow`, ...(await writer.close()) });
    await checkInputsUnchanged(files);
    freezeAll(indexes);
    clock.end('nodes', nodeRows);

    const nodeCounts = writers.map((w) => w.rowCount);
    const { srcPartitions, dstPartitions } = await partitionTables(files, indexes, nodeCounts, memory.plan);
    const spillDir = memory.streaming ? dirname(await pending.path('.spill/rel-0.spill')) : undefined;
    const rejectsDir = config.rejects === undefined ? undefined : dirname(await pending.path('.rejects/main.ndjson'));
    clock.start('relationships', { totalBytes: sumBytes(files, 'relationship'), files: dataFiles(files, 'relationship') });
    const rel = await loadRelationships({
      files, schema, indexes, verifyKinds: prepared.verifyKinds, bytesPerRow: prepared.bytesPerRow, partitions: srcPartitions,
      partitionCount: memory.plan.partitions, relationshipBytes: sumBytes(files, 'relationship'), relationshipRows: memory.engine.estimatedRelationships,
      threads, batchRows: config.batchSize, arrayDelimiter, spillDir, signal: options.signal, pool, rejects: log, rejectsDir,
      skipHeaders: config.autoSkipSubsequentHeaders,
      onBatch: (rows, bytes, file) => {
        if (options.signal?.aborted !== true) clock.batch('relationships', file, rows, bytes);
      },
    });
    for (const f of files) if (f.kind === 'relationship') bytesRead += f.storedSize;
    // Every endpoint is resolved: the ID index (the one structure that grows with the node count) is released here,
    // so the CSR phase has its memory (see planMemory). Workers dropped their views when their task ended.
    const { idKinds, idIndexBytes } = releaseIndexes(indexes);
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
    if (decoded.size > 0) await rm(dirname([...decoded.values()][0].path), { recursive: true, force: true });
    storeFiles.push(...built.files);
    const relTables = built.tables;
    clock.end('csr', rel.rows);

    clock.start('commit');
    checkAborted(options.signal);
    const manifest = buildManifest(schema, writers, idKinds, relTables, storeFiles);
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
        nodeRanges,
        nodeRangesReread,
        partitions: memory.plan.partitions,
        memoryBudget: config.memoryBudget,
        idIndexBytes,
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
    for (const w of writers) w.abort();
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

/** Plans an import without running it: the schema plan plus how the engine would run it (for --dry-run). */
export async function planImportRun(config: StreamingConfig, options: RunOptions = {}): Promise<ImportPlan> {
  // Compressed or Latin-1 inputs are decoded to read their headers and samples, into a directory removed afterwards.
  const scratch = await mkdtemp(join(tmpdir(), 'graph-import-plan-'));
  try {
    const decoded = await decodeInputs(config, async (name) => join(scratch, name), new PhaseClock(options.onEvent ?? (() => undefined)), options.signal);
    const prepared = await prepareImport(config, options, new Set(), decoded);
    const expected = new Map(prepared.schema.spaces.map((s) => [s.name, expectedNodes(prepared, prepared.files, s.name)]));
    const memory = planEngine(config, prepared, expected, options.maxPartitionEdges);
    return { ...prepared.plan, engine: memory.engine };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function buildManifest(
  schema: GraphSchema, writers: NodeTableWriter[], idKinds: Map<string, IdKind>, relTables: Manifest['relationshipTables'], files: StoreFileEntry[],
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
      idType: t.space === null ? null : idKinds.get(t.space) === 'int' ? 'int64' : 'string',
      properties: t.properties.map((p) => ({ name: p.name, type: typeToManifest(p.type) })),
      hasLabels: t.hasLabels,
      file: `nodes/${i}.arrow`,
    })),
    relationshipTables: relTables,
    files: files.map((f) => ({ path: f.path, bytes: f.bytes, crc32: f.crc32 })),
  };
}

function dataFiles(files: InputFile[], kind: InputFile['kind']): { path: string; bytes: number }[] {
  return files.filter((f) => f.kind === kind).map((f) => ({ path: f.path, bytes: dataBytes(f) }));
}

function sumBytes(files: InputFile[], kind: InputFile['kind']): number {
  return files.filter((f) => f.kind === kind).reduce((n, f) => n + dataBytes(f), 0);
}
