import { type Data, type RecordBatch, Type } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { BatchTextWriter, type TextDialect } from '../input/arrow-to-text.js';
import { halves, int64Words, intHalves, isValidAt, utf8Span } from '../input/arrow-native.js';
import { TextOut } from '../input/text-out.js';

// Values and rows of Arrow record batches read in place, as text: keys of string ID spaces, and what errors and the
// rejects report show.

const span = { s: 0, e: 0 };

/**
 * Writes value `r` of an integer column in decimal into `out` (emptied first): the key a string ID space holds for
 * it, as the text form would write it. `words`: int64Words(data).
 */
export function writeIntKey(data: Data, words: Int32Array | undefined, r: number, out: TextOut): void {
  out.clear();
  intHalves(data, words, r);
  const t = data.type as unknown as { bitWidth: number; isSigned: boolean };
  if (t.bitWidth === 64 && !t.isSigned) out.uint64(halves.lo, halves.hi);
  else out.int64(halves.lo, halves.hi);
}

/** An ID value (integer or UTF-8) as text, for messages: '' for null. */
export function keyText(data: Data, r: number): string {
  if (!isValidAt(data, r)) return '';
  if (data.typeId === Type.Int) {
    const out = new TextOut(32);
    writeIntKey(data, int64Words(data), r, out);
    return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos).toString('latin1');
  }
  utf8Span(data, r, span);
  return Buffer.from((data.values as Uint8Array).buffer, (data.values as Uint8Array).byteOffset + span.s, span.e - span.s).toString('utf8');
}

/** Rows and values of a record batch as CSV text, for errors and the rejects report (bad rows only: not fast). */
export class RowText {
  private writer: BatchTextWriter | undefined;
  constructor(private readonly file: string, private readonly dialect: TextDialect) {}

  /** Row r as one CSV line (without its line end), as the conversion would have written it. */
  row(batch: RecordBatch, r: number): string {
    this.writer ??= new BatchTextWriter(batch.schema, this.file, this.dialect, 2);
    const out = new TextOut(256);
    try {
      this.writer.write(this.writer.prepare(batch), r, r + 1, 0, out);
    } catch (err) {
      // A value the text cannot carry: the row is reported by its values' positions only.
      if (!(err instanceof ImportError)) throw err;
      return '';
    }
    return Buffer.from(out.buf.buffer, out.buf.byteOffset, Math.max(0, out.pos - 1)).toString('utf8');
  }

  /** Value (r, c) as the conversion writes it (a null as ''). */
  value(batch: RecordBatch, r: number, c: number): string {
    this.writer ??= new BatchTextWriter(batch.schema, this.file, this.dialect, 2);
    return this.writer.valueText(batch, r, c);
  }
}
