import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { InputGroup, StreamingConfig } from '../config/streaming-config.js';
import { checkGroupFields } from '../input/convert-columnar.js';
import { type ArrowUnit, openArrowSource } from '../input/arrow-source.js';
import { sliceable } from '../input/arrow-slices.js';
import { headerFields, headerLine } from '../input/arrow-to-text.js';
import { nativeReadProblem } from '../input/arrow-native.js';
import { layoutFile } from '../schema/file-layout.js';
import { convertFile } from './convert-file.js';
import { type InputFormat, decodeTo, inputFormatOf, zstdUnsupported } from '../input/decode-input.js';
import { ImportError } from '../errors/import-error.js';
import type { PhaseClock } from './phase-clock.js';

/** Stored bytes of a columnar file per conversion thread: smaller files are not worth a second thread. */
const CONVERT_BYTES_PER_THREAD = 16 << 20;
/** The main thread during the decode phase: what the budget holds besides the conversion threads. */
const CONVERT_BASE_BYTES = 120 << 20;

/**
 * Conversion threads in use, out of --threads: a file waits until it can have the threads its size asks for (or
 * one, when none are in use). A file gets the share of the memory budget its threads are of --threads; how many of
 * them that holds is decided from its unit size (see convertFile).
 */
class ConversionSlots {
  private waiting: (() => void)[] = [];
  private readonly total: number;
  constructor(private threads: number) {
    this.total = threads;
  }

