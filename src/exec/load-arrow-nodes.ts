import { Type } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { openArrowSource, unreadableColumnar } from '../input/arrow-source.js';
import { DamagedArrowData, halves, int64Words, intHalves, isValidAt, propertyAppender, utf8Span } from '../input/arrow-native.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import { idColumnSpec } from '../schema/file-layout.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import type { Int64ColumnBuilder } from '../store/column-builders.js';
import { arrowPieces } from './arrow-pieces.js';
import { RowText, keyText, writeIntKey } from './arrow-row-text.js';
import { TextOut } from '../input/text-out.js';
import { toleratesBadRows } from './bad-rows.js';
import { type BatchProgress, type NodeSinks, routeColumns } from './load-nodes.js';
import { reclaim } from './reclaim.js';
import { type RowAt, idDuplicate, idMissing, idNotInteger, valueCastError, valueNotUtf8 } from './row-errors.js';

/** Rows read at a time: a record batch of any size is loaded in pieces of at most this many rows. */
const PIECE_ROWS = 1 << 16;
/** Record batch bytes read between two collections (their bodies live outside the JS heap until V8 collects). */
const COLLECT_BYTES = 32 << 20;

/**
 * Loads the rows of an Arrow IPC node file read in place (see input/arrow-native.ts) into its table and the ID
 * index: IDs from the int64 words (or UTF-8 bytes) of the ID column, properties from their buffers. The same rows,
 * errors and tolerance as loadNodeFile gives the file's text; a row is line (row + 2). Returns the rows loaded.
 */
export async function loadArrowNodeFile(file: InputFile, fileIndex: number, sinks: NodeSinks, progress: BatchProgress): Promise<number> {
  const { schema, writers } = sinks;
  const table = schema.nodeRouting[fileIndex]!.fixedTable;
  const writer = writers[table];
  const route = routeColumns(file, writer);
  const idCol = file.layout.idColumn;
  const idSpec = idColumnSpec(file.layout);
  const index = idSpec !== undefined ? sinks.indexes.get(idSpec.space)! : undefined;
  const hasId = index !== undefined && writer.id !== null;
  const idName = idSpec !== undefined && idSpec.name !== '' ? idSpec.name : ':ID';
  const log = sinks.rejects;
  const tolerant = log !== undefined && toleratesBadRows(log.policy);
  const units = file.native!.units;
  const text = new RowText(file.path, { delimiter: file.delimiter.charCodeAt(0), quote: file.quote.charCodeAt(0), arrayDelimiter: sinks.arrayDelimiter.charCodeAt(0) });
  /** Where an integer ID's digits are written for a string ID space. */
  const keyOut = new TextOut(32);
  const span = { s: 0, e: 0 };
  let loaded = 0;
  let bytesDone = 0;
  let sinceCollect = 0;
  const source = await openArrowSource(file.path);
  try {
    for await (const piece of arrowPieces(file.path, source, source.schema, units, file.native!.sliced, 0, file.native!.rows, PIECE_ROWS)) {
      const { batch, columns, from, to } = piece;
      const rows = to - from;
      const ids = hasId ? columns[idCol] : undefined;
      const intIds = ids?.typeId === Type.Int;
      const words = ids === undefined ? undefined : int64Words(ids);
      const fed: { c: number; p: number; append: (i: number) => boolean }[] = [];
      route.target.forEach((p, c) => {
        if (p >= 0) fed.push({ c, p, append: propertyAppender(columns[c], writer.properties[p]) });
      });
      const at = (r: number): RowAt => ({ file: file.path, line: file.dataLine + piece.fileRow - from + r, raw: text.row(batch, r) });
      let skipped = 0;
      for (let r = from; r < to; r++) {
        const row = writer.rowCount;
        try {
          if (r === piece.badUtf8?.row) throw valueNotUtf8(at(r), piece.badUtf8.column);
          let key: Uint8Array = keyOut.buf;
          let ks = 0;
          let ke = 0;
          if (hasId) {
            if (!isValidAt(ids!, r)) throw idMissing(at(r), idCol);
            if (index.kind === 'int') {
              if (intIds) {
                if (!intHalves(ids!, words, r)) throw idNotInteger(at(r), keyText(ids!, r), idCol, idName);
              } else {
                utf8Span(ids!, r, span);
                if (span.e === span.s) throw idMissing(at(r), idCol);
                if (!parseInt64(ids!.values as Uint8Array, span.s, span.e)) throw idNotInteger(at(r), keyText(ids!, r), idCol, idName);
                halves.lo = int64Out.lo;
                halves.hi = int64Out.hi;
              }
            } else if (intIds) {
              // A string ID space holds integer IDs as their digits, as it holds them from text.
              writeIntKey(ids!, words, r, keyOut);
              key = keyOut.buf;
              ke = keyOut.pos;
            } else {
              utf8Span(ids!, r, span);
              if (span.e === span.s) throw idMissing(at(r), idCol);
              key = ids!.values as Uint8Array;
              ks = span.s;
              ke = span.e;
            }
            // Tolerant imports look the ID up first and insert it last, so a row that turns bad is undone whole.
            const seen = tolerant
              ? (index.kind === 'int' ? index.lookupInt(halves.lo, halves.hi) : index.lookupString(key, ks, ke))
              : (index.kind === 'int' ? index.insertInt(halves.lo, halves.hi, table, row) : index.insertString(key, ks, ke, table, row));
            if (seen >= 0) throw idDuplicate(at(r), keyText(ids!, r), idCol, idSpec!.space, writers[index.tableOf(seen)].schema.label);
          }
          // Read now: the appenders of 64-bit columns below go through the same `halves`.
          const lo = halves.lo;
          const hi = halves.hi;
          for (const f of fed) {
            if (!f.append(r)) throw valueCastError(at(r), text.value(batch, r, f.c), f.c, writer.schema.properties[f.p].name, writer.schema.properties[f.p].type);
          }
          if (hasId) {
            if (tolerant) {
              if (index.kind === 'int') index.insertInt(lo, hi, table, row);
              else index.insertString(key, ks, ke, table, row);
            }
            if (index.kind === 'int') (writer.id as Int64ColumnBuilder).appendHalves(lo, hi);
            else writer.id!.appendBytes(key, ks, ke, 0);
          }
          for (const p of route.missing) writer.properties[p].appendNull();
          writer.labels?.appendNull();
          writer.endRow();
        } catch (err) {
          if (!tolerant || !(err instanceof ImportError)) throw err;
          writer.abandonRow();
          log.reject(err, writer.schema.label);
          skipped++;
        }
      }
      loaded += rows - skipped;
      bytesDone += piece.bytes;
      progress(rows, bytesDone);
      sinceCollect += piece.bytes;
      if (sinceCollect >= COLLECT_BYTES) {
        reclaim('major');
        sinceCollect = 0;
      }
    }
  } catch (err) {
    throw err instanceof DamagedArrowData ? unreadableColumnar(file.path, 'Arrow IPC', err) : err;
  } finally {
    await source.close();
  }
  return loaded;
}
