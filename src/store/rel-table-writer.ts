import { type Data, Field, Int64, Schema, Uint32, makeData } from 'apache-arrow';
import type { ColumnBuilder } from './column-builders.js';
import { int64Out, safeIntToInt64Out } from '../input/value-parsers.js';
import { columnData } from './arrow-columns.js';
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
  protected abstract flush(): void;

  /** Writes what is left and closes the file. */
  async close(): Promise<StoreFileEntry> {
    this.flush();
    return { path: this.relative, ...(await this.sink.close()) };
  }

  /** Stops after a failure. */
  abort(): void {
    this.sink.abort();
  }
}

/**
 * Writes the `offset` column of a CSR direction: one int64 per node plus the final total, appended as running
 * totals, in record batches of REL_RECORD_BATCH_ROWS whatever the sizes of the appends.
 */
export class OffsetsWriter extends BatchedArrowFile {
  /** The batch's offsets as little-endian int32 halves (the int64 column's bytes), refilled after each write. */
  private readonly halves = new Int32Array(2 * REL_RECORD_BATCH_ROWS);
  private filled = 0;
  private total = 0;

  private constructor(sink: ArrowFileSink, relative: string) {
    super(sink, relative);
  }

  /** Opens the file; the first offset (0) is written at once. */
  static async open(resolvePath: PathResolver, relative: string): Promise<OffsetsWriter> {
    const w = new OffsetsWriter(new ArrowFileSink(await resolvePath(relative), new Schema([new Field(OFFSET_COLUMN, new Int64(), false)])), relative);
    w.filled = 1;
    return w;
  }

  /** Appends the end offsets of the nodes whose degrees are `degrees[from, to)`. */
  appendDegrees(degrees: Uint32Array, from: number, to: number): void {
    const halves = this.halves;
    for (let i = from; i < to;) {
      const k = Math.min(REL_RECORD_BATCH_ROWS - this.filled, to - i);
      let total = this.total;
      for (let j = 0, at = 2 * this.filled; j < k; j++, at += 2) {
        total += degrees[i + j];
        safeIntToInt64Out(total);
        halves[at] = int64Out.lo;
        halves[at + 1] = int64Out.hi;
      }
      this.total = total;
      this.filled += k;
      i += k;
      if (this.filled === REL_RECORD_BATCH_ROWS) this.flush();
    }
  }

  /** Appends `n` nodes without edges. */
  appendEmpty(n: number): void {
    safeIntToInt64Out(this.total);
    const { lo, hi } = int64Out;
    for (let i = 0; i < n;) {
      const k = Math.min(REL_RECORD_BATCH_ROWS - this.filled, n - i);
      for (let at = 2 * this.filled, end = 2 * (this.filled + k); at < end; at += 2) {
        this.halves[at] = lo;
        this.halves[at + 1] = hi;
      }
      this.filled += k;
      i += k;
      if (this.filled === REL_RECORD_BATCH_ROWS) this.flush();
    }
  }

  protected flush(): void {
    if (this.filled === 0) return;
    const values = new BigInt64Array(this.halves.buffer, 0, this.filled);
    this.sink.writeColumns([makeData({ type: new Int64(), length: this.filled, nullCount: 0, data: values })], this.filled);
    this.filled = 0;
  }
}

/**
 * Writes edge rows of one CSR direction: `u32Names.length` uint32 columns (neighbor row, edge id) and property
 * columns, in record batches of exactly REL_RECORD_BATCH_ROWS rows. Callers fill `u32[c]` from `filled` on and the
 * property builders, `room()` rows at most, then call `advance`.
 */
export class EdgeRowsWriter extends BatchedArrowFile {
  readonly u32: Uint32Array[];
  filled = 0;

  private constructor(sink: ArrowFileSink, relative: string, readonly props: ColumnBuilder[], u32Count: number) {
    super(sink, relative);
    // Written synchronously (see ArrowFileSink), so one set of arrays serves every batch.
    this.u32 = Array.from({ length: u32Count }, () => new Uint32Array(REL_RECORD_BATCH_ROWS));
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
  advance(n: number): void {
    this.filled += n;
    if (this.filled === REL_RECORD_BATCH_ROWS) this.flush();
  }

  /**
   * Appends `rows` edges: targets `u32Source[from, from + rows)` into the first uint32 column and one encoded chunk
   * per property column. The chunk must not cross a record batch boundary (segments are cut on that grid).
   */
  appendSegment(u32Source: Uint32Array, from: number, rows: number, encodedProps: Uint8Array[]): void {
    if (rows > this.room()) throw new Error(`segment of ${rows} rows crosses a record batch boundary (${this.room()} left)`);
    this.u32[0].set(u32Source.subarray(from, from + rows), this.filled);
    this.props.forEach((p, i) => p.appendEncoded(encodedProps[i]));
    this.advance(rows);
  }

  protected flush(): void {
    if (this.filled === 0 && this.props.every((p) => p.length === 0)) return;
    const n = this.filled;
    const columns: Data[] = [...this.u32.map((a) => uint32Data(a.subarray(0, n))), ...this.props.map(columnData)];
    this.sink.writeColumns(columns, n);
    for (const p of this.props) p.reset();
    this.filled = 0;
  }
}

function uint32Data(values: Uint32Array): Data {
  return makeData({ type: new Uint32(), length: values.length, nullCount: 0, data: values });
}
