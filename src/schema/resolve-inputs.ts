import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImportError } from '../errors/import-error.js';
import type { StreamingConfig } from '../config/streaming-config.js';
import type { DecodedInput, NativeArrowInput } from '../exec/decode-inputs.js';
import { countQuotedFields, pickQuote } from '../input/detect-dialect.js';
import { type FileHead, type Probe, type SettingSource, readFileHead, readProbe } from '../input/header-reader.js';
import { type FileKind, type FileLayout, layoutFile } from './file-layout.js';

/** One input file with the meaning of its columns and where its data begins. */
export interface InputFile {
  /** The path the user gave: what every message and report names. */
  path: string;
  /** Where the bytes are read from: `path`, or a decoded copy of a compressed or Latin-1 input (see input/decode-input.ts). */
  dataPath: string;
  /** Index of the config input group this file came from. */
  group: number;
  kind: FileKind;
  /** Label or type given with `Name=` on the command line. */
  fixedName?: string;
  /** File name without directory and extensions: the fallback label or type. */
  stem: string;
  /** Shared by every file of a group: the header is read from the group's first file. */
  layout: FileLayout;
  size: number;
  /** Bytes of the user's file as stored: `size`, or the size of the gzip, Arrow or Parquet file `dataPath` was decoded from. */
  storedSize: number;
  /** Modification time of the file read (see checkInputsUnchanged). */
  mtimeMs: number;
  dataStart: number;
  dataLine: number;
  delimiter: string;
  delimiterSource: SettingSource;
  /** One quote character per import: --quote, or detected over all input files (see detect-dialect.ts). */
  quote: string;
  quoteSource: SettingSource;
  /** The header line of the file's group (the first file's), as written. */
  headerText: string;
  /**
   * An Arrow IPC relationship file read in place (see input/arrow-native.ts): `dataPath` holds only its header line,
   * the rows are read from `path`'s record batches, as they were when their layout was read (size, mtimeMs).
   */
  native?: NativeArrowInput;
}

/** Bytes of a file's data: its rows' text, or an Arrow file's record batches when it is read in place. */
export function dataBytes(f: InputFile): number {
  return f.native !== undefined ? f.native.bytes : Math.max(0, f.size - f.dataStart);
}

/** Reads the header of every input group and lays out each file (IO: the first bytes of each file). */
export async function resolveInputs(config: StreamingConfig, decoded: ReadonlyMap<string, DecodedInput> = new Map()): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const dataPath = (path: string): string => decoded.get(path)?.path ?? path;
  const columnar = (path: string): boolean => decoded.get(path)?.columnar === true;
  // Each file's first bytes are read once, for the quote detection and for its head.
  const probes = new Map<string, Probe>();
  for (const path of new Set(config.inputs.flatMap((g) => g.files))) probes.set(path, await readProbe(dataPath(path), path));
  // Converted Arrow/Parquet text is in the import's dialect already (see decodeInputs): only CSV inputs say which
  // quote the import uses.
  const { quote, quoteSource } = importQuote(config, [...probes.entries()].filter(([path]) => !columnar(path)).map(([, p]) => p));
  // (An Arrow file read in place has no converted rows: only its header line, read with the quote it was written with.)
  const converted = [...decoded.entries()].find(([, d]) => d.columnar && d.native === undefined)?.[0];
  if (converted !== undefined && quote !== config.quote) {
    throw new ImportError('GI_INVALID_OPTION', `the CSV inputs quote fields with ${quote}, and the Arrow/Parquet inputs were converted with ${config.quote}`, {
      file: converted, hint: `pass --quote "${quote}" so that every input is read with one quote character`,
    });
  }
  for (const [group, spec] of config.inputs.entries()) {
    const forced = spec.kind === 'auto' ? undefined : spec.kind;
    // Converted text is written with the --delimiter, or a comma: not detected.
    const delimiterOf = (path: string): string | undefined => config.delimiter ?? (columnar(path) ? ',' : undefined);
    const quoteOf = (path: string): string => (decoded.get(path)?.native !== undefined ? config.quote : quote);
    const first = await readFileHead(spec.files[0], { quote: quoteOf(spec.files[0]), delimiter: delimiterOf(spec.files[0]), hasHeader: true, probe: probes.get(spec.files[0]) });
    const layout = layoutFile(first.fields, first.path, forced);
    const heads: FileHead[] = [first];
    for (const path of spec.files.slice(1)) {
      // neo4j-admin convention: only a group's first file has a header; the others hold data only.
      heads.push(await readFileHead(path, { quote: quoteOf(path), delimiter: delimiterOf(path) ?? first.delimiter, hasHeader: false, probe: probes.get(path) }));
    }
    for (const head of heads) {
      const native = decoded.get(head.path)?.native;
      const stored = decoded.has(head.path) ? await stat(head.path) : undefined;
      files.push({
        path: head.path,
        dataPath: dataPath(head.path),
        group,
        kind: layout.kind,
        fixedName: spec.name,
        stem: fileStem(head.path),
        layout,
        size: head.size,
        storedSize: stored?.size ?? head.size,
        mtimeMs: head.mtimeMs,
        dataStart: head.dataStart,
        // Converted text without a header line (a group's later file) still counts its first row as line 2.
        dataLine: columnar(head.path) && head.fields.length === 0 ? 2 : head.dataLine,
        delimiter: head.delimiter,
        delimiterSource: columnar(head.path) && config.delimiter === undefined ? 'default' : head.delimiterSource,
        quote: head.quote,
        quoteSource,
        headerText: first.headerText,
        ...(native === undefined ? {} : { native }),
      });
    }
  }
  return files;
}

