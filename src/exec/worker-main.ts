/**
 * Entry point of every worker thread. A worker reserves tasks from the shared control array until none are left
 * and posts one report per task; rows never cross the thread boundary, only reports and result columns
 * (transferred, or in shared memory).
 */
import { closeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ByteRange } from '../plan/split-ranges.js';
import { type BackwardSource, type BackwardTask, type CsrInit, type CsrTask, runBackwardPartition, runCsrPartition } from './csr-partition-task.js';
import { SpillFile } from './spill-io.js';
import { type BlockSink, type RelTaskInit, closeRelTaskContext, relTaskContext, runRelRange } from './rel-range-task.js';
import { type NodeTaskInit, nodeTaskContext, reportTransfer, runNodeRange } from './node-range-task.js';
import { reclaim } from './reclaim.js';
import { RejectSpill } from './bad-rows.js';
import { CONTROL, type WorkerMessage } from './worker-pool.js';

interface BaseData {
  workerId: number;
  control: Int32Array;
}

interface RelWorkerData extends BaseData {
  task: 'relationships';
  init: RelTaskInit;
  ranges: ByteRange[];
  arrayDelimiter: number;
  /** Spill file of this worker, or undefined to keep blocks in (shared) memory. */
  spillPath?: string;
  /** File for this worker's reject records, when the import writes a rejects report. */
  rejectsPath?: string;
}

interface CsrWorkerData extends BaseData {
  task: 'csr';
  init: CsrInit;
  tasks: CsrTask[];
  /** How many tasks past the last one written a worker may start. */
  ahead: number;
}

interface NodeWorkerData extends BaseData {
  task: 'nodes';
  init: NodeTaskInit;
  ranges: ByteRange[];
  ahead: number;
}

interface BackwardWorkerData extends BaseData {
  task: 'csr-backward';
  tasks: BackwardTask[];
  sources: BackwardSource[];
  ahead: number;
}

const post = (msg: WorkerMessage<unknown>, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(msg, transfer);

async function relationshipWorker(data: RelWorkerData): Promise<void> {
  const { control, ranges } = data;
  const ctx = relTaskContext(data.init);
  const file = data.spillPath === undefined ? undefined : new SpillFile(data.spillPath);
  const rejects = data.rejectsPath === undefined ? undefined : new RejectSpill(data.rejectsPath);
  const sink: BlockSink = file === undefined ? { rejects } : { spill: (bytes) => ({ spill: data.workerId, offset: file.append(bytes) }), rejects };
  const stop = (): boolean => Atomics.load(control, CONTROL.STOP) !== 0;
  try {
    for (;;) {
      if (stop()) break;
      const r = Atomics.add(control, CONTROL.NEXT, 1);
      if (r >= ranges.length) break;
      const file = ranges[r].fileIndex;
      const report = await runRelRange(ctx, ranges[r], undefined, data.arrayDelimiter, sink, stop, (rows, bytes) => post({ type: 'progress', rows, bytes, file }));
      post({ type: 'report', report });
    }
  } finally {
    file?.close();
    rejects?.close();
    await closeRelTaskContext(ctx);
  }
}

/**
 * Runs tasks whose results the main thread consumes in task order (CSR partitions, node ranges): a worker reserves
 * the next task, but starts it only within `ahead` tasks of the last one written, so memory stays bounded. The wait
 * for the consumer is asynchronous, so a task may read files asynchronously (node ranges) while another waits.
 */
async function orderedWorker(
  control: Int32Array, count: number, ahead: number,
  run: (t: number) => { report: unknown; transfer: ArrayBuffer[] } | Promise<{ report: unknown; transfer: ArrayBuffer[] }>,
): Promise<void> {
  const stopped = (): boolean => Atomics.load(control, CONTROL.STOP) !== 0;
  for (;;) {
    if (stopped()) return;
    const t = Atomics.add(control, CONTROL.NEXT, 1);
    if (t >= count) return;
    for (;;) {
      const written = Atomics.load(control, CONTROL.WRITTEN);
      if (t < written + ahead) break;
      const wait = Atomics.waitAsync(control, CONTROL.WRITTEN, written, 200);
      if (wait.async) await wait.value;
      if (stopped()) return;
    }
    const { report, transfer } = await run(t);
    post({ type: 'report', report }, transfer);
    reclaim();
  }
}

/** Reads ranges of a node file whose results the main thread appends in range order (see loadNodeRanges). */
async function nodeWorker(data: NodeWorkerData): Promise<void> {
  const ctx = nodeTaskContext(data.init);
  const stopped = (): boolean => Atomics.load(data.control, CONTROL.STOP) !== 0;
  await orderedWorker(data.control, data.ranges.length, data.ahead, async (t) => {
    const report = await runNodeRange(ctx, data.ranges[t], undefined, stopped);
    return { report, transfer: reportTransfer(report) };
  });
}

async function csrWorker(data: CsrWorkerData): Promise<void> {
  const fds = new Map<number, number>();
  const spill = data.init.backwardSpill === undefined ? undefined : new SpillFile(`${data.init.backwardSpill}.w${data.workerId}`);
  try {
    await orderedWorker(data.control, data.tasks.length, data.ahead, (t) => {
      const result = runCsrPartition(data.init, data.tasks[t], fds, spill);
      const transfer = [result.degrees.buffer, result.dst.buffer, result.records.buffer, result.counts.buffer, ...result.segments.flat().map((b) => b.buffer)];
      return { report: result, transfer: transfer as ArrayBuffer[] };
    });
  } finally {
    for (const fd of fds.values()) closeSync(fd);
    spill?.close();
  }
}

async function backwardWorker(data: BackwardWorkerData): Promise<void> {
  const fds = new Map<string, number>();
  try {
    await orderedWorker(data.control, data.tasks.length, data.ahead, (t) => {
      const result = runBackwardPartition(data.tasks[t], data.sources[data.tasks[t].source], fds);
      return { report: result, transfer: [result.degrees.buffer, result.src.buffer, result.edge.buffer] as ArrayBuffer[] };
    });
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

/** Runs one task message to completion and reports `done` or `failed`; the worker then waits for the next. */
async function run(data: RelWorkerData | CsrWorkerData | BackwardWorkerData | NodeWorkerData): Promise<void> {
  try {
    if (data.task === 'relationships') {
      await relationshipWorker(data);
      // The task's buffers (kept from range to range) are garbage now, and so is this thread's view of the ID index
      // once the message stops holding it: free them before the CSR phase needs the memory, rather than whenever
      // the old generation next fills.
      data.init.indexes = {};
      reclaim('major');
    }
    else if (data.task === 'nodes') {
      await nodeWorker(data);
      reclaim('major');
    }
    else if (data.task === 'csr') await csrWorker(data);
    else if (data.task === 'csr-backward') await backwardWorker(data);
    else throw new Error(`unknown task ${String((data as { task: unknown }).task)}`);
    post({ type: 'done' });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', name: e.name, message: e.message, stack: e.stack });
  }
}

parentPort!.on('message', (msg: { type: string }) => {
  if (msg.type === 'run') void run(msg as unknown as RelWorkerData | CsrWorkerData | BackwardWorkerData | NodeWorkerData);
});
