import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StreamingConfig } from '../config/streaming-config.js';
import { type ErrorCode, ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import { type InputFile, fileStem } from '../schema/resolve-inputs.js';

/**
 * The one decision point for bad rows. By default the first bad row fails the import (fail fast). The user can
 * instead skip whole kinds of bad rows (--skip-duplicate-nodes, --skip-bad-relationships: without limit), tolerate
 * up to --max-bad-rows other bad rows (a count, or a percentage of the rows read), and keep a report of every
 * skipped row (--rejects). Quote errors are not row errors: where such a row ends cannot be known, so they stay fatal.
 */

/** Codes of row-level problems a row can be skipped for. */
export const ROW_ERROR_CODES: readonly ErrorCode[] = ['GI_FIELD_COUNT', 'GI_TYPE_CAST', 'GI_MISSING_NODE_ID', 'GI_DUPLICATE_NODE_ID', 'GI_ENDPOINT_NOT_FOUND'];

/** The bad-row settings of an import (plain data: posted to worker threads). */
export interface BadRowPolicy {
  /** Counted bad rows tolerated (Infinity in percentage mode, which is checked against the rows read at the end). */
  maxCount: number;
  /** --max-bad-rows as a percentage, or undefined. */
  maxPercent?: number;
  skipDuplicateNodes: boolean;
  skipBadRelationships: boolean;
  ignoreExtraColumns: boolean;
  /** --max-bad-rows as given, for messages. */
  limitText: string;
}

/** The policy a config asks for. */
export function badRowPolicy(config: StreamingConfig): BadRowPolicy {
  const limit = config.maxBadRows;
  return {
    maxCount: limit.kind === 'count' ? limit.count : Infinity,
    maxPercent: limit.kind === 'ratio' ? limit.percent : undefined,
    skipDuplicateNodes: config.skipDuplicateNodes,
    skipBadRelationships: config.skipBadRelationships,
    ignoreExtraColumns: config.ignoreExtraColumns,
    limitText: limit.kind === 'count' ? String(limit.count) : `${limit.percent}%`,
  };
}

/** True when some bad row may be skipped: the loaders then undo half-appended rows instead of failing. */
export function toleratesBadRows(p: BadRowPolicy): boolean {
  return p.maxCount > 0 || p.skipDuplicateNodes || p.skipBadRelationships;
}

/** How a bad row is handled: skipped by a --skip flag (not counted), counted against the limit, or fatal. */
export function dispositionOf(p: BadRowPolicy, code: ErrorCode): 'skip' | 'count' | 'fail' {
  if (!ROW_ERROR_CODES.includes(code)) return 'fail';
  if (code === 'GI_DUPLICATE_NODE_ID' && p.skipDuplicateNodes) return 'skip';
  if (code === 'GI_ENDPOINT_NOT_FOUND' && p.skipBadRelationships) return 'skip';
  return p.maxCount > 0 ? 'count' : 'fail';
}

/** Rows skipped, by reason code. */
export type SkippedCounts = Partial<Record<ErrorCode, number>>;

/** One line of the rejects report (NDJSON). */
export interface RejectRecord {
  file: string;
  line?: number;
  byteOffset?: number;
  column?: number;
  columnName?: string;
  code: ErrorCode;
  message: string;
  raw: string;
}

/** The record of a rejected row's error (its line as the error has it). */
export function rejectRecord(e: ImportErrorJSON): RejectRecord {
  return {
    file: e.file ?? '', line: e.line, byteOffset: e.byteOffset, column: e.column, columnName: e.columnName, code: e.code, message: e.reason, raw: e.raw ?? '',
  };
}

/** What a range task tallies of the rows it skipped (see RangeReport). */
export interface RangeTally {
  rejected: SkippedCounts;
  counted: number;
  firstCounted?: ImportErrorJSON;
}

/**
 * For a range task: a function that tallies a row the policy lets the range skip (and records it in `rejects`), and
 * throws when it may not be skipped, or when this range alone passes the limit (the import fails whatever the other
 * ranges hold).
 */
export function rangeRowRejecter(policy: BadRowPolicy, tally: RangeTally, rejects: RejectSpill | undefined): (err: ImportError) => void {
  return (err) => {
    const how = dispositionOf(policy, err.code);
    if (how === 'fail') throw err;
    tally.rejected[err.code] = (tally.rejected[err.code] ?? 0) + 1;
    if (how === 'count') {
      tally.counted++;
      tally.firstCounted ??= err.toJSON();
      if (tally.counted > policy.maxCount) throw tooManyBadRows(tally.counted, policy.limitText, tally.firstCounted);
    }
    rejects?.write(rejectRecord(err.toJSON()));
  };
}

/** The error an import fails with when it rejected more rows than --max-bad-rows allows. */
export function tooManyBadRows(counted: number, limit: string, first: ImportErrorJSON | undefined): ImportError {
  const example = first === undefined ? '' : `; the first: ${ImportError.fromJSON(first).message}`;
  return new ImportError('GI_TOO_MANY_BAD_ROWS', `${counted} bad rows, more than --max-bad-rows ${limit} allows${example}`, {
    file: first?.file, line: first?.line, column: first?.column,
    hint: 'fix the input (--rejects lists the bad rows found up to here), or raise --max-bad-rows; nothing was written',
  });
}

/**
 * Writes the rejects report: `<path>` holds one JSON object per rejected row (RejectRecord), and `<path>.rows/`
 * holds, per input file with rejected rows, a CSV with that file's header line and the rejected rows exactly as
 * they were: fix them there and import the file alongside the original inputs to complete the graph.
 */
export class RejectWriter {
  private report: number | undefined;
  private readonly rows = new Map<string, number>();
  private readonly names = new Set<string>();

  /** Starts the report afresh: an empty `<path>`, and no rows files left from an earlier run. */
  constructor(private readonly path: string, private readonly files: InputFile[]) {
    try {
      rmSync(`${path}.rows`, { recursive: true, force: true });
    } catch (err) {
      throw new ImportError('GI_OUTPUT_UNWRITABLE', `cannot clear ${path}.rows: ${(err as Error).message}`, { file: path, cause: err });
    }
    this.report = openFile(path);
  }

  /** Appends one rejected row. */
  write(record: RejectRecord): void {
    writeSync(this.report!, `${JSON.stringify(record)}\n`);
    let fd = this.rows.get(record.file);
    if (fd === undefined) {
      const input = this.files.find((f) => f.path === record.file);
      // Same-named inputs from different directories go into numbered subdirectories: the file name (which names
      // the table on re-import) stays the same.
      // A gzip, Arrow or Parquet input's rows are CSV text: named `<stem>.csv`, so they re-import as text into the
      // same table.
      const name = input !== undefined && input.dataPath !== input.path ? `${fileStem(record.file)}.csv` : basename(record.file);
      let rel = name;
      for (let k = 2; this.names.has(rel); k++) rel = join(String(k), name);
      this.names.add(rel);
      fd = openFile(join(`${this.path}.rows`, rel));
      if (input !== undefined && input.headerText !== '') writeSync(fd, `${input.headerText}\n`);
      this.rows.set(record.file, fd);
    }
    writeSync(fd, `${record.raw}\n`);
  }

  /** Closes every file written. */
  close(): void {
    if (this.report !== undefined) closeSync(this.report);
    for (const fd of this.rows.values()) closeSync(fd);
    this.report = undefined;
    this.rows.clear();
  }
}

function openFile(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'w');
  } catch (err) {
    throw new ImportError('GI_OUTPUT_UNWRITABLE', `cannot write the rejects report: ${(err as Error).message}`, { file: path, cause: err });
  }
}

