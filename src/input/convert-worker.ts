/**
 * Entry point of a conversion thread. Several threads convert one Arrow IPC or Parquet file together: each reserves
 * the next unit (record batch or row group) from a shared counter, converts it to CSV text and posts the text in
 * transferred chunks; the main thread writes the units' text in order (see exec/convert-file.ts). A thread starts a
 * unit only within `ahead` units of the last one written, so the text waiting in memory stays bounded. A stream
 * (no random access) is converted by thread 0 alone, as one unit. Threads keep the decoders' memory (WebAssembly
 * memory never shrinks) out of the import's main thread and contain a decoder that aborts (see parquet-source.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportErrorJSON } from '../errors/import-error.js';
import { unreadableColumnar } from './arrow-source.js';
import { reclaim } from '../exec/reclaim.js';
import { CONVERT_CONTROL as CONTROL, MAX_PENDING_TEXT } from '../exec/convert-control.js';
import { headerFields } from './arrow-to-text.js';
import { ChunkedConverter, type ConvertOptions, openColumnar } from './convert-columnar.js';

/** What a conversion thread is given. */
export interface ConvertJob {
  source: string;
  options: ConvertOptions;
  workerId: number;
  control: Int32Array;
  ahead: number;
}

/** What a conversion thread posts. `unit` -1 is the file as a whole (opening it, its schema). */
export type ConvertMessage =
  | { type: 'schema'; fields: string[]; units: number; unitBytes: number }
  | { type: 'chunk'; unit: number; bytes: Uint8Array }
  | { type: 'unit-end'; unit: number; rows: number }
  /** Part of the file read, as a share of one unit (a batch of a Parquet row group) or, for a stream, in bytes. */
  | { type: 'read'; unit: number; share?: number; bytes?: number }
  | { type: 'failed'; unit: number; error: ImportErrorJSON }
  | { type: 'done' };

const job = workerData as ConvertJob;
const post = (msg: ConvertMessage, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(msg, transfer);

// Chunk buffers come back once written (see exec/convert-file.ts) and are filled again: a conversion of any size
// allocates a handful of buffers instead of leaving hundreds of MB of dead ones for the main thread to collect.
const spare: Uint8Array[] = [];
// A unit converted in one synchronous stretch allocates all its chunks before any comes back, so the spares are
// capped: a run of large units does not leave a pile of buffers behind.
const MAX_SPARE = 4;
parentPort!.on('message', (msg: { type: string; bytes: Uint8Array }) => {
  if (msg.type === 'recycle' && spare.length < MAX_SPARE) spare.push(new Uint8Array(msg.bytes.buffer));
});
const buffer = (bytes: number): Uint8Array => {
  const reused = spare.pop();
  return reused !== undefined && reused.length >= bytes ? reused : new Uint8Array(bytes);
};
const stopped = (): boolean => Atomics.load(job.control, CONTROL.STOP) !== 0;

/**
 * The error a thread reports. Anything but an ImportError comes from reading a file whose parts contradict each
 * other (offsets past their data, a footer that does not add up): apache-arrow and the writer throw plain errors
 * then, and the file is reported as damaged, with the error underneath as its reason.
 */
function errorJSON(err: unknown): ImportErrorJSON {
  const format = job.options.format === 'parquet' ? 'Parquet' : 'Arrow IPC';
  return unreadableColumnar(job.options.file, format, err, 'the file looks damaged: check it with another reader (if one reads it, please report this as a graph-import bug)').toJSON();
}

/** Bytes of batches read between full collections. */
const COLLECT_BYTES = 32 << 20;
let readSinceCollect = 0;

async function run(): Promise<void> {
  let unit = -1;
  try {
    const source = await openColumnar(job.source, job.options.format);
    try {
      // A stream has no random access: one unit, read from start to end by thread 0.
      const units = source.units ?? 1;
      if (job.workerId === 0) post({ type: 'schema', fields: headerFields(source.schema, job.options.file), units, unitBytes: source.unitBytes });
      else {
        // The main thread decides from the unit size how many threads the memory budget holds.
        while (Atomics.load(job.control, CONTROL.ALLOWED) === 0 && !stopped()) Atomics.wait(job.control, CONTROL.ALLOWED, 0, 200);
        if (source.units === undefined || job.workerId >= Atomics.load(job.control, CONTROL.ALLOWED)) return;
      }
      for (;;) {
        if (stopped()) return;
        unit = Atomics.add(job.control, CONTROL.NEXT, 1);
        if (unit >= units) return;
        for (;;) {
          const written = Atomics.load(job.control, CONTROL.WRITTEN);
          if (unit < written + job.ahead) break;
          Atomics.wait(job.control, CONTROL.WRITTEN, written, 200);
          if (stopped()) return;
        }
        const u = unit;
        const emit = (bytes: Uint8Array): void => {
          // Text waiting to be written is bounded in bytes: a thread ahead of the one being written waits. The unit
          // being written always goes on (the main thread waits for it).
          while (u !== Atomics.load(job.control, CONTROL.WRITTEN) && Atomics.load(job.control, CONTROL.PENDING) > MAX_PENDING_TEXT && !stopped()) {
            Atomics.wait(job.control, CONTROL.PENDING, Atomics.load(job.control, CONTROL.PENDING), 50);
          }
          Atomics.add(job.control, CONTROL.PENDING, bytes.length);
          post({ type: 'chunk', unit: u, bytes }, [bytes.buffer as ArrayBuffer]);
        };
        const converter = new ChunkedConverter(source, job.options, emit, buffer);
        let rows = 0;
        const unitRows = source.units === undefined ? undefined : source.unitRows(u);
        for await (const batch of source.units === undefined ? source.batches!() : source.unit(u)) {
          if (stopped()) return;
          rows += converter.convert(batch, rows);
          readSinceCollect += batch.data.byteLength;
          // Progress at every batch: a stream counts its batches' bytes, a row group its share of rows.
          if (source.units === undefined) post({ type: 'read', unit: u, bytes: batch.data.byteLength });
          else if (unitRows !== undefined && unitRows > 0) post({ type: 'read', unit: u, share: batch.numRows / unitRows });
        }
        converter.flush();
        post({ type: 'unit-end', unit: u, rows });
        // Batches read (buffers of up to tens of MB) are garbage once converted. Their buffers outlive a minor
        // collection once promoted, so a full one (a few ms: the JS heap is small) frees them every COLLECT_BYTES
        // read; otherwise a thread holds two or three large units' worth. Not after every unit: a file of
        // many small batches would spend its time collecting.
        if (readSinceCollect >= COLLECT_BYTES) {
          reclaim('major');
          readSinceCollect = 0;
        }
      }
    } finally {
      await source.close();
    }
  } catch (err) {
    post({ type: 'failed', unit, error: errorJSON(err) });
  }
}

await run();
post({ type: 'done' });
// The recycling listener would keep the thread alive: it has nothing more to do.
parentPort!.removeAllListeners('message');
