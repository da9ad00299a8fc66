import { open } from 'node:fs/promises';
import { nextLineStart } from '../input/line-start.js';
import { ScanBatch, scanRows } from '../input/scanner.js';
import type { RowBatch } from '../input/batch-reader.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import type { IdIndex } from './id-index.js';
import { EndpointScratch, resolveEndpoint } from './resolve-endpoints.js';
import type { Data } from 'apache-arrow';
import { openArrowSource, unreadableColumnar } from '../input/arrow-source.js';
import { DamagedArrowData } from '../input/arrow-native.js';
import { resolveArrowColumn } from './arrow-rel-range.js';
import { unitStarts } from './arrow-pieces.js';

/** Windows read per relationship file, and their size: ~2 MiB spread over the whole file. */
const WINDOWS = 32;
const WINDOW_BYTES = 64 << 10;

/** Node rows of sampled edge endpoints, per node table: where edges start, and where they end. */
export interface EndpointSample {
  sources: number[][];
  targets: number[][];
  /** Edges sampled. */
  edges: number;
}

/**
 * Reads small windows spread over every relationship file and resolves the endpoints of the rows in them, to learn
 * how edges spread over node rows (the CSR partitions are balanced on it). Only an estimate: a window may start
 * inside a quoted field, and rows that do not parse or resolve are skipped, never reported.
 */
export async function sampleEndpoints(files: InputFile[], indexes: Map<string, IdIndex>, tables: number): Promise<EndpointSample> {
  const sample: EndpointSample = { sources: Array.from({ length: tables }, () => []), targets: Array.from({ length: tables }, () => []), edges: 0 };
  const scan = new ScanBatch(4096);
  const scratch = { bytes: new Uint8Array(256) };
  const buf = Buffer.allocUnsafe(WINDOW_BYTES);
  for (const file of files) {
    if (file.kind !== 'relationship') continue;
    const { layout } = file;
    const startSpec = layout.columns[layout.startColumn];
    const endSpec = layout.columns[layout.endColumn];
    const startIndex = indexes.get(startSpec.kind === 'start' ? startSpec.space : '')!;
    const endIndex = indexes.get(endSpec.kind === 'end' ? endSpec.space : '')!;
    if (file.native !== undefined) {
      await sampleArrowFile(file, startIndex, endIndex, sample);
      continue;
    }
    const dialect = { delimiter: file.delimiter.charCodeAt(0), quote: file.quote.charCodeAt(0) };
    const data = file.size - file.dataStart;
    const handle = await open(file.dataPath, 'r');
    try {
      for (let w = 0; w < WINDOWS; w++) {
        const at = file.dataStart + Math.floor((data * w) / WINDOWS);
        const { bytesRead } = await handle.read(buf, 0, WINDOW_BYTES, at);
        // Past the first line end (a window may start mid-row); a window without one is skipped.
        const s = w === 0 ? 0 : nextLineStart(buf, 0, bytesRead);
        if (s < 0 || s >= bytesRead) continue;
        scanRows(buf, s, bytesRead, at + bytesRead >= file.size, dialect, scan);
        const batch = { buf, scan, firstLine: 0, bufOffset: at, bytesDone: 0 } as RowBatch;
        for (let r = 0; r < scan.rows; r++) {
          if (scan.fieldCount(r) !== layout.columns.length) continue;
          const src = resolveEndpoint(startIndex, batch, scan.rowField[r] + layout.startColumn, dialect.quote, scratch);
          const dst = resolveEndpoint(endIndex, batch, scan.rowField[r] + layout.endColumn, dialect.quote, scratch);
          if (src < 0 || dst < 0) continue;
          sample.sources[startIndex.tableOf(src)].push(startIndex.rowOf(src));
          sample.targets[endIndex.tableOf(dst)].push(endIndex.rowOf(dst));
          sample.edges++;
        }
      }
    } finally {
      await handle.close();
    }
  }
  return sample;
}

/** Rows read from each sampled record batch of an Arrow file read in place. */
const BATCH_SAMPLE_ROWS = 2048;

/**
 * Samples the endpoints of an Arrow file read in place: WINDOWS runs of rows spread over the file, read as slices
 * (only their bytes) when its batches allow it, else the first rows of WINDOWS record batches spread over it.
 */
async function sampleArrowFile(file: InputFile, startIndex: IdIndex, endIndex: IdIndex, sample: EndpointSample): Promise<void> {
  const { layout } = file;
  const { units, rows, sliced } = file.native!;
  const scratch = new EndpointScratch(BATCH_SAMPLE_ROWS);
  const src = new Int32Array(BATCH_SAMPLE_ROWS);
  const dst = new Int32Array(BATCH_SAMPLE_ROWS);
  const take = (columns: Data[], from: number, n: number): void => {
    resolveArrowColumn(startIndex, columns[layout.startColumn], from, n, scratch, src);
    resolveArrowColumn(endIndex, columns[layout.endColumn], from, n, scratch, dst);
    for (let r = 0; r < n; r++) {
      if (src[r] < 0 || dst[r] < 0) continue;
      sample.sources[startIndex.tableOf(src[r])].push(startIndex.rowOf(src[r]));
      sample.targets[endIndex.tableOf(dst[r])].push(endIndex.rowOf(dst[r]));
      sample.edges++;
    }
  };
  const starts = unitStarts(units);
  const source = await openArrowSource(file.path);
  try {
    if (sliced) {
      for (let w = 0; w < WINDOWS && rows > 0; w++) {
        const at = Math.floor((rows * w) / WINDOWS);
        let u = 0;
        while (starts[u + 1] <= at) u++;
        const from = at - starts[u];
        const to = Math.min(units[u].rows, from + BATCH_SAMPLE_ROWS);
        take(await source.slice!(u, from, to), 0, to - from);
      }
    } else {
      const picks = new Set(Array.from({ length: Math.min(WINDOWS, units.length) }, (_, w) => Math.floor((units.length * w) / Math.min(WINDOWS, units.length))));
      for (const u of picks) {
        for await (const batch of source.unit(u)) take(batch.data.children as Data[], 0, Math.min(BATCH_SAMPLE_ROWS, batch.numRows));
      }
    }
  } catch (err) {
    throw err instanceof DamagedArrowData ? unreadableColumnar(file.path, 'Arrow IPC', err) : err;
  } finally {
    await source.close();
  }
}
