/**
 * Entry point of every worker thread. A worker reserves ranges from the shared control array until none are left
 * and posts one report per range; rows never cross the thread boundary, only reports and (in memory mode) the
 * encoded blocks, transferred without a copy.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ByteRange } from '../plan/split-ranges.js';
import { type BlockSink, type RelTaskInit, relTaskContext, runRelRange } from './rel-range-task.js';
import { CONTROL, type WorkerMessage } from './worker-pool.js';

interface RelWorkerData {
  task: 'relationships';
  workerId: number;
  control: Int32Array;
  init: RelTaskInit;
  ranges: ByteRange[];
  arrayDelimiter: number;
  /** Spill file of this worker, or undefined to keep blocks in memory. */
  spillPath?: string;
}

const post = (msg: WorkerMessage<unknown>, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(msg, transfer);

async function relationshipWorker(data: RelWorkerData): Promise<void> {
  const { control, ranges } = data;
  const ctx = relTaskContext(data.init);
  const fd = data.spillPath === undefined ? undefined : openSync(data.spillPath, 'w');
  let spilled = 0;
  const sink: BlockSink = (bytes) => {
    if (fd === undefined) return undefined;
    const offset = spilled;
    writeSync(fd, bytes, 0, bytes.length, offset);
    spilled += bytes.length;
    return { spill: data.workerId, offset };
  };
  const stop = (): boolean => Atomics.load(control, CONTROL.STOP) !== 0;
  try {
    for (;;) {
      if (stop()) break;
      const r = Atomics.add(control, CONTROL.NEXT, 1);
      if (r >= ranges.length) break;
      if (r > Atomics.load(control, CONTROL.FIRST_ERROR)) break;
      const report = await runRelRange(ctx, ranges[r], undefined, data.arrayDelimiter, sink, stop);
      if (report.error !== undefined) lowerFirstError(control, r);
      const transfer = report.blocks.flatMap((b) => (b.bytes === undefined ? [] : [b.bytes.buffer as ArrayBuffer]));
      post({ type: 'report', report }, transfer);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function lowerFirstError(control: Int32Array, r: number): void {
  for (;;) {
    const current = Atomics.load(control, CONTROL.FIRST_ERROR);
    if (r >= current || Atomics.compareExchange(control, CONTROL.FIRST_ERROR, current, r) === current) return;
  }
}

try {
  const data = workerData as RelWorkerData;
  if (data.task !== 'relationships') throw new Error(`unknown task ${String(data.task)}`);
  await relationshipWorker(data);
  post({ type: 'done' });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'failed', name: e.name, message: e.message, stack: e.stack });
}
