import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ImportEvent, Phase } from '../../exec/events.js';
import type { Reporter } from './reporter.js';

const MB = 1024 * 1024;

/** Progress bars for an interactive terminal: one bar per phase with a size, moved at every batch boundary. */
export function createBarReporter(out: NodeJS.WriteStream): Reporter {
  const multi = new MultiBar({
    stream: out,
    fps: 10, // redraws throttled to ~100 ms however often batches end
    hideCursor: true,
    clearOnComplete: false,
    format: ' {phase} |{bar}| {percentage}% | {doneMB}/{totalMB} MB | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
  }, Presets.shades_classic);
  const bars = new Map<Phase, SingleBar>();
  return {
    onEvent(event: ImportEvent): void {
      if (event.type === 'phase-start' && event.totalBytes !== undefined && event.totalBytes > 0) {
        bars.set(event.phase, multi.create(event.totalBytes, 0, { phase: event.phase.padEnd(13), doneMB: '0', totalMB: (event.totalBytes / MB).toFixed(1), rows: 0, rate: 0 }));
      } else if (event.type === 'progress') {
        bars.get(event.phase)?.update(event.bytes, {
          doneMB: (event.bytes / MB).toFixed(1),
          rows: event.rows.toLocaleString('en-US'),
          rate: Math.round(event.rows / Math.max(event.elapsedMs / 1000, 1e-3)).toLocaleString('en-US'),
        });
      } else if (event.type === 'phase-end') {
        const bar = bars.get(event.phase);
        if (bar !== undefined) bar.update(bar.getTotal());
      }
    },
    close(): void {
      multi.stop();
    },
  };
}

