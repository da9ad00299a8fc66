import { ImportError } from '../errors/import-error.js';
import type { RowBatch } from '../input/batch-reader.js';
import { spaceName } from '../schema/header-fields.js';
import { formatType, type PropertyType } from '../schema/types.js';
import type { InferredKind } from '../schema/infer-types.js';

/** Where a row is: enough to build a `file:line:column` error. */
export interface RowPosition {
  file: string;
  batch: RowBatch;
  row: number;
}

function lineOf(p: RowPosition): number {
  return p.batch.firstLine + p.batch.scan.rowLine[p.row];
}

function rawRow(p: RowPosition): string {
  const { buf, scan } = p.batch;
  return buf.toString('utf8', scan.rowStart[p.row], scan.rowEnd[p.row]);
}

function rawField(p: RowPosition, f: number): string {
  const { buf, scan } = p.batch;
  return buf.toString('utf8', scan.fieldStart[f], scan.fieldEnd[f]);
}

function byteOffsetOf(p: RowPosition): number {
  return p.batch.bufOffset + p.batch.scan.rowStart[p.row];
}

/** A row whose field count differs from the header's. */
export function fieldCountError(p: RowPosition, expected: number): ImportError {
  const got = p.batch.scan.fieldCount(p.row);
  return new ImportError('GI_FIELD_COUNT', `expected ${expected} fields (as in the header), found ${got}`, {
    file: p.file, line: lineOf(p), column: Math.min(got, expected) + (got > expected ? 1 : 0), byteOffset: byteOffsetOf(p), raw: rawRow(p),
    hint: got > expected ? 'quote fields that contain the delimiter' : 'check for a missing delimiter or an unclosed quote on the previous line',
  });
}

/** Where a row is, described by values: a CSV row (see RowPosition) or a row of an Arrow record batch. */
export interface RowAt {
  file: string;
  line: number;
  byteOffset?: number;
  /** The row as CSV text (what the rejects report writes back). */
  raw: string;
}

function rowAt(p: RowPosition): RowAt {
  return { file: p.file, line: lineOf(p), byteOffset: byteOffsetOf(p), raw: rawRow(p) };
}

/** A field that is not a value of its column's type. */
export function castError(p: RowPosition, field: number, column: number, columnName: string, type: PropertyType): ImportError {
  return valueCastError(rowAt(p), rawField(p, field), column, columnName, type);
}

/** A value (`text`, as written) that is not a value of its column's type. */
export function valueCastError(at: RowAt, text: string, column: number, columnName: string, type: PropertyType): ImportError {
  return new ImportError('GI_TYPE_CAST', `"${text.length > 60 ? `${text.slice(0, 60)}…` : text}" is not ${/^[aeiou]/.test(formatType(type)) ? 'an' : 'a'} ${formatType(type)} (column "${columnName}")`, {
    file: at.file, line: at.line, column: column + 1, columnName, byteOffset: at.byteOffset, raw: at.raw,
    hint: `fix the value, or declare the column with a wider type (e.g. ${columnName}:string)`,
  });
}

/** A node ID that is not an integer in an integer ID space. */
export function idCastError(p: RowPosition, field: number, column: number, columnName: string): ImportError {
  return idNotInteger(rowAt(p), rawField(p, field), column, columnName);
}

/** A node ID (`text`, as written) that is not an integer in an integer ID space. */
export function idNotInteger(at: RowAt, text: string, column: number, columnName: string): ImportError {
  return new ImportError('GI_TYPE_CAST', `node ID "${text.length > 60 ? `${text.slice(0, 60)}…` : text}" is not an integer, and the ID space holds integer IDs (column "${columnName}")`, {
    file: at.file, line: at.line, column: column + 1, columnName, byteOffset: at.byteOffset, raw: at.raw,
    hint: 'fix the ID, or make the space hold string IDs: --id-type string, or {id-type:string} after :ID in the header',
  });
}

/** A node row without an ID in a file with an ID column. */
export function missingIdError(p: RowPosition, column: number): ImportError {
  return idMissing(rowAt(p), column);
}

/** A node row (at `at`) without an ID in a file with an ID column. */
export function idMissing(at: RowAt, column: number): ImportError {
  return new ImportError('GI_MISSING_NODE_ID', 'the node ID is empty', {
    file: at.file, line: at.line, column: column + 1, byteOffset: at.byteOffset, raw: at.raw,
    hint: 'every node in a file with an :ID column needs an ID',
  });
}

/** A node ID already used in its ID space. */
export function duplicateIdError(p: RowPosition, column: number, space: string, firstTable: string): ImportError {
  return idDuplicate(rowAt(p), rawField(p, p.batch.scan.rowField[p.row] + column), column, space, firstTable);
}

/** A node ID (`id`, as written) already used in its ID space. */
export function idDuplicate(at: RowAt, id: string, column: number, space: string, firstTable: string): ImportError {
  return new ImportError('GI_DUPLICATE_NODE_ID', `duplicate node ID "${id}" in ID space ${spaceName(space)} (first seen in table ${firstTable})`, {
    file: at.file, line: at.line, column: column + 1, byteOffset: at.byteOffset, raw: at.raw,
    hint: 'IDs must be unique within an ID space; give each file its own space with :ID(Space) if they overlap',
  });
}

/** A value of an Arrow string column (column `column`, 0-based) that is not UTF-8. */
export function valueNotUtf8(at: RowAt, column: number): ImportError {
  return new ImportError('GI_INVALID_UTF8', 'a string value is not valid UTF-8', {
    file: at.file, line: at.line, column: column + 1, raw: at.raw,
    hint: 'write the column as UTF-8 (Arrow strings must be UTF-8); binary data belongs in a binary column, named ...:IGNORE',
  });
}

/** A relationship endpoint that names no node of its ID space. */
export function endpointNotFoundError(p: RowPosition, column: number, space: string, which: 'start' | 'end'): ImportError {
  return endpointMissing(rowAt(p), rawField(p, p.batch.scan.rowField[p.row] + column), column, space, which);
}

/** A relationship endpoint (`id`, as written) that names no node of its ID space. */
export function endpointMissing(at: RowAt, id: string, column: number, space: string, which: 'start' | 'end'): ImportError {
  return new ImportError('GI_ENDPOINT_NOT_FOUND', `${which} node "${id}" not found in ID space ${spaceName(space)}`, {
    file: at.file, line: at.line, column: column + 1, byteOffset: at.byteOffset, raw: at.raw,
    hint: 'import the node file that holds this ID, or check the ID space in the header',
  });
}

/** A value that does not fit the kind a sample inferred: never shown, the import restarts with the file read whole. */
export function inferenceRestart(p: RowPosition, column: number, name: string, kind: InferredKind): ImportError {
  return new ImportError('GI_INFERENCE_RESTART', `column "${name}" holds a value that is not ${kind}, the type a sample of the file suggested`, {
    file: p.file, line: lineOf(p), column: column + 1, columnName: name,
  });
}
