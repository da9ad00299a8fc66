import type { ImportPlan } from '../plan/plan-import.js';

/** The phases of an import, in order. */
export const PHASES = ['sniff', 'nodes', 'relationships', 'csr', 'commit'] as const;
export type Phase = (typeof PHASES)[number];

/** Counts per table in the result. */
export interface TableCount {
  label?: string;
  type?: string;
  from?: string;
  to?: string;
  count: number;
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

/** Typed events emitted while importing; reporters in cli/ turn them into output. */
export type ImportEvent =
  | { type: 'plan'; plan: ImportPlan }
  | { type: 'phase-start'; phase: Phase; totalBytes?: number; totalRows?: number }
  | { type: 'progress'; phase: Phase; file: string; rows: number; bytes: number; batches: number; elapsedMs: number }
  | { type: 'phase-end'; phase: Phase; rows: number; elapsedMs: number }
  | { type: 'end'; result: ImportResult };

/** Receives events; must not throw. */
export type EventSink = (event: ImportEvent) => void;
