import { type Data, Type } from 'apache-arrow';
import { ImportError } from '../errors/import-error.js';
import { type ColumnarSource, openArrowSource, unreadableColumnar } from '../input/arrow-source.js';
import { DamagedArrowData, halves, int64Words, intHalves, isValidAt, propertyAppender, utf8Span } from '../input/arrow-native.js';
import { int64Out, parseInt64 } from '../input/value-parsers.js';
import type { ByteRange } from '../plan/split-ranges.js';
import { arrowPieces } from './arrow-pieces.js';
import { type BucketBuffer, FLUSH_ROWS, type Group, bucketAt, encodeBlocks, groupLookup, rangeGroups } from './edge-buckets.js';
import type { IdIndex } from './id-index.js';
import { reclaim } from './reclaim.js';
import type { EndpointScratch } from './resolve-endpoints.js';
import { rangeRowRejecter, toleratesBadRows } from './bad-rows.js';
import type { BlockMeta, BlockSink, RangeReport, RelFileSpec, RelTaskContext } from './rel-range-task.js';
import { type RowAt, endpointMissing, valueCastError, valueNotUtf8 } from './row-errors.js';
import { RowText, keyText, writeIntKey } from './arrow-row-text.js';
import { TextOut } from '../input/text-out.js';

/**
 * The relationship task for a range of an Arrow IPC file read in place (see input/arrow-native.ts): its record
 * batches [range.start, range.stopAt) are read from the file, endpoints resolved from their buffers and properties
 * appended from theirs, into the same partition buffers and blocks as CSV rows. A range's rows are lines
 * 0, 1, ... relative to its start (as a CSV range's lines are): the range chain makes them file lines.
 */
