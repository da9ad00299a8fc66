import { FIELD_QUOTED } from '../input/scanner.js';
import { type InferredKind, fitsInferredKind } from '../schema/infer-types.js';
import type { PropertyType } from '../schema/types.js';
import type { ColumnBuilder } from '../store/column-builders.js';

/**
 * Appends one field to a property column with the null rules of docs/FORMAT.md: an unquoted empty field is null;
 * a quoted empty field is the empty string (or empty array) for string columns and null for other types.
 * Returns false when the bytes are not a value of the type (the caller builds the error: no closure per field).
 */
export function appendField(builder: ColumnBuilder, type: PropertyType, buf: Uint8Array, s: number, e: number, flags: number): boolean {
  if (s === e && ((flags & FIELD_QUOTED) === 0 || (type.base !== 'string' && !type.array))) {
    builder.appendNull();
    return true;
  }
  return builder.appendBytes(buf, s, e, flags);
}

/** Outcomes of appendInferred. */
export const APPENDED = 0;
export const NOT_OF_TYPE = 1;
export const KIND_CHANGED = 2;

/**
 * appendField for a column whose kind was inferred from a sample of its file (`expected`; null: nothing to check).
 * KIND_CHANGED (nothing appended) when a non-empty value does not fit that kind, so the file must be inferred again;
 * NOT_OF_TYPE when it is not a value of the type. A date column is parsed first and checked only when the parse
 * fails: what fitsInferredKind asks of a date is that it parses as one, so a second parse per value bought nothing.
 */
export function appendInferred(
  builder: ColumnBuilder, type: PropertyType, expected: InferredKind | null, buf: Uint8Array, s: number, e: number, flags: number,
): number {
  if (expected === null || s === e) return appendField(builder, type, buf, s, e, flags) ? APPENDED : NOT_OF_TYPE;
  const parseChecks = expected === 'date' && type.base === 'date' && !type.array;
  if (!parseChecks && !fitsInferredKind(expected, buf, s, e)) return KIND_CHANGED;
  if (appendField(builder, type, buf, s, e, flags)) return APPENDED;
  return parseChecks && !fitsInferredKind(expected, buf, s, e) ? KIND_CHANGED : NOT_OF_TYPE;
}
