import { type DataType, type Field, DateUnit, Precision, Type } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import type { PropertyType } from '../schema/types.js';

/**
 * How Arrow types (of Arrow IPC files, and of Parquet files read through Arrow) map to store types. Every mapping
 * keeps every value: integers that do not fit int32 go to long, uint64 values past int64 are refused per value,
 * timestamps of any unit go to microseconds (a value with sub-microsecond digits is refused per value, not rounded).
 */
export function propertyTypeOf(type: DataType): PropertyType | undefined {
  const base = scalarBase(type);
  if (base !== undefined) return { base, array: false };
  if (type.typeId === Type.List || type.typeId === Type.LargeList || type.typeId === Type.FixedSizeList) {
    const child = (type.children as Field[])[0]?.type;
    const inner = child === undefined ? undefined : scalarBase(child);
    return inner === undefined ? undefined : { base: inner, array: true };
  }
  return undefined;
}

function scalarBase(type: DataType): PropertyType['base'] | undefined {
  switch (type.typeId) {
    case Type.Null: return 'string';
    case Type.Int: {
      const t = type as unknown as { bitWidth: number; isSigned: boolean };
      if (t.bitWidth < 32 || (t.bitWidth === 32 && t.isSigned)) return 'int';
      return 'long';
    }
    case Type.Float: return (type as unknown as { precision: Precision }).precision === Precision.DOUBLE ? 'double' : 'float';
    case Type.Bool: return 'boolean';
    case Type.Utf8: case Type.LargeUtf8: case Type.Utf8View: return 'string';
    case Type.Date: return 'date';
    case Type.Timestamp: return 'datetime';
    case Type.Dictionary: return scalarBase((type as unknown as { dictionary: DataType }).dictionary);
    // An integer held as a decimal (DECIMAL(18,0) from databases, Spark, DuckDB) fits int64 exactly; a decimal with
    // a fraction or more digits has no store type that keeps it, and is refused rather than rounded to a double.
    case Type.Decimal: return isWholeDecimal(type) ? 'long' : undefined;
    default: return undefined;
  }
}

/** The error for a column whose Arrow type has no store type. */
export function unsupportedType(file: string, column: number, name: string, type: DataType): ImportError {
  return new ImportError('GI_UNSUPPORTED_TYPE', `column "${name}" has type ${String(type)}, which the store cannot hold`, {
    file, line: 1, column, columnName: name,
    hint: type.typeId === Type.Decimal
      ? 'the store has no decimal type: cast the column to float64 (or to string, to keep every digit) before writing the file, or name it ...:IGNORE'
      : 'cast it to a supported type (integers, floats, bool, string, date, timestamp, or a list of one) before writing the file, or drop the column',
  });
}

/** True for a decimal without fraction digits that fits int64 (precision at most 18). */
export function isWholeDecimal(type: DataType): boolean {
  const t = type as unknown as { scale: number; precision: number };
  return type.typeId === Type.Decimal && t.scale === 0 && t.precision <= 18;
}

/** True when the Arrow type is a date in milliseconds (Date64), whose values are whole days. */
export function isDateMillis(type: DataType): boolean {
  return type.typeId === Type.Date && (type as unknown as { unit: DateUnit }).unit === DateUnit.MILLISECOND;
}
