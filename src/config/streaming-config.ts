import { availableParallelism } from 'node:os';
import { ImportError } from '../errors/import-error.js';
import { type BadRowLimit, parseBadRowLimit, parseByteSize, parseChoice, parsePositiveInt, parseSingleChar } from './parse-values.js';

/** A group of input files: `--nodes Label=a.csv,b.csv` (the first file holds the header) or a positional file. */
export interface InputGroup {
  kind: 'node' | 'relationship' | 'auto';
  /** Label (nodes) or relationship type given with `Name=`; undefined derives it from the data. */
  name?: string;
  files: string[];
}

export const ID_TYPES = ['auto', 'string', 'integer'] as const;
/** Text encodings of input files. */
export const INPUT_ENCODINGS = ['utf8', 'latin1'] as const;

/** Execution modes: `auto` picks streaming or in-memory by comparing the total input size with `streamingThreshold`. */
export const MODES = ['auto', 'streaming', 'in-memory'] as const;

/** Upper bound of `--threads`. */
export const MAX_THREADS = 256;

/** Lower bound of `--memory-budget`: 16 MiB. */
export const MIN_MEMORY_BUDGET = 16 * 1024 ** 2;

/** Where a setting's value came from, shown by --dry-run. */
export type ValueSource = 'flag' | 'default';

/** The fully defaulted, validated and frozen configuration of one import. */
export interface StreamingConfig {
  readonly inputs: readonly InputGroup[];
  readonly into: string;
  readonly overwrite: boolean;
  /** undefined: detected per file from its first line. */
  readonly delimiter?: string;
  readonly quote: string;
  readonly arrayDelimiter: string;
  readonly idType: (typeof ID_TYPES)[number];
  /** Rows per batch: the unit of reading, progress and (with the worker pool) work reservation. */
  readonly batchSize: number;
  /** Worker threads (count); defaults to os.availableParallelism(), capped at MAX_THREADS. */
  readonly threads: number;
  /** Bytes: inputs whose total size is at or above this take the streaming path (when mode is `auto`). */
  readonly streamingThreshold: number;
  /** Bytes: memory the whole process may use, ID index included; at least MIN_MEMORY_BUDGET. */
  readonly memoryBudget: number;
  /** Execution path: `auto` chooses by streamingThreshold, the others force one path. */
  readonly mode: (typeof MODES)[number];
  /** Bad rows (other than the kinds skipped by the flags below) tolerated before the import fails; 0: fail fast. */
  readonly maxBadRows: BadRowLimit;
  /** A node whose ID was already seen in its ID space is skipped (the first one wins). */
  readonly skipDuplicateNodes: boolean;
  /** A relationship whose start or end node does not exist is skipped. */
  readonly skipBadRelationships: boolean;
  /** Fields past the header's width are dropped instead of making the row bad. */
  readonly ignoreExtraColumns: boolean;
  /** Data lines that repeat the header line exactly are passed over (concatenated files). */
  readonly autoSkipSubsequentHeaders: boolean;
  /** Path of the rejected-rows report (NDJSON), with re-importable rows beside it; undefined: none written. */
  readonly rejects?: string;
  /** Text encoding of the inputs: UTF-8 (checked), or Latin-1 (transcoded to UTF-8 before reading). */
  readonly inputEncoding: (typeof INPUT_ENCODINGS)[number];
  readonly sources: Readonly<Record<string, ValueSource>>;
}

/** Raw option values as a CLI or a caller gives them (strings or already-typed values). */
export interface ConfigInput {
  inputs: InputGroup[];
  into?: string;
  overwrite?: boolean;
  delimiter?: string;
  quote?: string;
  arrayDelimiter?: string;
  idType?: string;
  batchSize?: string | number;
  threads?: string | number;
  /** Bytes, or a size text such as `100MiB`. */
  streamingThreshold?: string | number;
  /** Bytes, or a size text such as `500MiB`. */
  memoryBudget?: string | number;
  mode?: string;
  /** A row count or a percentage text such as `0.5%`. */
  maxBadRows?: string | number;
  skipDuplicateNodes?: boolean;
  skipBadRelationships?: boolean;
  ignoreExtraColumns?: boolean;
  autoSkipSubsequentHeaders?: boolean;
  /** Where the rejected-rows report goes. */
  rejects?: string;
  inputEncoding?: string;
}

export const DEFAULTS = {
  into: 'graph.db',
  quote: '"',
  arrayDelimiter: ';',
  idType: 'auto',
  batchSize: 100_000,
  /** 100 MiB. */
  streamingThreshold: 100 * 1024 ** 2,
  /** 500 MiB. */
  memoryBudget: 500 * 1024 ** 2,
  mode: 'auto',
} as const;

