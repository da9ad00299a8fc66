import { FIELD_QUOTED } from '../input/scanner.js';
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
