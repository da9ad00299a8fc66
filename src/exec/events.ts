import type { ImportPlan } from '../plan/plan-import.js';

/** The phases of an import, in order (`decode` only when an input is compressed or not UTF-8). */
export const PHASES = ['decode', 'sniff', 'nodes', 'relationships', 'csr', 'commit'] as const;
export type Phase = (typeof PHASES)[number];

/** Counts per table in the result. */
export interface TableCount {
  label?: string;
  type?: string;
  from?: string;
  to?: string;
  /** Rows imported. */
  count: number;
  /** Rows skipped, by reason (error code); empty when none were. */
  skipped: Record<string, number>;
  /** Property names and types, in column order. */
  properties: { name: string; type: string }[];
}

/** What a finished import did. */
export interface ImportResult {
  store: string;
  nodeTables: TableCount[];
  relationshipTables: TableCount[];
  nodes: number;
  relationships: number;
  bytesRead: number;
  storeBytes: number;
  durationMs: number;
  phaseMs: Partial<Record<Phase, number>>;
  /** Rows (nodes + relationships) and input bytes per second of the whole import. */
  throughput: { rowsPerSecond: number; bytesPerSecond: number };
  /** Peak resident memory of the whole process (all threads). */
  peakRssBytes: number;
  /** Rows skipped as bad (see --max-bad-rows and the --skip flags): total, by reason code, and per input file. */
  skipped: { rows: number; byReason: Record<string, number>; byFile: Record<string, Record<string, number>> };
  /** The rejects report, when one was asked for. */
  rejectsReport?: string;
  /** Lines repeating a header that --auto-skip-subsequent-headers passed over (not data, not counted as skipped). */
  repeatedHeadersSkipped: number;
  /** How the engine ran: path, parallelism and memory figures. */
  engine: EngineFacts;
}

/** How an import ran (the parallel part aggregated). */
export interface EngineFacts {
  path: 'streaming' | 'in-memory';
  /** Worker threads used for the relationship phase (0: a single range, read on the main thread). */
  threads: number;
  /** Byte ranges the relationship files were cut into, and how many were re-read after a wrong start guess. */
  ranges: number;
  rangesReread: number;
  /**
   * Byte ranges node files were read in by worker threads (0: every node file was read row by row on the main
   * thread), and how many of them were re-read after a wrong start guess.
   */
  nodeRanges: number;
  nodeRangesReread: number;
  /** Source partitions of the CSR build (1 on the in-memory path). */
  partitions: number;
  memoryBudget: number;
  idIndexBytes: number;
  /** Relationship task time summed over workers, and tasks each worker ran. */
  relationshipTaskMs: number;
  tasksPerWorker: number[];
  /** Peak resident memory of the whole process (all threads), and the peak so far at the end of each phase. */
  peakRssBytes: number;
  phasePeakRssBytes: Partial<Record<Phase, number>>;
}

/** Things worth telling the user that do not stop the import (a closed set, documented in docs/OUTPUT.md). */
export const WARNING_CODES = [
  /** A value past the sampled part of a file did not fit the sampled type: the import restarts with that file read whole. */
  'GI_W_INFERENCE_RESTART',
  /** The memory budget holds fewer worker threads than asked for. */
  'GI_W_THREADS_LIMITED',
  /** The input is under --streaming-threshold but the in-memory path would not fit the budget: streaming instead. */
  'GI_W_STREAMING_FORCED',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Progress totals of a phase so far (monotonic within the phase). */
export interface PhaseTotals {
  rows: number;
  bytes: number;
  batches: number;
}

/**
 * Typed events emitted while importing; reporters in cli/ turn them into output. `progress` comes at every batch
 * boundary (on the main thread or in a worker) with the phase's running totals; `phase-end` has the exact totals.
 */
export type ImportEvent =
  | { type: 'plan'; plan: ImportPlan }
  | { type: 'phase-start'; phase: Phase; totalBytes?: number; totalRows?: number; files: number }
  | ({ type: 'progress'; phase: Phase; file: string; elapsedMs: number; filesDone: number; files: number } & PhaseTotals)
  | { type: 'phase-end'; phase: Phase; rows: number; bytes: number; elapsedMs: number; rssBytes: number; peakRssBytes: number; heapUsedBytes: number }
  | { type: 'warning'; code: WarningCode; message: string; file?: string }
  | { type: 'end'; result: ImportResult };

/** Receives events; must not throw. */
export type EventSink = (event: ImportEvent) => void;