export async function runArrowRelRange(
  ctx: RelTaskContext, range: ByteRange, arrayDelimiter: number, sink: BlockSink, shouldStop: () => boolean,
  onBatch?: (rows: number, bytes: number) => void,
): Promise<RangeReport> {
  const started = performance.now();
  const spec = ctx.init.files[range.fileIndex];
  const units = spec.native!.units;
  // An empty range (a file without rows) ends where it starts.
  const report: RangeReport = {
    range: range.id, scanStart: range.start, firstRow: range.start, next: range.start, linesBefore: 0, lines: 0, rows: 0, blocks: [],
    durationMs: 0, rejected: {}, counted: 0, headersSkipped: 0,
  };
  const groups = rangeGroups(ctx, range.fileIndex);
  const groupFor = groupLookup(groups, ctx.init.partitions, spec.propTypes, spec.quote, arrayDelimiter);
  const policy = ctx.init.policy;
  const tolerant = toleratesBadRows(policy);
  const recordsFrom = sink.rejects?.offset ?? 0;
  const rejectRow = rangeRowRejecter(policy, report, sink.rejects);
  const startIndex = ctx.indexes.get(spec.startSpace)!;
  const endIndex = ctx.indexes.get(spec.endSpace)!;
  const { srcOrds, dstOrds } = ctx;
  const chunk = srcOrds.length;
  const flushed: BlockMeta[] = [];
  let flushes = 0;
  let buffered = 0;
  /** Rows of the range read so far: the line (relative to the range) of the next row. */
  let scanned = 0;
  let sinceCollect = 0;
  const text = new RowText(spec.path, { delimiter: spec.delimiter, quote: spec.quote, arrayDelimiter });
  try {
    const source = await arrowSourceOf(ctx, spec);
    for await (const p of arrowPieces(spec.path, source, source.schema, units, spec.native!.sliced, range.start, range.stopAt, chunk)) {
      if (shouldStop()) {
        report.stopped = true;
        break;
      }
      if (buffered >= FLUSH_ROWS) {
        // Bound what a worker holds however large the range: write the buffered edges out as blocks and go on.
        for (const b of encodeBlocks(range, groups, sink, flushes++, ctx.blockScratch)) flushed.push(b);
        buffered = 0;
      }
      const { batch, columns, from, to } = p;
      const startData = columns[spec.startColumn];
      const endData = columns[spec.endColumn];
      const typeOf = spec.typeColumn >= 0 ? typeReader(columns[spec.typeColumn], spec.fallbackType) : undefined;
      const lineOf = scanned - from;
      const at = (r: number): RowAt => ({ file: spec.path, line: lineOf + r, raw: text.row(batch, r) });
      // Appenders are made per buffer (each writes into one builder), on the buffer's first edge of this piece.
      const appendersOf = (bb: BucketBuffer): ((i: number) => boolean)[] =>
        (bb.readers ??= spec.propColumns.map((c, k) => propertyAppender(columns[c], bb.props[k])));
      const n = to - from;
      resolveArrowColumn(startIndex, startData, from, n, ctx.endpoints, srcOrds);
      resolveArrowColumn(endIndex, endData, from, n, ctx.endpoints, dstOrds);
      let skipped = 0;
      for (let k = 0; k < n; k++) {
        const r = from + k;
        let bb: BucketBuffer | undefined;
        try {
          if (r === p.badUtf8?.row) throw valueNotUtf8(at(r), p.badUtf8.column);
          const type = spec.fixedType ?? typeOf!(r);
          const src = srcOrds[k];
          if (src < 0) throw endpointMissing(at(r), keyText(startData, r), spec.startColumn, spec.startSpace, 'start');
          const dst = dstOrds[k];
          if (dst < 0) throw endpointMissing(at(r), keyText(endData, r), spec.endColumn, spec.endSpace, 'end');
          const srcRow = startIndex.rowOf(src);
          const group: Group = groupFor(type, startIndex.tableOf(src), endIndex.tableOf(dst));
          bb = bucketAt(group, group.part.partOf[srcRow >>> group.part.blockShift]);
          const append = appendersOf(bb);
          for (let q = 0; q < append.length; q++) {
            if (!append[q](r)) {
              const c = spec.propColumns[q];
              throw valueCastError(at(r), text.value(batch, r, c), c, spec.propNames[q], spec.propTypes[q]);
            }
          }
          if (bb.firstRow < 0) bb.firstRow = scanned + k;
          bb.src.push(srcRow);
          bb.dst.push(endIndex.rowOf(dst));
        } catch (err) {
          if (!tolerant || !(err instanceof ImportError)) throw err;
          // Undo the columns appended before the bad value: the buffer holds whole rows only.
          if (bb !== undefined) for (const q of bb.props) q.truncate(bb.src.length);
          rejectRow(err);
          skipped++;
        }
      }
      // The appenders hold the piece's buffers: dropped with it, or every buffer would keep its last piece alive.
      for (const g of groups.values()) for (const bb of g.buckets) if (bb !== undefined) bb.readers = undefined;
      report.rows += n - skipped;
      buffered += n;
      scanned += n;
      report.next = p.fileRow + n;
      report.lines = scanned;
      onBatch?.(n, p.bytes);
      // Record batch bodies and slices are read into fresh buffers outside the JS heap, which V8 frees only when it
      // collects: collect every COLLECT_BYTES read, or a worker would hold hundreds of MB of pieces already done.
      sinceCollect += p.bytes;
      if (sinceCollect >= COLLECT_BYTES) {
        reclaim('major');
        sinceCollect = 0;
      }
    }
  } catch (err) {
    const e = err instanceof DamagedArrowData ? unreadableColumnar(spec.path, 'Arrow IPC', err) : err;
    if (!(e instanceof ImportError)) throw e;
    report.error = e.toJSON();
  }
  if (report.error === undefined) report.blocks = [...flushed, ...encodeBlocks(range, groups, sink, flushes, ctx.blockScratch)];
  if (sink.rejects !== undefined) report.records = { path: sink.rejects.path, start: recordsFrom, end: sink.rejects.offset };
  report.durationMs = performance.now() - started;
  return report;
}

/** The Arrow file of a spec, opened once per task context (a worker reads many ranges of it). */
async function arrowSourceOf(ctx: RelTaskContext, spec: RelFileSpec): Promise<ColumnarSource> {
  let source = ctx.arrow.get(spec.fileIndex);
  if (source === undefined) ctx.arrow.set(spec.fileIndex, (source = openArrowSource(spec.path)));
  return await source;
}

