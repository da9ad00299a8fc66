/**
 * One error type for the whole library. Every failure a user can see is an ImportError with a code from the
 * closed set below, a position where one exists, and the underlying library error kept as `cause`.
 */

/** Error codes, grouped by the exit status they map to (see `exitCodeFor`). */
export const ERROR_CODES = {
  // usage: the command line or configuration is wrong
  GI_USAGE: 'usage',
  GI_INVALID_OPTION: 'usage',
  GI_NO_INPUT: 'usage',
  GI_STORE_EXISTS: 'usage',
  // data: an input file does not hold what it must
  GI_HEADER_MALFORMED: 'data',
  GI_HEADER_UNKNOWN_TYPE: 'data',
  GI_HEADER_MISSING: 'data',
  GI_UNTERMINATED_QUOTE: 'data',
  GI_QUOTE_UNEXPECTED: 'data',
  GI_FIELD_COUNT: 'data',
  GI_TYPE_CAST: 'data',
  GI_DUPLICATE_NODE_ID: 'data',
  GI_MISSING_NODE_ID: 'data',
  GI_ENDPOINT_NOT_FOUND: 'data',
  GI_UNKNOWN_ID_SPACE: 'data',
  GI_SCHEMA_CONFLICT: 'data',
  GI_FIELD_TOO_LARGE: 'data',
  GI_LIMIT_EXCEEDED: 'data',
  GI_TOO_MANY_BAD_ROWS: 'data',
  GI_BAD_COMPRESSION: 'data',
  GI_INVALID_UTF8: 'data',
  GI_UNSUPPORTED_COMPRESSION: 'data',
  GI_COLUMNAR_UNREADABLE: 'data',
  GI_UNSUPPORTED_TYPE: 'data',
  GI_UNREPRESENTABLE_VALUE: 'data',
  // resources: the import cannot fit the memory budget it was given
  GI_MEMORY_BUDGET: 'usage',
  // io: files and the store
  GI_FILE_NOT_FOUND: 'io',
  GI_FILE_UNREADABLE: 'io',
  GI_STORE_WRITE: 'io',
  GI_STORE_CORRUPT: 'io',
  GI_STORE_NOT_FOUND: 'io',
  GI_OUTPUT_UNWRITABLE: 'io',
  GI_INPUT_CHANGED: 'io',
  // the run was stopped
  GI_INTERRUPTED: 'interrupted',
  // a defect in graph-import itself, or the worker pool failing under it
  GI_INTERNAL: 'internal',
  /** A task threw something that is not an ImportError (execution). */
  GI_TASK_FAILED: 'internal',
  /** A worker thread could not start, or exited without finishing its tasks (thread pool, task creation). */
  GI_WORKER_CRASHED: 'internal',
  /** Control flow, never shown: a value did not fit the type a sample suggested; the import re-infers and restarts. */
  GI_INFERENCE_RESTART: 'internal',
  /** Parallel ranges did not meet end to end after re-reading: rows would have been lost or duplicated. */
  GI_RANGE_MISMATCH: 'internal',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorClass = (typeof ERROR_CODES)[ErrorCode];

/** Where in an input an error was found. Lines and columns are 1-based; column counts fields, not characters. */
export interface ErrorPosition {
  file?: string;
  line?: number;
  column?: number;
  /** Name of the column (header field) at `column`, when known. */
  columnName?: string;
  /** Byte offset of the start of the offending row or field in the file. */
  byteOffset?: number;
}

export interface ImportErrorInit extends ErrorPosition {
  /** The offending text, truncated for display by the formatter. */
  raw?: string;
  /** A possible fix, one sentence. */
  hint?: string;
  cause?: unknown;
}

/** The serialisable shape of an ImportError (what crosses worker boundaries and goes into --json output). */
export interface ImportErrorJSON extends ErrorPosition {
  code: ErrorCode;
  message: string;
  reason: string;
  raw?: string;
  hint?: string;
}

const RAW_DISPLAY_CHARS = 120;

/** An error with a code, a position and a cause; `message` is the full one-line `file:line:column: CODE: reason`. */
export class ImportError extends Error {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly columnName?: string;
  readonly byteOffset?: number;
  readonly raw?: string;
  readonly hint?: string;

  constructor(code: ErrorCode, reason: string, init: ImportErrorInit = {}) {
    super(formatHeadline(code, reason, init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ImportError';
    this.code = code;
    this.reason = reason;
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.columnName = init.columnName;
    this.byteOffset = init.byteOffset;
    this.raw = init.raw;
    this.hint = init.hint;
  }

  /** The class of failure, which decides the exit status. */
  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code];
  }

  /** Headline, offending text and hint, as printed by the CLI. */
  format(): string {
    const lines = [this.message];
    if (this.raw !== undefined) lines.push(`  | ${truncate(this.raw, RAW_DISPLAY_CHARS)}`);
    if (this.hint !== undefined) lines.push(`  hint: ${this.hint}`);
    const causeMessage = causeText(this.cause);
    if (causeMessage !== undefined) lines.push(`  cause: ${causeMessage}`);
    return lines.join('\n');
  }

  toJSON(): ImportErrorJSON {
    return {
      code: this.code,
      message: this.message,
      reason: this.reason,
      file: this.file,
      line: this.line,
      column: this.column,
      columnName: this.columnName,
      byteOffset: this.byteOffset,
      raw: this.raw,
      hint: this.hint,
    };
  }

  /** Rebuilds an error from its JSON form (the inverse of toJSON, cause excepted). */
  static fromJSON(json: ImportErrorJSON): ImportError {
    return new ImportError(json.code, json.reason, json);
  }
}

function formatHeadline(code: ErrorCode, reason: string, pos: ErrorPosition): string {
  let where = '';
  if (pos.file !== undefined) {
    where = pos.file;
    if (pos.line !== undefined) where += `:${pos.line}`;
    if (pos.line !== undefined && pos.column !== undefined) where += `:${pos.column}`;
    where += ': ';
  }
  return `${where}${code}: ${reason}`;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}… (${oneLine.length} chars)`;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** True when `err` is an ImportError (also across realms, where instanceof fails). */
export function isImportError(err: unknown): err is ImportError {
  return err instanceof ImportError;
}

/** Wraps any thrown value as an ImportError; ImportErrors pass through unchanged. */
export function toImportError(err: unknown, code: ErrorCode = 'GI_INTERNAL', pos: ErrorPosition = {}): ImportError {
  if (err instanceof ImportError) return err;
  const nodeCode = (err as NodeJS.ErrnoException | undefined)?.code;
  // Reading: a missing or forbidden input has its own codes. Writing (GI_STORE_WRITE, GI_OUTPUT_UNWRITABLE): the
  // caller's code stands, with the system's reason.
  const writing = code === 'GI_STORE_WRITE' || code === 'GI_OUTPUT_UNWRITABLE';
  if (nodeCode === 'ENOENT' && !writing) return new ImportError('GI_FILE_NOT_FOUND', 'no such file or directory', { ...pos, cause: err });
  if ((nodeCode === 'EACCES' || nodeCode === 'EISDIR' || nodeCode === 'EPERM') && !writing) {
    return new ImportError('GI_FILE_UNREADABLE', `cannot read (${nodeCode})`, { ...pos, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ImportError(code, message, { ...pos, cause: err });
}