/** Default worker thread count: os.availableParallelism(), capped at MAX_THREADS (computed, so not in DEFAULTS). */
export function defaultThreads(): number {
  return Math.min(availableParallelism(), MAX_THREADS);
}

/** Validates raw options once and returns an immutable config with every default filled in. */
export function normalizeConfig(input: ConfigInput): StreamingConfig {
  const sources: Record<string, ValueSource> = {};
  const pick = <T>(key: keyof ConfigInput, value: T | undefined, fallback: T): T => {
    sources[key] = value === undefined ? 'default' : 'flag';
    return value === undefined ? fallback : value;
  };
  const inputs = input.inputs.filter((g) => g.files.length > 0);
  if (inputs.length === 0) throw new ImportError('GI_NO_INPUT', 'no input files: give node and relationship files, or --nodes/--relationships');
  const quote = parseSingleChar('--quote', pick('quote', input.quote, DEFAULTS.quote));
  const delimiter = input.delimiter === undefined ? undefined : parseSingleChar('--delimiter', input.delimiter);
  sources.delimiter = delimiter === undefined ? 'default' : 'flag';
  const arrayDelimiter = parseSingleChar('--array-delimiter', pick('arrayDelimiter', input.arrayDelimiter, DEFAULTS.arrayDelimiter));
  if (delimiter !== undefined && (delimiter === quote || delimiter === arrayDelimiter)) {
    throw new ImportError('GI_INVALID_OPTION', `--delimiter "${delimiter}" must differ from --quote and --array-delimiter`);
  }
  const config: StreamingConfig = {
    inputs: inputs.map((g) => Object.freeze({ ...g, files: Object.freeze([...g.files]) as string[] })),
    into: pick('into', input.into, DEFAULTS.into),
    overwrite: pick('overwrite', input.overwrite, false),
    delimiter,
    quote,
    arrayDelimiter,
    idType: parseChoice('--id-type', pick('idType', input.idType, DEFAULTS.idType), ID_TYPES),
    batchSize: parsePositiveInt('--batch-size', String(pick('batchSize', input.batchSize, DEFAULTS.batchSize)), 10_000_000),
    threads: parsePositiveInt('--threads', String(pick('threads', input.threads, defaultThreads())), MAX_THREADS),
    streamingThreshold: parseByteSize('--streaming-threshold', String(pick('streamingThreshold', input.streamingThreshold, DEFAULTS.streamingThreshold))),
    memoryBudget: parseMemoryBudget(String(pick('memoryBudget', input.memoryBudget, DEFAULTS.memoryBudget))),
    mode: parseChoice('--mode', pick('mode', input.mode, DEFAULTS.mode), MODES),
    maxBadRows: parseBadRowLimit('--max-bad-rows', String(pick('maxBadRows', input.maxBadRows, 0))),
    skipDuplicateNodes: pick('skipDuplicateNodes', input.skipDuplicateNodes, false),
    skipBadRelationships: pick('skipBadRelationships', input.skipBadRelationships, false),
    ignoreExtraColumns: pick('ignoreExtraColumns', input.ignoreExtraColumns, false),
    autoSkipSubsequentHeaders: pick('autoSkipSubsequentHeaders', input.autoSkipSubsequentHeaders, false),
    rejects: input.rejects,
    inputEncoding: parseChoice('--input-encoding', pick('inputEncoding', input.inputEncoding, 'utf8'), INPUT_ENCODINGS),
    sources: Object.freeze(sources),
  };
  return Object.freeze(config);
}

function parseMemoryBudget(text: string): number {
  const bytes = parseByteSize('--memory-budget', text);
  if (bytes < MIN_MEMORY_BUDGET) {
    throw new ImportError('GI_INVALID_OPTION', `--memory-budget: "${text}" is not valid; expected at least 16MiB (${MIN_MEMORY_BUDGET} bytes)`);
  }
  return bytes;
}

/** Parses a `--nodes`/`--relationships` value: `[Name=]file[,file...]`. */
export function parseGroupSpec(kind: 'node' | 'relationship', spec: string): InputGroup {
  const eq = spec.indexOf('=');
  const name = eq > 0 ? spec.slice(0, eq) : undefined;
  const files = (eq > 0 ? spec.slice(eq + 1) : spec).split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (files.length === 0) {
    throw new ImportError('GI_INVALID_OPTION', `--${kind === 'node' ? 'nodes' : 'relationships'} "${spec}" names no file`);
  }
  return { kind, name, files };
}
