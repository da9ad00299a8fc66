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
