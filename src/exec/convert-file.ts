import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ImportError, toImportError } from '../errors/import-error.js';
import { headerLine } from '../input/arrow-to-text.js';
import type { ConvertOptions } from '../input/convert-columnar.js';
import type { ConvertJob, ConvertMessage } from '../input/convert-worker.js';
import { CONVERT_CONTROL as CONTROL } from './convert-control.js';
import { WORKER_YOUNG_GENERATION_MB, distEntry } from './worker-pool.js';

/**
 * Resident memory of a conversion thread converting units of `unitBytes`: its runtime, the unit's batch (and the
 * previous one's buffer until it is collected) and the text it writes. Measured on 1M-row units (32 MB): Arrow
 * ~150 MB a thread; Parquet ~190 MB, parquet-wasm's memory growing to a row group's pages and never shrinking.
 */
function threadBytes(format: ConvertOptions['format'], unitBytes: number): number {
  return (60 << 20) + (format === 'parquet' ? 4 : 3) * unitBytes;
}

/** What a unit's threads have posted so far, until it is written. */
interface UnitText {
  /** Text chunks, and the thread each goes back to once written (for reuse). */
  chunks: { bytes: Uint8Array; from: Worker }[];
  rows?: number;
  error?: ImportError;
}

/**
 * Converts one Arrow IPC or Parquet file to CSV text at `dest` with `threads` conversion threads (see
 * input/convert-worker.ts) and returns its header fields and rows. This thread only writes: the units' text in
 * unit order, as it arrives, so the output is the same whatever the threads. The first error in unit order is
 * reported, with its line made absolute; a thread that dies (a decoder trap) fails the conversion with
 * GI_COLUMNAR_UNREADABLE naming the file; an abort stops the threads at once.
 */
export async function convertFile(
  source: string, dest: string, options: ConvertOptions, threads: number, memory: number, onRead: (bytes: number) => void, size: number, signal?: AbortSignal,
): Promise<{ fields: string[]; rows: number }> {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL.SIZE * 4));
  // Units in flight: the one being written and one per other thread. The text of a unit waits here whole until
  // its turn, so each unit more ahead would hold one more unit's text (tens of MB for 1M-row batches).
  const ahead = threads;
  const pending = new Map<number, UnitText>();
  const unitOf = (u: number): UnitText => {
    let t = pending.get(u);
    if (t === undefined) pending.set(u, (t = { chunks: [] }));
    return t;
  };
  let fields: string[] | undefined;
  let units = -1;
  // Progress: whole units written, or the batches read so far, whichever is further (both estimate stored bytes).
  let unitsDone = 0;
  let readEstimate = 0;
  let reported = 0;
  const progress = (): void => {
    const done = Math.floor(Math.max(readEstimate, (size * unitsDone) / Math.max(1, units)));
    if (done > reported) {
      onRead(done - reported);
      reported = done;
    }
  };
  let failure: ImportError | undefined;
  let running = 0;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** Tells every thread to stop, waking those waiting on any control slot. */
  const stopThreads = (): void => {
    Atomics.store(control, CONTROL.STOP, 1);
    Atomics.notify(control, CONTROL.WRITTEN);
    Atomics.notify(control, CONTROL.PENDING);
    Atomics.notify(control, CONTROL.ALLOWED);
  };
  const fail = (err: ImportError): void => {
    failure ??= err;
    stopThreads();
    poke();
  };
  const workers: Worker[] = [];
  const onAbort = (): void => fail(new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written'));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  for (let id = 0; id < threads; id++) {
    const job: ConvertJob = { source, options, workerId: id, control, ahead };
    const worker = new Worker(distEntry('input/convert-worker.js'), {
      workerData: job, name: `graph-import convert ${id}`,
      // As the pool's workers: text and batches live in typed arrays, the JS heap holds little.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    running++;
    worker.on('message', (msg: ConvertMessage) => {
      if (msg.type === 'schema') {
        fields = msg.fields;
        units = msg.units;
        const allowed = Math.max(1, Math.min(threads, Math.floor(memory / threadBytes(options.format, msg.unitBytes))));
        Atomics.store(control, CONTROL.ALLOWED, allowed);
        Atomics.notify(control, CONTROL.ALLOWED);
      } else if (msg.type === 'chunk') unitOf(msg.unit).chunks.push({ bytes: msg.bytes, from: worker });
      else if (msg.type === 'unit-end') unitOf(msg.unit).rows = msg.rows;
      else if (msg.type === 'read') {
        // Bytes of the stored file read so far, estimated batch by batch: never past the file, exact at its end.
        const unitBytes = size / Math.max(1, units);
        readEstimate = Math.min(size, readEstimate + (msg.bytes ?? (msg.share ?? 0) * unitBytes));
        progress();
      }
      else if (msg.type === 'failed') {
        const err = ImportError.fromJSON(msg.error);
        // A unit's error waits for the units before it (one of them may hold an earlier error); the file's own fails now.
        if (msg.unit < 0) fail(err);
        else unitOf(msg.unit).error = err;
      }
      poke();
    });
    worker.on('error', (err) => fail(new ImportError('GI_COLUMNAR_UNREADABLE', `the ${options.format === 'parquet' ? 'Parquet' : 'Arrow IPC'} decoder stopped on this file (${err.message})`, {
      file: options.file, cause: err, hint: 'check the file with another reader; re-writing it with default settings (e.g. Parquet data page v1) usually helps',
    })));
    worker.on('exit', () => {
      running--;
      poke();
    });
    workers.push(worker);
  }

  let handle;
  try {
    handle = await open(dest, 'w');
  } catch (err) {
    fail(toImportError(err, 'GI_STORE_WRITE', { file: dest }));
  }
  const write = async (bytes: Uint8Array): Promise<void> => {
    try {
      let at = 0;
      while (at < bytes.length) at += (await handle!.write(bytes, at, bytes.length - at)).bytesWritten;
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: dest });
    }
  };
  let rows = 0;
  try {
    let next = 0;
    let headerDone = false;
    while (failure === undefined) {
      if (!headerDone && fields !== undefined) {
        if (options.header) await write(Buffer.from(`${headerLine(fields, options.delimiter, options.quote)}\n`));
        headerDone = true;
      }
      // A file without record batches is its header alone.
      if (headerDone && next >= units) break;
      const unit = headerDone ? pending.get(next) : undefined;
      if (unit !== undefined && unit.chunks.length > 0) {
        const { bytes, from } = unit.chunks.shift()!;
        await write(bytes);
        Atomics.sub(control, CONTROL.PENDING, bytes.length);
        Atomics.notify(control, CONTROL.PENDING);
        from.postMessage({ type: 'recycle', bytes }, [bytes.buffer as ArrayBuffer]);
        continue;
      }
      if (unit?.error !== undefined) {
        const e = unit.error.toJSON();
        throw ImportError.fromJSON({ ...e, line: e.line === undefined ? undefined : e.line + rows });
      }
      if (unit?.rows !== undefined) {
        rows += unit.rows;
        pending.delete(next++);
        Atomics.store(control, CONTROL.WRITTEN, next);
        Atomics.notify(control, CONTROL.WRITTEN);
        unitsDone = next;
        progress();
        if (next === units) break;
        continue;
      }
      if (running === 0) {
        throw failure ?? new ImportError('GI_WORKER_CRASHED', `the conversion threads ended before unit ${next} of ${units} was converted`, { file: options.file });
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure !== undefined) throw failure;
    return { fields: fields!, rows };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopThreads();
    await Promise.all(workers.map((w) => w.terminate()));
    await handle?.close();
  }
}
