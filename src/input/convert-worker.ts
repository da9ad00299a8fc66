/**
 * Entry point of a conversion thread: converts one Arrow IPC or Parquet file to CSV text (convertColumnar) and posts
 * progress, then `done` or `failed`. A thread per file keeps the decoders' memory (WebAssembly memory never shrinks)
 * out of the import's main thread, lets several files convert at once, and contains a decoder that aborts (see
 * parquet-source.ts): the thread dies, the import does not.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportError } from '../errors/import-error.js';
import { type ConvertOptions, convertColumnar } from './convert-columnar.js';

/** What the thread is given. */
export interface ConvertJob {
  source: string;
  dest: string;
  options: Omit<ConvertOptions, 'onRead' | 'signal'>;
}

/** What the thread posts. */
export type ConvertMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; fields: string[]; rows: number }
  | { type: 'failed'; error: ReturnType<ImportError['toJSON']> | { message: string; stack?: string } };

const job = workerData as ConvertJob;
const post = (msg: ConvertMessage): void => parentPort!.postMessage(msg);

try {
  const result = await convertColumnar(job.source, job.dest, { ...job.options, onRead: (bytes) => post({ type: 'progress', bytes }) });
  post({ type: 'done', ...result });
} catch (err) {
  post({ type: 'failed', error: err instanceof ImportError ? err.toJSON() : { message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack } });
}
