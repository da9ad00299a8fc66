import type { StreamingConfig } from '../config/streaming-config.js';
import { type ImportPlan, planImport } from '../plan/plan-import.js';
import type { InferredKind } from '../schema/infer-types.js';
import { type GraphSchema, type SniffedFacts, buildGraphSchema } from '../schema/graph-schema.js';
import { idColumnSpec } from '../schema/file-layout.js';
import { type InputFile, resolveInputs } from '../schema/resolve-inputs.js';
import type { EventSink } from './events.js';
import type { DecodedInput } from './decode-inputs.js';
import { badRowPolicy } from './bad-rows.js';
import { PhaseClock, checkAborted } from './phase-clock.js';
import { columnsToInfer, sniffFile } from './sniff-files.js';

/** What the sniff takes besides the config. */
export interface PrepareOptions {
  onEvent?: EventSink;
  signal?: AbortSignal;
  /** Bytes of each file read up front for type inference (default SAMPLE_BYTES); for tests and tuning. */
  sampleBytes?: number;
  /** Called with the input files once they are known, before their samples are read. */
  onFilesResolved?: (files: InputFile[]) => void;
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
  config: StreamingConfig, options: PrepareOptions = {}, fullInference: ReadonlySet<string> = new Set(), decoded: ReadonlyMap<string, DecodedInput> = new Map(),
): Promise<PreparedImport> {
  const emit = options.onEvent ?? (() => undefined);
  const files = await resolveInputs(config, decoded);
  options.onFilesResolved?.(files);
  const clock = new PhaseClock(emit);
  clock.start('sniff', { files: files.map((f) => ({ path: f.path, bytes: f.size })) });
  const facts: (SniffedFacts | undefined)[] = [];
  const rows: (number | undefined)[] = [];
  const bytesPerRow: (number | undefined)[] = [];
  const verifyKinds: ((InferredKind | null)[] | undefined)[] = [];
  const policy = badRowPolicy(config);
  const rules = { extraOk: policy.ignoreExtraColumns, skipHeaders: config.autoSkipSubsequentHeaders };
  for (const file of files) {
    const infer = columnsToInfer(file, config.idType !== 'auto');
    checkAborted(options.signal);
    // A :LABEL column decides which node tables exist, so such files are read whole; others are sampled.
    const sample = (file.kind === 'relationship' || file.layout.labelColumn < 0) && !fullInference.has(file.path) ? (options.sampleBytes ?? SAMPLE_BYTES) : Infinity;
    const stats = await sniffFile(file, infer, config.batchSize, config.arrayDelimiter, sample, rules);
    facts.push(stats);
    if (file.native !== undefined) {
      // Read in place: its rows are counted in its record batches' headers, and its types are the Arrow types.
      rows.push(file.native.rows);
      bytesPerRow.push(file.native.rows > 0 ? file.native.bytes / file.native.rows : undefined);
      verifyKinds.push(undefined);
      continue;
    }
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

/** Node IDs expected in ID space `space`: counted where a file was read whole, else estimated from its bytes. */
export function expectedNodes(prepared: PreparedImport, files: InputFile[], space: string): number {
  let n = 0;
  files.forEach((f, i) => {
    if (f.kind === 'node' && idColumnSpec(f.layout)?.space === space) n += prepared.rows[i] ?? Math.ceil((f.size - f.dataStart) / (prepared.bytesPerRow[i] ?? 32));
  });
  return n;
}
