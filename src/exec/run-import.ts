import { relative } from 'node:path';
import type { StreamingConfig } from '../config/streaming-config.js';
import { ImportError, toImportError } from '../errors/import-error.js';
import { type ImportPlan, planImport } from '../plan/plan-import.js';
import { type GraphSchema, type SniffedFacts, buildGraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import { type InputFile, resolveInputs } from '../schema/resolve-inputs.js';
import { type Manifest, STORE_FORMAT, STORE_FORMAT_VERSION, typeToManifest } from '../store/manifest.js';
import { NodeTableWriter } from '../store/node-table-writer.js';
import { type StoreFileEntry, writeRelTables } from '../store/rel-table-writer.js';
import { PendingStore } from '../store/store-dir.js';
import { type EventSink, type ImportResult, type Phase } from './events.js';
import { IdIndex } from './id-index.js';
import { loadNodeFile } from './load-nodes.js';
import { loadRelationshipFile } from './load-relationships.js';
import type { RelTypeBuffer } from './rel-buffer.js';
import { columnsToInfer, sniffFile } from './sniff-files.js';
import { VERSION } from '../version.js';

/** Options of a run besides the config: where events go, and a signal that stops the run. */
export interface RunOptions {
  onEvent?: EventSink;
  signal?: AbortSignal;
}

/** Reads headers and (where needed) data to decide the schema, and returns the plan; writes nothing. */
export async function prepareImport(config: StreamingConfig, options: RunOptions = {}): Promise<{ files: InputFile[]; schema: GraphSchema; plan: ImportPlan }> {
  const emit = options.onEvent ?? (() => undefined);
  const files = await resolveInputs(config);
  const clock = phaseClock(emit);
  clock.start('sniff', files.reduce((n, f) => n + f.size, 0));
  const facts: (SniffedFacts | undefined)[] = [];
  const rows: (number | undefined)[] = [];
  for (const file of files) {
    const infer = columnsToInfer(file, config.idType !== 'auto');
    if (file.kind === 'relationship' && infer.length === 0) {
      facts.push(undefined);
      rows.push(undefined);
      continue;
    }
    checkAborted(options.signal);
    const stats = await sniffFile(file, infer, config.batchSize, config.arrayDelimiter);
    facts.push(stats);
    rows.push(stats.rows);
  }
  clock.end('sniff', rows.reduce<number>((n, r) => n + (r ?? 0), 0));
  const schema = buildGraphSchema(files, facts, config.idType);
  const plan = planImport(config, files, schema, rows);
  emit({ type: 'plan', plan });
  return { files, schema, plan };
}

/** Imports the configured files into a new store at `config.into`, atomically: the store appears whole or not at all. */
export async function runImport(config: StreamingConfig, options: RunOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => undefined);
  const pending = await PendingStore.create(config.into, config.overwrite);
  const writers: NodeTableWriter[] = [];
  try {
    const { files, schema, plan } = await prepareImport(config, options);
    const clock = phaseClock(emit);
    const quote = config.quote.charCodeAt(0);
    const arrayDelimiter = config.arrayDelimiter.charCodeAt(0);
    const indexes = new Map(schema.spaces.map((s) => [s.name, new IdIndex(s.kind, expectedNodes(plan, files, s.name))]));
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
      nodeRows += await loadNodeFile(file, i, { schema, writers, indexes, arrayDelimiter: config.arrayDelimiter }, config.batchSize,
        clock.progress('nodes', file.path, options.signal));
      bytesRead += file.size;
    }
    for (const [t, writer] of writers.entries()) storeFiles.push({ path: `nodes/${t}.arrow`, ...(await writer.close()) });
    clock.end('nodes', nodeRows);

    clock.start('relationships', sumBytes(files, 'relationship'));
    const buffers = new Map<string, RelTypeBuffer>();
    let relRows = 0;
    for (const [i, file] of files.entries()) {
      if (file.kind !== 'relationship') continue;
      relRows += await loadRelationshipFile(file, i, { schema, indexes, buffers, quote, arrayDelimiter }, config.batchSize,
        clock.progress('relationships', file.path, options.signal));
      bytesRead += file.size;
    }
    clock.end('relationships', relRows);

    clock.start('csr', undefined, relRows);
    const nodeCounts = writers.map((w) => w.rowCount);
    const labels = schema.nodeTables.map((t) => t.label);
    const relTables: Manifest['relationshipTables'] = [];
    for (const buffer of buffers.values()) {
      checkAborted(options.signal);
      const written = await writeRelTables(buffer, relTables.length, nodeCounts, labels, (p) => pending.path(p));
      relTables.push(...written.tables);
      storeFiles.push(...written.files);
    }
    clock.end('csr', relRows);

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
      relationships: relRows,
      bytesRead,
      storeBytes: storeFiles.reduce((n, f) => n + f.bytes, 0),
      durationMs: performance.now() - started,
      phaseMs: clock.durations,
    };
    emit({ type: 'end', result });
    return result;
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    await pending.discard();
    throw toImportError(err);
  }
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

function expectedNodes(plan: ImportPlan, files: InputFile[], space: string): number {
  let n = 0;
  files.forEach((f, i) => {
    if (f.kind === 'node' && idColumnSpec(f.layout)?.space === space) n += plan.files[i].rows ?? 0;
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
  const phaseTotals = new Map<Phase, { rows: number; bytes: number; batches: number; lastFileBytes: number }>();
  return {
    durations,
    start(phase: Phase, totalBytes?: number, totalRows?: number): void {
      starts.set(phase, performance.now());
      emit({ type: 'phase-start', phase, totalBytes, totalRows });
    },
    end(phase: Phase, rows: number): void {
      durations[phase] = performance.now() - (starts.get(phase) ?? performance.now());
      emit({ type: 'phase-end', phase, rows, elapsedMs: durations[phase]! });
    },
    /** A batch callback for one file; rows, bytes and batches in its events count from the start of the phase. */
    progress(phase: Phase, file: string, signal: AbortSignal | undefined) {
      const totals = phaseTotals.get(phase) ?? { rows: 0, bytes: 0, batches: 0, lastFileBytes: 0 };
      phaseTotals.set(phase, totals);
      totals.bytes += totals.lastFileBytes;
      totals.lastFileBytes = 0;
      const shown = relative('.', file) || file;
      return (batchRows: number, bytesDone: number): void => {
        checkAborted(signal);
        totals.rows += batchRows;
        totals.batches++;
        totals.lastFileBytes = bytesDone;
        emit({ type: 'progress', phase, file: shown, rows: totals.rows, bytes: totals.bytes + bytesDone, batches: totals.batches, elapsedMs: performance.now() - (starts.get(phase) ?? 0) });
      };
    },
  };
}
