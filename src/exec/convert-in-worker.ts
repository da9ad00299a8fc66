import { Worker } from 'node:worker_threads';
import { ImportError, type ImportErrorJSON } from '../errors/import-error.js';
import type { ConvertJob, ConvertMessage } from '../input/convert-worker.js';
import { distEntry } from './worker-pool.js';

/**
 * Converts one Arrow IPC or Parquet file to CSV text in a thread of its own (see input/convert-worker.ts) and
 * returns its header fields and rows. A thread that dies (a decoder trap) fails the import with
 * GI_COLUMNAR_UNREADABLE naming the file; an abort stops the thread at once.
 */
export function convertInWorker(job: ConvertJob, onRead: (bytes: number) => void, signal?: AbortSignal): Promise<{ fields: string[]; rows: number }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(distEntry('input/convert-worker.js'), { workerData: job, name: `graph-import convert ${job.options.file}` });
    const finish = (err: ImportError | undefined, result?: { fields: string[]; rows: number }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err !== undefined) reject(err);
      else resolve(result!);
    };
    const onAbort = (): void => finish(new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written'));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    worker.on('message', (msg: ConvertMessage) => {
      if (msg.type === 'progress') onRead(msg.bytes);
      else if (msg.type === 'done') finish(undefined, { fields: msg.fields, rows: msg.rows });
      else if ('code' in msg.error) finish(ImportError.fromJSON(msg.error as ImportErrorJSON));
      else finish(new ImportError('GI_TASK_FAILED', `converting the file failed: ${msg.error.message}`, { file: job.options.file, cause: Object.assign(new Error(msg.error.message), { stack: msg.error.stack }) }));
    });
    worker.on('error', (err) => finish(new ImportError('GI_COLUMNAR_UNREADABLE', `the ${job.options.format === 'parquet' ? 'Parquet' : 'Arrow IPC'} decoder stopped on this file (${err.message})`, {
      file: job.options.file, cause: err, hint: 'check the file with another reader; re-writing it with default settings (e.g. Parquet data page v1) usually helps',
    })));
    worker.on('exit', (code) => finish(new ImportError('GI_WORKER_CRASHED', `the conversion thread exited (code ${code}) before it finished`, { file: job.options.file })));
  });
}