/**
 * The tally of an import's rejected rows and where they go. `reject` is the decision point: it records a row
 * that may be skipped and throws for one that may not (the row's own error, or GI_TOO_MANY_BAD_ROWS).
 */
export class RejectLog {
  /** Rows skipped, by reason, in total and per file. */
  readonly byReason: SkippedCounts = {};
  readonly byFile = new Map<string, SkippedCounts>();
  /** Per node table label: rows skipped by reason (relationship rows are reported per file). */
  readonly byLabel = new Map<string, SkippedCounts>();
  total = 0;
  /** Rows counted against --max-bad-rows, and the first of them. */
  counted = 0;
  firstCounted: ImportErrorJSON | undefined;

  constructor(readonly policy: BadRowPolicy, private readonly writer?: RejectWriter) {}

  /** Skips the row of `err` if the policy allows it (recording it), else throws. */
  reject(err: ImportError, label?: string): void {
    const how = dispositionOf(this.policy, err.code);
    if (how === 'fail') throw err;
    const json = err.toJSON();
    if (how === 'count') this.addCounted(1, json);
    this.add(err.code, err.file ?? '', 1, label);
    this.writer?.write(rejectRecord(json));
  }

  /** Adds rows a worker skipped (already decided there with the same policy). */
  addSkipped(code: ErrorCode, file: string, n: number): void {
    this.add(code, file, n);
  }

  /** Adds rows counted against the limit (with the first of them), throwing once the limit is passed. */
  addCounted(n: number, first: ImportErrorJSON | undefined): void {
    if (n === 0) return;
    this.counted += n;
    this.firstCounted ??= first;
    if (this.counted > this.policy.maxCount) throw tooManyBadRows(this.counted, this.policy.limitText, this.firstCounted);
  }

  /** Writes a record decided elsewhere (a worker's) into the report. */
  writeRecord(record: RejectRecord): void {
    this.writer?.write(record);
  }

  /** The percentage limit, checked once every row has been read. */
  checkPercent(rowsRead: number): void {
    const pct = this.policy.maxPercent;
    if (pct === undefined || this.counted === 0) return;
    if (this.counted > (pct / 100) * rowsRead) {
      throw tooManyBadRows(this.counted, `${pct}% (of ${rowsRead} rows read)`, this.firstCounted);
    }
  }

  close(): void {
    this.writer?.close();
  }

  private add(code: ErrorCode, file: string, n: number, label?: string): void {
    this.total += n;
    this.byReason[code] = (this.byReason[code] ?? 0) + n;
    const f = this.byFile.get(file) ?? {};
    f[code] = (f[code] ?? 0) + n;
    this.byFile.set(file, f);
    if (label !== undefined) {
      const l = this.byLabel.get(label) ?? {};
      l[code] = (l[code] ?? 0) + n;
      this.byLabel.set(label, l);
    }
  }
}

/** Where a worker appends the reject records of its ranges (NDJSON); a range reports the byte span it wrote. */
export class RejectSpill {
  private fd: number | undefined;
  /** Bytes written so far. */
  offset = 0;

  constructor(readonly path: string) {}

  /** Appends one record. */
  write(record: RejectRecord): void {
    this.fd ??= openFile(this.path);
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`);
    writeSync(this.fd, bytes, 0, bytes.length, this.offset);
    this.offset += bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The records a spill holds in [start, end), parsed. */
export function readRejectSpan(path: string, start: number, end: number): RejectRecord[] {
  if (end <= start) return [];
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(end - start);
    readSync(fd, bytes, 0, bytes.length, start);
    return bytes.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RejectRecord);
  } finally {
    closeSync(fd);
  }
}
