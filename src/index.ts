/** The graph-import library: everything the CLI does is available here. */
export { normalizeConfig, parseGroupSpec, type StreamingConfig, type ConfigInput, type InputGroup } from './config/streaming-config.js';
export { ImportError, ERROR_CODES, type ErrorCode, isImportError } from './errors/import-error.js';
export { runImport, prepareImport, type RunOptions } from './exec/run-import.js';
export type { ImportEvent, ImportResult, Phase } from './exec/events.js';
export type { ImportPlan } from './plan/plan-import.js';
export { openGraph, NodeTable, RelTable, type Graph, type Neighbor } from './read/open-graph.js';
export type { Value } from './read/column-values.js';
export { verifyStore, type VerifyReport } from './read/verify-store.js';
export { exportCsv, type ExportOptions, type ExportResult } from './read/export-csv.js';
export { storeInfo, type StoreInfo } from './read/store-info.js';
export { scanRows, ScanBatch } from './input/scanner.js';