const span = { s: 0, e: 0 };
/** Where an integer endpoint's digits are written to be looked up in a string ID space. */
const keyOut = new TextOut(32);
/** Record batch bytes read between two collections (see runArrowRelRange). */
const COLLECT_BYTES = 32 << 20;

/**
 * Resolves endpoint values [from, from + n) of an Arrow column to node ordinals in `out` (-1: null, empty, or no
 * such node), as resolveEndpoint does their text: integer keys are looked up in one tight pass (IdIndex.lookupInts).
 */
export function resolveArrowColumn(index: IdIndex, data: Data, from: number, n: number, scratch: EndpointScratch, out: Int32Array): void {
  const isInt = data.typeId === Type.Int;
  const { lo, hi, odd } = scratch;
  if (index.kind === 'int') {
    let odds = 0;
    const words = isInt ? int64Words(data) : undefined;
    if (words !== undefined && data.nullCount === 0 && (data.type as unknown as { isSigned: boolean }).isSigned) {
      // int64 without nulls, the usual endpoint column: its words are the keys' halves as they are.
      for (let k = 0, w = 2 * from; k < n; k++, w += 2) {
        lo[k] = words[w];
        hi[k] = words[w + 1];
      }
    } else if (isInt) {
      for (let k = 0; k < n; k++) {
        const r = from + k;
        if (isValidAt(data, r) && intHalves(data, words, r)) {
          lo[k] = halves.lo;
          hi[k] = halves.hi;
        } else {
          lo[k] = 0;
          hi[k] = 0;
          odd[odds++] = k;
        }
      }
    } else {
      const bytes = data.values as Uint8Array;
      for (let k = 0; k < n; k++) {
        const r = from + k;
        const valid = isValidAt(data, r);
        if (valid) utf8Span(data, r, span);
        if (valid && span.e > span.s && parseInt64(bytes, span.s, span.e)) {
          lo[k] = int64Out.lo;
          hi[k] = int64Out.hi;
        } else {
          lo[k] = 0;
          hi[k] = 0;
          odd[odds++] = k;
        }
      }
    }
    index.lookupInts(lo, hi, n, out);
    for (let j = 0; j < odds; j++) out[odd[j]] = -1;
    return;
  }
  if (isInt) {
    const words = int64Words(data);
    for (let k = 0; k < n; k++) {
      const r = from + k;
      if (!isValidAt(data, r)) {
        out[k] = -1;
        continue;
      }
      // A string ID space holds integer-looking IDs as their digits: the key is the value's decimal text.
      writeIntKey(data, words, r, keyOut);
      out[k] = index.lookupString(keyOut.buf, 0, keyOut.pos);
    }
    return;
  }
  // UTF-8 keys are looked up in one batch (IdIndex.lookupStrings); nulls and empty keys are -1.
  const bytes = data.values as Uint8Array;
  const { start, end } = scratch;
  for (let k = 0; k < n; k++) {
    const r = from + k;
    start[k] = -1;
    if (!isValidAt(data, r)) continue;
    utf8Span(data, r, span);
    if (span.e === span.s) continue;
    start[k] = span.s;
    end[k] = span.e;
  }
  index.lookupStrings(bytes, start, end, n, out, scratch.hash, scratch.keyOffset);
}

/**
 * Type of row r from a UTF-8 :TYPE column (an empty or null value takes the file's fallback type). Rows mostly repeat
 * the previous row's type: its bytes are compared, and decoded only when they change.
 */
function typeReader(data: Data, fallback: string): (r: number) => string {
  const bytes = data.values as Uint8Array;
  let lastS = -1;
  let lastE = -1;
  let last = fallback;
  const decoder = new TextDecoder();
  return (r) => {
    if (!isValidAt(data, r)) return fallback;
    utf8Span(data, r, span);
    const { s, e } = span;
    if (lastS >= 0 && e - s === lastE - lastS) {
      let same = true;
      for (let i = 0; i < e - s && same; i++) same = bytes[s + i] === bytes[lastS + i];
      if (same) return last;
    }
    lastS = s;
    lastE = e;
    last = decoder.decode(bytes.subarray(s, e)).trim() || fallback;
    return last;
  };
}