/**
 * The import's quote character: --quote when given, else the candidate that quotes the most fields in the first
 * bytes of all input files together (one quote per import, since tables can be fed by several files).
 */
function importQuote(config: StreamingConfig, probes: Probe[]): { quote: string; quoteSource: SettingSource } {
  if (config.sources.quote === 'flag') return { quote: config.quote, quoteSource: 'flag' };
  const counts = probes.map(({ bytes }) => countQuotedFields(bytes, bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0, config.delimiter));
  const { quote, detected } = pickQuote(counts);
  // A detected quote may not collide with a delimiter or array delimiter the user gave.
  if (quote === config.delimiter || quote === config.arrayDelimiter) return { quote: config.quote, quoteSource: 'default' };
  return { quote, quoteSource: detected ? 'detected' : 'default' };
}

// Spark and others name Parquet files by codec too: `part-00000.snappy.parquet`.
const DATA_EXTENSIONS = /(\.(csv|tsv|psv|txt|dat))?(\.(gz|gzip|zst))?$|\.(arrow|arrows|feather|ipc)$|(\.(snappy|zstd|gzip|gz|lz4|brotli))?\.(parquet|pq)$/i;

/**
 * `data/Person.csv.gz` -> `Person`, `Person.arrow` -> `Person`, `Person.zstd.parquet` -> `Person`; other dots in the
 * name are kept (`people.v2.csv` -> `people.v2`).
 */
export function fileStem(path: string): string {
  const name = basename(path);
  return name.replace(DATA_EXTENSIONS, '') || name;
}

/**
 * Throws GI_INPUT_CHANGED when a file read in place (not a decoded copy) changed size or modification time, or
 * disappeared, since its head was read: rows read before and after the change would not be one consistent file.
 */
export async function checkInputsUnchanged(files: InputFile[]): Promise<void> {
  for (const f of files) {
    if (f.dataPath !== f.path && f.native === undefined) continue;
    // An Arrow file read in place is checked as stored; its header-only text file is ours.
    const size = f.native?.size ?? f.size;
    const mtimeMs = f.native?.mtimeMs ?? f.mtimeMs;
    let now: { size: number; mtimeMs: number };
    try {
      now = await stat(f.path);
    } catch (err) {
      throw new ImportError('GI_INPUT_CHANGED', 'the file was removed or became unreadable while it was being imported', {
        file: f.path, cause: err, hint: 'import files that nothing else writes to meanwhile (copy them first); nothing was written',
      });
    }
    if (now.size !== size || now.mtimeMs !== mtimeMs) {
      throw new ImportError('GI_INPUT_CHANGED', `the file changed while it was being imported (${size} bytes when opened, ${now.size} now)`, {
        file: f.path, hint: 'import files that nothing else writes to meanwhile (copy them first); nothing was written',
      });
    }
  }
}