  /** Waits for up to `want` threads (at least one); returns how many were given. */
  async acquire(want: number): Promise<number> {
    for (;;) {
      const fit = Math.min(want, this.threads);
      if (fit >= 1 || this.threads === this.total) {
        const n = Math.max(1, fit);
        this.threads -= n;
        return n;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  release(n: number): void {
    this.threads += n;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/** Where an input's bytes are read from when it is not read in place, and what it was. */
export interface DecodedInput {
  path: string;
  /** A converted Arrow IPC or Parquet file: its text's dialect is fixed (`,` and `"`), not detected. */
  columnar: boolean;
  /**
   * An Arrow IPC file whose record batches the relationship phase reads in place (see input/arrow-native.ts):
   * `path` then holds only its header line, for the schema; the rows stay in the Arrow file.
   */
  native?: NativeArrowInput;
}

/** An Arrow IPC file read in place: its record batches' rows and stored bytes. */
export interface NativeArrowInput {
  units: ArrowUnit[];
  rows: number;
  /** Stored bytes of all record batches (what the load's progress counts). */
  bytes: number;
  /** True when every batch can be read in row slices (uncompressed, flat columns: see input/arrow-slices.ts). */
  sliced: boolean;
  /** The file's size and modification time before its layout was read (see checkInputsUnchanged). */
  size: number;
  mtimeMs: number;
}

/**
 * Decodes every input that is not plain UTF-8 CSV to a UTF-8 CSV file at `dest(name)`, as a `decode` phase whose
 * progress counts the bytes of the files as stored; returns original path -> decoded copy:
 * - gzip (told by its first bytes), inflated; every text input with --input-encoding latin1, transcoded;
 * - Arrow IPC and Parquet files, converted to CSV text in the header format (see input/arrow-to-text.ts), so that
 *   every later pass (schema, sniff, parallel ranges, bad rows) is the one CSV inputs take.
 * A zstd-compressed text input is refused.
 */
export async function decodeInputs(
  config: StreamingConfig, dest: (name: string) => Promise<string>, clock: PhaseClock, signal: AbortSignal | undefined,
): Promise<Map<string, DecodedInput>> {
  const paths = [...new Set(config.inputs.flatMap((g) => g.files))];
  const todo: { path: string; bytes: number; format: InputFormat }[] = [];
  const latin1 = config.inputEncoding === 'latin1';
  for (const path of paths) {
    const format = await inputFormatOf(path);
    if (format === 'zstd') throw zstdUnsupported(path);
    if (format !== 'text' || latin1) todo.push({ path, bytes: (await stat(path)).size, format });
  }
  const decoded = new Map<string, DecodedInput>();
  // Only a group's first file has a header line (neo4j-admin's convention); the others' columns are checked
  // against it once all are converted, so every file can convert at the same time.
  const firstOf = new Map<string, string>();
  const kindOf = new Map<string, InputGroup['kind']>();
  for (const g of config.inputs) {
    for (const f of g.files) {
      if (!firstOf.has(f)) firstOf.set(f, g.files[0]);
      if (!kindOf.has(f)) kindOf.set(f, g.kind);
    }
  }
  const fieldsOf = new Map<string, string[]>();
  // Arrow IPC files the relationship phase can read in place are not converted: they get a header-only text file.
  for (let i = 0; i < todo.length; i++) {
    const f = todo[i];
    if (f.format !== 'arrow') continue;
    const native = await nativeLayout(f.path, kindOf.get(f.path)!, config.idType !== 'auto');
    if (native === undefined) continue;
    const to = await dest(`${i}-${basename(f.path)}.csv`);
    const header = firstOf.get(f.path) === f.path ? `${headerLine(native.fields, config.delimiter ?? ',', config.quote)}\n` : '';
    await writeFile(to, header);
    fieldsOf.set(f.path, native.fields);
    decoded.set(f.path, { path: to, columnar: true, native: native.input });
  }
  todo.splice(0, todo.length, ...todo.filter((f) => !decoded.has(f.path)));
  if (todo.length === 0) {
    checkGroups(firstOf, fieldsOf);
    return decoded;
  }
  clock.start('decode', { totalBytes: todo.reduce((n, f) => n + f.bytes, 0), files: todo.map(({ path, bytes }) => ({ path, bytes })) });
  // The first failure stops the other conversions: their threads are terminated, not left to finish.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  // Threads are shared out: a file takes threads by its size, and files run side by side while threads last.
  const slots = new ConversionSlots(config.threads);
  const convert = async (i: number): Promise<void> => {
    const f = todo[i];
    const progress = (n: number): void => clock.batch('decode', f.path, 0, n);
    if (f.format === 'arrow' || f.format === 'parquet') {
      const to = await dest(`${i}-${basename(f.path)}.csv`);
      const options = {
        file: f.path, format: f.format, delimiter: config.delimiter ?? ',', quote: config.quote, arrayDelimiter: config.arrayDelimiter,
        header: firstOf.get(f.path) === f.path,
      };
      // A large file is converted by several threads (units in parallel, written in order); a small one by one.
      const threads = await slots.acquire(Math.ceil(f.bytes / CONVERT_BYTES_PER_THREAD));
      try {
        // Files converting side by side share the budget as they share the threads.
        const memory = ((config.memoryBudget - CONVERT_BASE_BYTES) * threads) / config.threads;
        const { fields } = await convertFile(f.path, to, options, threads, memory, progress, f.bytes, stop.signal);
        fieldsOf.set(f.path, fields);
      } finally {
        slots.release(threads);
      }
      decoded.set(f.path, { path: to, columnar: true });
    } else {
      const to = await dest(`${i}-${basename(f.path).replace(/\.(gz|gzip)$/i, '')}`);
      await decodeTo(f.path, to, { gzip: f.format === 'gzip', latin1 }, progress, stop.signal);
      decoded.set(f.path, { path: to, columnar: false });
    }
  };
  let next = 0;
  let failure: unknown;
  const lanes = Array.from({ length: Math.max(1, Math.min(config.threads, todo.length)) }, async () => {
    while (next < todo.length && failure === undefined) {
      try {
        await convert(next++);
      } catch (err) {
        // The first error is the one reported; the others are the stop it caused.
        failure ??= err;
        stop.abort();
      }
    }
  });
  await Promise.all(lanes);
  signal?.removeEventListener('abort', onAbort);
  if (failure !== undefined) throw signal?.aborted === true ? new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written') : failure;
  checkGroups(firstOf, fieldsOf);
  clock.end('decode', 0);
  return decoded;
}

/** Checks each columnar file that is not its group's first against the first (a CSV first file is refused). */
function checkGroups(firstOf: Map<string, string>, fieldsOf: Map<string, string[]>): void {
  for (const [path, fields] of fieldsOf) {
    const first = firstOf.get(path)!;
    if (first === path) continue;
    const expected = fieldsOf.get(first);
    // A CSV header names columns by position only: a columnar file's own names could not be checked against it.
    if (expected === undefined) {
      throw new ImportError('GI_SCHEMA_CONFLICT', `an Arrow or Parquet file cannot be a data file of a group whose first file (${first}) is CSV`, {
        file: path, hint: 'give the Arrow/Parquet files as a group of their own (--nodes Label=a.parquet,b.parquet)',
      });
    }
    checkGroupFields(fields, expected, path);
  }
}

/**
 * The header fields and record batch layout of an Arrow IPC file the load can read in place, or undefined when it
 * must be converted: a stream (no random access), a column type or role without an in-place reader (see
 * nativeReadProblem), or a header the conversion path should report on (its errors are the ones users see).
 */
async function nativeLayout(path: string, kind: InputGroup['kind'], idTypeKnown: boolean): Promise<{ fields: string[]; input: NativeArrowInput } | undefined> {
  let source;
  let before;
  try {
    before = await stat(path);
    source = await openArrowSource(path);
  } catch {
    // Unreadable: the conversion opens it again and reports why, as it does for every Arrow input.
    return undefined;
  }
  try {
    if (source.unitLayout === undefined) return undefined;
    let fields: string[];
    let problem: string | undefined;
    try {
      fields = headerFields(source.schema, path);
      problem = nativeReadProblem(source.schema, layoutFile(fields, path, kind === 'auto' ? undefined : kind), idTypeKnown);
    } catch {
      return undefined;
    }
    if (problem !== undefined) return undefined;
    let units;
    try {
      units = await source.unitLayout();
    } catch {
      return undefined;
    }
    const input = {
      units, rows: units.reduce((n, u) => n + u.rows, 0), bytes: units.reduce((n, u) => n + u.bytes, 0),
      sliced: sliceable(source.schema) && units.every((u) => !u.compressed),
      size: before.size,
      mtimeMs: before.mtimeMs,
    };
    return { fields, input };
  } finally {
    await source.close();
  }
}
