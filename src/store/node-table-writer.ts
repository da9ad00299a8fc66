import { Field, Schema } from 'apache-arrow';
import type { IdKind } from '../exec/id-index.js';
import type { NodeTableSchema } from '../schema/graph-schema.js';
import { arrowType, columnData } from './arrow-columns.js';
import { ArrowFileSink, type WrittenFile } from './arrow-file-sink.js';
import {
  type ColumnBuilder, Int64ColumnBuilder, ListColumnBuilder, Utf8ColumnBuilder, createColumnBuilder,
} from './column-builders.js';

/** Rows per Arrow record batch in node tables: fixed, so the store's bytes do not depend on the input batch size. */
export const NODE_RECORD_BATCH_ROWS = 1 << 16;

/** Column names the store reserves; properties cannot use them. */
export const ID_COLUMN = '_id';
export const LABELS_COLUMN = '_labels';

/**
 * Builds one node table's columns row by row and streams them to its Arrow file in fixed-size record batches,
 * so memory holds at most one record batch per table.
 */
export class NodeTableWriter {
  readonly id: ColumnBuilder | null;
  readonly properties: ColumnBuilder[];
  readonly labels: ListColumnBuilder | null;
  rowCount = 0;
  private readonly sink: ArrowFileSink;
  private readonly all: ColumnBuilder[];

  constructor(readonly schema: NodeTableSchema, idKind: IdKind | null, path: string, quote: number, arrayDelimiter: number) {
    this.id = idKind === null ? null : idKind === 'int' ? new Int64ColumnBuilder() : new Utf8ColumnBuilder(quote);
    this.properties = schema.properties.map((p) => createColumnBuilder(p.type, quote, arrayDelimiter));
    this.labels = schema.hasLabels ? new ListColumnBuilder(new Utf8ColumnBuilder(quote), arrayDelimiter) : null;
    this.all = [...(this.id === null ? [] : [this.id]), ...this.properties, ...(this.labels === null ? [] : [this.labels])];
    const fields = [
      ...(this.id === null ? [] : [new Field(ID_COLUMN, arrowType(this.id), false)]),
      ...schema.properties.map((p, i) => new Field(p.name, arrowType(this.properties[i]), true)),
      ...(this.labels === null ? [] : [new Field(LABELS_COLUMN, arrowType(this.labels), true)]),
    ];
    this.sink = new ArrowFileSink(path, new Schema(fields));
  }

  /** Call after every column of the current row has been appended. */
  endRow(): void {
    this.rowCount++;
    if (this.rowCount % NODE_RECORD_BATCH_ROWS === 0) this.flush();
  }

  /**
   * Appends rows [0, n) of `sources`, one builder per column in the table's order (the ID column first when there
   * is one, then the properties; tables with a labels column are filled row by row), cut on the record batch grid
   * so the file's bytes are those of appending row by row.
   */
  appendRows(sources: ColumnBuilder[], n: number): void {
    if (this.labels !== null || sources.length !== this.all.length) throw new Error('appendRows: one source per column, and no labels column');
    for (let i = 0; i < n;) {
      const take = Math.min(n - i, NODE_RECORD_BATCH_ROWS - (this.rowCount % NODE_RECORD_BATCH_ROWS));
      for (let c = 0; c < sources.length; c++) this.all[c].appendRange(sources[c], i, i + take);
      this.rowCount += take;
      i += take;
      if (this.rowCount % NODE_RECORD_BATCH_ROWS === 0) this.flush();
    }
  }

  /** Undoes whatever part of the current row was appended (the row turned out bad and is skipped). */
  abandonRow(): void {
    const held = this.rowCount % NODE_RECORD_BATCH_ROWS;
    for (const b of this.all) b.truncate(held);
  }

  /** Hands the rows held to the file as one record batch; the sink writes them at once, so the builders' memory is reused. */
  private flush(): void {
    if (this.all.length === 0 || this.all[0].length === 0) return;
    this.sink.writeColumns(this.all.map(columnData), this.all[0].length);
    for (const b of this.all) b.reset();
  }

  /** Writes the last partial record batch and closes the file. */
  async close(): Promise<WrittenFile> {
    this.flush();
    return this.sink.close();
  }

  /** Abandons the file after a failure. */
  abort(): void {
    this.sink.abort();
  }
}
