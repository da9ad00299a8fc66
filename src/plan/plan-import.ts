import type { StreamingConfig } from '../config/streaming-config.js';
import type { SettingSource } from '../input/header-reader.js';
import type { GraphSchema } from '../schema/graph-schema.js';
import { type InputFile, dataBytes } from '../schema/resolve-inputs.js';
import { formatType } from '../schema/types.js';

/** One file in the plan: what it feeds and how it is read. */
export interface PlannedFile {
  path: string;
  kind: 'node' | 'relationship';
  /** Node tables (labels) or relationship type the file feeds; `:LABEL`/`:TYPE` files name theirs per row. */
  target: string;
  bytes: number;
  /** Data rows, when a data pass counted them. */
  rows?: number;
  /** True for an Arrow IPC file whose record batches are read in place, not converted to text first. */
  readInPlace?: boolean;
  delimiter: string;
  delimiterSource: SettingSource;
  /** Column -> type as read, with where the type came from. */
  columns: { name: string; role: string; type?: string; typeSource?: 'header' | 'inferred' | 'default' }[];
}

/** How the engine will run, decided from the plan, the sample and the memory budget (estimates are labelled). */
export interface EnginePlan {
  path: 'streaming' | 'in-memory';
  /** Why that path, in words. */
  pathReason: string;
  threads: number;
  /** CSR source partitions (1 on the in-memory path). */
  partitions: number;
  memoryBudget: number;
  /** Upper bound of the ID index (a sequential or dense integer space ends up smaller, see id-index.ts). */
  idIndexBytes: number;
  /** Relationship rows, estimated from the sampled bytes per row. */
  estimatedRelationships: number;
  estimatedNodes: number;
  /** Peak RSS the memory model expects (never above the budget). */
  estimatedPeakBytes: number;
  estimatedStoreBytes: number;
}

/** The whole import as data: what `--dry-run` prints and what exec runs. */
export interface ImportPlan {
  into: string;
  overwrite: boolean;
  batchSize: number;
  /** The quote character, and whether it came from --quote, detection on the files, or the default. */
  quote: string;
  quoteSource: SettingSource;
  totalBytes: number;
  files: PlannedFile[];
  nodeTables: { label: string; idSpace: string | null; properties: { name: string; type: string }[] }[];
  idSpaces: { name: string; kind: string; tables: string[] }[];
  phases: string[];
  /** Set once the engine is planned (runImport, and --dry-run). */
  engine?: EnginePlan;
}

/** Describes an import from its resolved inputs and schema; pure. */
export function planImport(config: StreamingConfig, files: InputFile[], schema: GraphSchema, rows: (number | undefined)[]): ImportPlan {
  return {
    into: config.into,
    overwrite: config.overwrite,
    batchSize: config.batchSize,
    quote: files[0]?.quote ?? config.quote,
    quoteSource: files[0]?.quoteSource ?? 'default',
    totalBytes: files.reduce((n, f) => n + dataBytes(f), 0),
    files: files.map((f, i) => planFile(f, schema, i, rows[i])),
    nodeTables: schema.nodeTables.map((t) => ({
      label: t.label, idSpace: t.space, properties: t.properties.map((p) => ({ name: p.name, type: formatType(p.type) })),
    })),
    idSpaces: schema.spaces.map((s) => ({ name: s.name, kind: s.kind, tables: s.tables.map((t) => schema.nodeTables[t].label) })),
    phases: ['sniff', 'nodes', 'relationships', 'csr', 'commit'],
  };
}

function planFile(f: InputFile, schema: GraphSchema, i: number, rows: number | undefined): PlannedFile {
  const routing = schema.nodeRouting[i];
  let target: string;
  if (routing !== undefined) {
    const labels = [...(routing.byLabel?.keys() ?? [])];
    if (routing.fixedTable >= 0) labels.push(schema.nodeTables[routing.fixedTable].label);
    target = labels.join(', ');
  } else {
    target = f.fixedName ?? (f.layout.typeColumn >= 0 ? `(per row, :TYPE; else ${f.stem})` : f.stem);
  }
  const columns = f.layout.columns.map((c, k) => {
    const type = schema.columnTypes[i][k];
    if (c.kind !== 'property') return { name: c.kind === 'id' ? c.name : '', role: c.kind };
    const typeSource = c.type !== undefined ? 'header' as const : f.layout.style === 'plain' ? 'inferred' as const : 'default' as const;
    return { name: c.name, role: 'property', type: type === undefined ? undefined : formatType(type), typeSource };
  });
  return { path: f.path, kind: f.kind, target, bytes: f.native !== undefined ? f.storedSize : f.size, rows, ...(f.native === undefined ? {} : { readInPlace: true }), delimiter: f.delimiter, delimiterSource: f.delimiterSource, columns };
}
