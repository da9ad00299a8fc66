import {
  Bool, type Data, type DataType, DateDay, Field, Float32, Float64, Int32, Int64, List, TimestampMicrosecond, Utf8, makeData,
} from 'apache-arrow';
import type { ColumnBuilder, ListColumnBuilder } from './column-builders.js';

/** The Arrow type a builder's column is stored as (the store format's type mapping, docs/FORMAT.md). */
export function arrowType(b: ColumnBuilder): DataType {
  switch (b.storage) {
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'timestamp': return new TimestampMicrosecond('UTC');
    case 'float32': return new Float32();
    case 'float64': return new Float64();
    case 'date': return new DateDay();
    case 'bool': return new Bool();
    case 'utf8': return new Utf8();
    case 'list': return new List(new Field('item', arrowType((b as ListColumnBuilder).child), true));
  }
}

/** The builder's rows as Arrow Data over its memory: valid until the builder's next append or reset. */
export function columnData(b: ColumnBuilder): Data {
  const { data, valueOffsets, child } = b.buffers();
  return makeData({
    type: arrowType(b), length: b.length, nullCount: b.nullCount, data, valueOffsets, child: child === undefined ? undefined : columnData(child),
    nullBitmap: b.nullBitmap(),
  } as never);
}
