import { CONTROL, type WorkerPool, createControl } from './worker-pool.js';

/**
 * Results of tasks consumed strictly in task order (CSR partitions, forward or backward), produced either by worker
 * threads, which may finish out of order and run at most a bounded number of tasks ahead of the consumer, or on
 * this thread, one when asked for.
 */
export interface OrderedResults<R> {
  get(id: number): Promise<R>;
  /**
   * Takes task `id` for the consumer to run itself, when no worker has reserved it yet (workers still starting, or
   * all busy): true when it is the consumer's now, and `get(id)` must not be called.
   */
  claim(id: number): boolean;
  /** Marks results up to `id` as consumed: workers may run that much further ahead. */
  written(id: number): void;
  /** Settles when the workers are done (at once on this thread). */
  finished(): Promise<void>;
  /** Stops the workers at their next task; they finish their run. */
  cancel(): void;
}

/** Where results come from: a pool task, or a function run here when the work is too small for threads. */
export type ResultProducer<R> =
  | { inline: (id: number) => R }
  | { pool: WorkerPool; task: string; threads: number; data: Record<string, unknown> };

/** Results of `producer`, in task order (see OrderedResults). */
export function orderedResults<R extends { id: number }>(producer: ResultProducer<R>): OrderedResults<R> {
  if ('inline' in producer) {
    return { get: async (id) => producer.inline(id), claim: () => false, written: () => undefined, finished: async () => undefined, cancel: () => undefined };
  }
  const control = createControl();
  const ready = new Map<number, R>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  const run = producer.pool.run<R>({
    threads: producer.threads, task: producer.task, control,
    data: () => ({ ...producer.data, ahead: producer.threads }),
    onReport: (result) => {
      ready.set(result.id, result);
      wake?.();
    },
  }).catch((err: unknown) => {
    failure = err;
    wake?.();
    throw err;
  });
  // The failure is seen by `get` and by `finished`; this keeps it from being reported as unhandled meanwhile.
  run.catch(() => undefined);
  return {
    async get(id) {
      for (;;) {
        const r = ready.get(id);
        if (r !== undefined) {
          ready.delete(id);
          return r;
        }
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    claim(id) {
      // Workers reserve tasks in order through NEXT: task `id` is free exactly while NEXT still equals it.
      return Atomics.compareExchange(control, CONTROL.NEXT, id, id + 1) === id;
    },
    written(id) {
      Atomics.store(control, CONTROL.WRITTEN, id + 1);
      Atomics.notify(control, CONTROL.WRITTEN);
    },
    finished: () => run,
    cancel() {
      // Workers see STOP between tasks and while waiting for the consumer.
      Atomics.store(control, CONTROL.STOP, 1);
      Atomics.notify(control, CONTROL.WRITTEN);
    },
  };
}
