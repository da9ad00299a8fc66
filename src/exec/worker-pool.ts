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

/** Messages a worker posts (per run). */
export type WorkerMessage<R> =
  | { type: 'report'; report: R }
  /** A batch finished inside a task: rows, input bytes, and the input file index. */
  | { type: 'progress'; rows: number; bytes: number; file: number }
  | { type: 'done' }
  | { type: 'failed'; name: string; message: string; stack?: string };


/** Young generation of each worker's JS heap (MiB). */
export const WORKER_YOUNG_GENERATION_MB = 8;

const entries = new Map<string, string>();

/**
 * The compiled entry point `dist/<relative>` of a worker thread. Workers run compiled JavaScript (Node 20 cannot run
 * TypeScript), so it is found in dist/ at the package root whether this module runs from dist/ or, under the test
 * runner, from src/.
 */
export function distEntry(relative: string): string {
  const known = entries.get(relative);
  if (known !== undefined) return known;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dist', ...relative.split('/'));
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) {
      entries.set(relative, candidate);
      return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ImportError('GI_WORKER_CRASHED', `cannot find the worker entry point dist/${relative}`, { hint: 'run `npm run build` first' });
}

/** The entry point of the import's worker pool. */
export function workerScriptPath(): string {
  return distEntry('exec/worker-main.js');
}

/** One run of a task: `threads` workers of `task`, each given `data` (plus its worker id and the control array). */
export interface TaskRun<R> {
  /** Workers taking part (the first `threads` of the pool). */
  threads: number;
  task: string;
  data: (workerId: number) => Record<string, unknown>;
  control: Int32Array;
  onReport: (report: R, workerId: number) => void;
  /** Batch progress inside tasks (optional). */
  onProgress?: (rows: number, bytes: number, file: number) => void;
}

/**
 * Worker threads that live for a whole import and run its phases one after another (relationship ranges, then
 * CSR partitions), so threads start once and the memory a phase frees is reused by the next in the same threads.
 * A run fails, and the pool is shut down, when a worker crashes, posts `failed`, exits, or the signal aborts.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private failure: ImportError | undefined;
  private closing: Promise<void> | undefined;
  private current: { fail: (err: ImportError) => void; onMessage: (id: number, msg: WorkerMessage<unknown>) => void } | undefined;
  private readonly onAbort = (): void => this.fail(new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written'));

  private constructor(private readonly signal: AbortSignal | undefined) {}

  /** Starts `threads` workers. */
  static start(threads: number, signal?: AbortSignal): WorkerPool {
    const pool = new WorkerPool(signal);
    const script = workerScriptPath();
    for (let id = 0; id < threads; id++) {
      let worker: Worker;
      try {
        worker = new Worker(script, {
          workerData: { workerId: id },
          // Shown as the thread's title in DevTools (--inspect) and in profiles, so workers are recognisable.
          name: `graph-import worker ${id}`,
          // Workers allocate short-lived garbage per batch; a small young generation keeps each worker's resident
          // memory near its live data (column memory is in typed arrays, outside the JS heap).
          resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
        });
      } catch (err) {
        void pool.close();
        throw new ImportError('GI_WORKER_CRASHED', `cannot start worker thread ${id}`, { cause: err });
      }
      worker.on('message', (msg: WorkerMessage<unknown>) => pool.current?.onMessage(id, msg));
      worker.on('error', (err) => pool.fail(new ImportError('GI_WORKER_CRASHED', `worker ${id} crashed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => pool.fail(new ImportError('GI_WORKER_CRASHED', `worker ${id} exited (code ${code}) before the import finished`)));
      pool.workers.push(worker);
    }
    signal?.addEventListener('abort', pool.onAbort, { once: true });
    if (signal?.aborted) pool.onAbort();
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Runs `task` on the first `threads` workers until each has reserved all the work it can and posted `done`. */
  run<R>(o: TaskRun<R>): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const threads = Math.min(o.threads, this.workers.length);
    let finished = 0;
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: ImportError): void => {
        this.current = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
      this.current = {
        fail: (err) => {
          Atomics.store(o.control, CONTROL.STOP, 1);
          settle(err);
        },
        onMessage: (id, msg) => {
          if (msg.type === 'report') {
            try {
              o.onReport(msg.report as R, id);
            } catch (err) {
              this.fail(err instanceof ImportError ? err : new ImportError('GI_INTERNAL', String(err), { cause: err }));
            }
          } else if (msg.type === 'progress') {
            o.onProgress?.(msg.rows, msg.bytes, msg.file);
          } else if (msg.type === 'failed') {
            const cause = Object.assign(new Error(msg.message), { name: msg.name, stack: msg.stack });
            this.fail(new ImportError('GI_TASK_FAILED', `a ${o.task} task failed in worker ${id}: ${msg.message}`, { cause }));
          } else if (++finished === threads) {
            settle();
          }
        },
      };
      for (let id = 0; id < threads; id++) {
        this.workers[id].postMessage({ type: 'run', task: o.task, control: o.control, workerId: id, ...o.data(id) });
      }
    });
  }

  /** Fails the current run and shuts the pool down (workers are terminated). */
  private fail(err: ImportError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    const run = this.current;
    void this.close().finally(() => run?.fail(err));
  }

  /** Stops every worker; resolves once all have exited (however many times it is called). */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.failure ??= new ImportError('GI_INTERNAL', 'the worker pool is closed');
    const workers = this.workers.splice(0);
    for (const w of workers) w.removeAllListeners('exit');
    this.closing = Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
    return this.closing;
  }
}

/** Runs one task on a pool of its own (started and closed around it). */
export async function runPool<R>(options: TaskRun<R> & { signal?: AbortSignal }): Promise<void> {
  let pool: WorkerPool;
  try {
    pool = WorkerPool.start(options.threads, options.signal);
  } catch (err) {
    throw err instanceof ImportError ? err : new ImportError('GI_WORKER_CRASHED', String(err), { cause: err });
  }
  try {
    await pool.run(options);
  } finally {
    await pool.close();
  }
}
