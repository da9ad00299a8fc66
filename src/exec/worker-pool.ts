import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ImportError } from '../errors/import-error.js';

/** Slots of the shared control array every worker of a pool sees. */
export const CONTROL = {
  /** Next range to reserve (Atomics.add). */
  NEXT: 0,
  /** Non-zero: stop at the next batch boundary (interrupt, or a confirmed data error: fail fast). */
  STOP: 1,
  /** Tasks whose results the main thread has consumed, in order: workers stay a bounded distance ahead of it. */
  WRITTEN: 2,
  SIZE: 3,
} as const;

/** A fresh control array in shared memory. */
export function createControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL.SIZE * 4));
}

/** Messages a worker posts. */
export type WorkerMessage<R> = { type: 'report'; report: R } | { type: 'done' } | { type: 'failed'; name: string; message: string; stack?: string };

/** What a pool runs: `threads` workers of `task`, each given `data` (plus its worker id and the control array). */
export interface PoolOptions<R> {
  threads: number;
  task: string;
  data: (workerId: number) => Record<string, unknown>;
  control: Int32Array;
  onReport: (report: R, workerId: number) => void;
  signal?: AbortSignal;
}

let workerScript: string | undefined;

/**
 * Workers run compiled JavaScript (Node 20 cannot run TypeScript), so the entry point is found in dist/ at the
 * package root whether this module runs from dist/ or, under the test runner, from src/.
 */
export function workerScriptPath(): string {
  if (workerScript !== undefined) return workerScript;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dist', 'exec', 'worker-main.js');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return (workerScript = candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ImportError('GI_WORKER_CRASHED', 'cannot find the worker entry point dist/exec/worker-main.js', { hint: 'run `npm run build` first' });
}

/**
 * Runs a pool of worker threads until every worker has reserved all the work it can and posted `done`. Fails
 * (terminating the other workers) when a worker crashes, posts `failed`, exits early, or the signal aborts; reports
 * are handed to `onReport` as they arrive.
 */
export function runPool<R>(options: PoolOptions<R>): Promise<void> {
  const { threads, control, signal } = options;
  const workers: Worker[] = [];
  let finished = 0;
  let settled = false;
  return new Promise<void>((resolve, reject) => {
    const fail = (err: ImportError): void => {
      if (settled) return;
      settled = true;
      Atomics.store(control, CONTROL.STOP, 1);
      signal?.removeEventListener('abort', onAbort);
      void Promise.all(workers.map((w) => w.terminate())).finally(() => reject(err));
    };
    const onAbort = (): void => fail(new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let script: string;
    try {
      script = workerScriptPath();
    } catch (err) {
      return fail(err as ImportError);
    }
    for (let id = 0; id < threads; id++) {
      let done = false;
      let worker: Worker;
      try {
        worker = new Worker(script, { workerData: { task: options.task, workerId: id, control, ...options.data(id) } });
      } catch (err) {
        return fail(new ImportError('GI_WORKER_CRASHED', `cannot start worker thread ${id}`, { cause: err }));
      }
      workers.push(worker);
      worker.on('message', (msg: WorkerMessage<R>) => {
        if (settled) return;
        if (msg.type === 'report') {
          try {
            options.onReport(msg.report, id);
          } catch (err) {
            fail(err instanceof ImportError ? err : new ImportError('GI_INTERNAL', String(err), { cause: err }));
          }
        } else if (msg.type === 'failed') {
          const cause = Object.assign(new Error(msg.message), { name: msg.name, stack: msg.stack });
          fail(new ImportError('GI_TASK_FAILED', `a ${options.task} task failed in worker ${id}: ${msg.message}`, { cause }));
        } else {
          done = true;
        }
      });
      worker.on('error', (err) => fail(new ImportError('GI_WORKER_CRASHED', `worker ${id} crashed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (settled) return;
        if (!done) return fail(new ImportError('GI_WORKER_CRASHED', `worker ${id} exited (code ${code}) before finishing its tasks`));
        if (++finished === threads) {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  });
}
