import type { ImportEvent } from '../../exec/events.js';
import type { Reporter } from './reporter.js';

/** One line per phase end on a stream (for logs and CI, where redrawing a bar makes garbage). */
export function createPlainReporter(out: NodeJS.WritableStream): Reporter {
  const started = Date.now();
  const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    onEvent(event: ImportEvent): void {
      if (event.type === 'phase-end') {
        out.write(`${stamp()} ${event.phase}: ${event.rows.toLocaleString('en-US')} rows in ${(event.elapsedMs / 1000).toFixed(2)} s\n`);
      }
    },
    close: () => undefined,
  };
}
