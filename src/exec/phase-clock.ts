import { relative } from 'node:path';
import { ImportError } from '../errors/import-error.js';
import type { EventSink, Phase, PhaseTotals } from './events.js';

/** One file a phase reads, and its data bytes: the phase counts it done once that many bytes went through. */
export interface PhaseFile {
  path: string;
  bytes: number;
}

/** Throws GI_INTERRUPTED once the signal has aborted (checked at batch boundaries). */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ImportError('GI_INTERRUPTED', 'import interrupted; nothing was written');
}

/**
 * Times the phases of an import and turns batch boundaries into events: `progress` with the phase's running
 * totals (rows, bytes, batches, files done) at every batch, and `phase-end` with the memory figures of the process.
 */
export class PhaseClock {
  /** Milliseconds per finished phase. */
  readonly durations: Partial<Record<Phase, number>> = {};
  /** Process peak RSS (bytes, all threads) when each phase ended: shows which phase set the peak. */
  readonly peakRss: Partial<Record<Phase, number>> = {};
  private readonly starts = new Map<Phase, number>();
  private readonly totals = new Map<Phase, PhaseTotals>();
  private readonly files = new Map<Phase, { sizes: Map<string, number>; read: Map<string, number>; done: number }>();

  constructor(private readonly emit: EventSink) {}

  /** Starts `phase`; a byte total or a row total lets reporters show a percentage and an ETA. */
  start(phase: Phase, o: { totalBytes?: number; totalRows?: number; files?: PhaseFile[] } = {}): void {
    this.starts.set(phase, performance.now());
    this.totals.set(phase, { rows: 0, bytes: 0, batches: 0 });
    const sizes = new Map((o.files ?? []).map((f) => [f.path, f.bytes]));
    this.files.set(phase, { sizes, read: new Map(), done: 0 });
    this.emit({ type: 'phase-start', phase, totalBytes: o.totalBytes, totalRows: o.totalRows, files: sizes.size });
  }

  /** Ends `phase` with its exact row count. */
  end(phase: Phase, rows: number): void {
    const ms = performance.now() - (this.starts.get(phase) ?? performance.now());
    this.durations[phase] = ms;
    const mem = process.memoryUsage();
    // maxRSS is sampled by the kernel and can trail the current RSS by a few pages: a peak is never below it.
    const peak = Math.max(process.resourceUsage().maxRSS * 1024, mem.rss);
    this.peakRss[phase] = peak;
    this.emit({
      type: 'phase-end', phase, rows, bytes: this.totals.get(phase)?.bytes ?? 0, elapsedMs: ms,
      rssBytes: mem.rss, peakRssBytes: peak, heapUsedBytes: mem.heapUsed,
    });
  }

  /** Adds one finished batch (from any thread, in any order) to the phase's totals and emits them. */
  batch(phase: Phase, file: string, rows: number, bytes: number): void {
    const totals = this.totals.get(phase);
    const files = this.files.get(phase);
    if (totals === undefined || files === undefined) return;
    totals.rows += rows;
    totals.bytes += bytes;
    totals.batches++;
    if (file !== '' && files.sizes.has(file)) {
      const before = files.read.get(file) ?? 0;
      const after = before + bytes;
      files.read.set(file, after);
      const size = files.sizes.get(file)!;
      if (before < size && after >= size) files.done++;
    }
    const shown = file === '' ? '' : relative('.', file) || file;
    this.emit({
      type: 'progress', phase, file: shown, ...totals, elapsedMs: performance.now() - (this.starts.get(phase) ?? 0),
      filesDone: files.done, files: files.sizes.size,
    });
  }

  /** A batch callback for one file read in order (bytes done so far in the file); stops once the signal aborts. */
  fileProgress(phase: Phase, file: string, signal: AbortSignal | undefined): (batchRows: number, bytesDone: number) => void {
    let done = 0;
    return (batchRows, bytesDone) => {
      checkAborted(signal);
      this.batch(phase, file, batchRows, bytesDone - done);
      done = bytesDone;
    };
  }
}
