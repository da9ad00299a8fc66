import { type Data, Field, Int64, Schema, Uint32, makeData } from 'apache-arrow';
import type { ColumnBuilder } from './column-builders.js';
import { ArrowFileSink, type WrittenFile } from './arrow-file-sink.js';

/** Rows per record batch in relationship files (fixed, like node tables, for deterministic bytes). */
export const REL_RECORD_BATCH_ROWS = 1 << 17;
export const OFFSET_COLUMN = 'offset';
export const DST_COLUMN = '_dst';
export const SRC_COLUMN = '_src';
export const EDGE_COLUMN = '_edge';

/** What a written file needs to be listed in the manifest. */
export interface StoreFileEntry extends WrittenFile {
  path: string;
}

/** Where writers put files: the pending store's path resolver. */
export type PathResolver = (relative: string) => Promise<string>;

/** An Arrow file written in record batches of REL_RECORD_BATCH_ROWS rows; subclasses decide what a batch holds. */
abstract class BatchedArrowFile {
  protected constructor(protected readonly sink: ArrowFileSink, private readonly relative: string) {}

  /** Writes the rows gathered so far as one record batch (if any). */
  protected abstract flush(): Promise<void>;

  /** Writes what is left and closes the file. */
  async close(): Promise<StoreFileEntry> {
    await this.flush();
    return { path: this.relative, ...(await this.sink.close()) };
  }

  /** Stops after a failure. */
  abort(): Promise<void> {
    return this.sink.abort();
  }
}

/**
 * Writes the `offset` column of a CSR direction: one int64 per node plus the final total, appended as running
 * totals, in record batches of REL_RECORD_BATCH_ROWS whatever the sizes of the appends.
 */
export class OffsetsWriter extends BatchedArrowFile {
  private batch = new Float64Array(REL_RECORD_BATCH_ROWS);
  private filled = 0;
  private total = 0;

  private constructor(sink: ArrowFileSink, relative: string) {
    super(sink, relative);
  }

  /** Opens the file; the first offset (0) is written at once. */
  static async open(resolvePath: PathResolver, relative: string): Promise<OffsetsWriter> {
    const w = new OffsetsWriter(new ArrowFileSink(await resolvePath(relative), new Schema([new Field(OFFSET_COLUMN, new Int64(), false)])), relative);
    w.batch[w.filled++] = 0;
    return w;
  }

  /** Appends the end offsets of the nodes whose degrees are `degrees[from, to)`. */
  async appendDegrees(degrees: Uint32Array, from: number, to: number): Promise<void> {
    for (let i = from; i < to;) {
      const k = Math.min(REL_RECORD_BATCH_ROWS - this.filled, to - i);
      for (let j = 0; j < k; j++) {
        this.total += degrees[i + j];
        this.batch[this.filled + j] = this.total;
      }
      this.filled += k;
      i += k;
      if (this.filled === REL_RECORD_BATCH_ROWS) await this.flush();
    }
  }

  /** Appends `n` nodes without edges. */
  async appendEmpty(n: number): Promise<void> {
    for (let i = 0; i < n;) {
      const k = Math.min(REL_RECORD_BATCH_ROWS - this.filled, n - i);
      this.batch.fill(this.total, this.filled, this.filled + k);
      this.filled += k;
      i += k;
      if (this.filled === REL_RECORD_BATCH_ROWS) await this.flush();
    }
  }

  protected async flush(): Promise<void> {
    if (this.filled === 0) return;
    this.sink.writeColumns([int64Data(this.batch.subarray(0, this.filled))], this.filled);
    this.batch = new Float64Array(REL_RECORD_BATCH_ROWS);
    this.filled = 0;
    await this.sink.drain();
  }
}

/**
 * Writes edge rows of one CSR direction: `u32Names.length` uint32 columns (neighbor row, edge id) and property
 * columns, in record batches of exactly REL_RECORD_BATCH_ROWS rows. Callers fill `u32[c]` from `filled` on and the
 * property builders, `room()` rows at most, then call `advance`.
 */
export class EdgeRowsWriter extends BatchedArrowFile {
  u32: Uint32Array[];
  filled = 0;

  private constructor(sink: ArrowFileSink, relative: string, readonly props: ColumnBuilder[], private readonly u32Count: number) {
    super(sink, relative);
    this.u32 = this.freshU32();
  }

  /** Opens the file with the given uint32 column names and property fields/builders (empty builders, reused). */
  static async open(resolvePath: PathResolver, relative: string, u32Names: string[], propFields: Field[], props: ColumnBuilder[]): Promise<EdgeRowsWriter> {
    const fields = [...u32Names.map((n) => new Field(n, new Uint32(), false)), ...propFields];
    return new EdgeRowsWriter(new ArrowFileSink(await resolvePath(relative), new Schema(fields)), relative, props, u32Names.length);
  }

  /** Rows that fit before the current record batch is full. */
  room(): number {
    return REL_RECORD_BATCH_ROWS - this.filled;
  }

  /** Declares `n` more rows filled; writes the batch when it is full. */
  async advance(n: number): Promise<void> {
    this.filled += n;
    if (this.filled === REL_RECORD_BATCH_ROWS) await this.flush();
  }

  /**
   * Appends `rows` edges: targets `u32Source[from, from + rows)` into the first uint32 column and one encoded chunk
   * per property column. The chunk must not cross a record batch boundary (segments are cut on that grid).
   */
  async appendSegment(u32Source: Uint32Array, from: number, rows: number, encodedProps: Uint8Array[]): Promise<void> {
    if (rows > this.room()) throw new Error(`segment of ${rows} rows crosses a record batch boundary (${this.room()} left)`);
    this.u32[0].set(u32Source.subarray(from, from + rows), this.filled);
    this.props.forEach((p, i) => p.appendEncoded(encodedProps[i]));
    await this.advance(rows);
  }

  private freshU32(): Uint32Array[] {
    // Fresh arrays per batch: Arrow's writer keeps views of written batches until their bytes reach the file.
    return Array.from({ length: this.u32Count }, () => new Uint32Array(REL_RECORD_BATCH_ROWS));
  }

  protected async flush(): Promise<void> {
    if (this.filled === 0 && this.props.every((p) => p.length === 0)) return;
    const n = this.filled;
    const columns: Data[] = [...this.u32.map((a) => uint32Data(a.subarray(0, n))), ...this.props.map((p) => p.toData())];
    this.sink.writeColumns(columns, n);
    for (const p of this.props) p.reset();
    this.u32 = this.freshU32();
    this.filled = 0;
    await this.sink.drain();
  }
}

function uint32Data(values: Uint32Array): Data {
  return makeData({ type: new Uint32(), length: values.length, nullCount: 0, data: values });
}

/** Exact int64 column from whole numbers held in a Float64Array (no BigInt per value). */
function int64Data(values: Float64Array): Data {
  const halves = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    halves[2 * i] = v | 0;
    halves[2 * i + 1] = Math.floor(v / 4294967296) | 0;
  }
  return makeData({ type: new Int64(), length: values.length, nullCount: 0, data: new BigInt64Array(halves.buffer) });
}
