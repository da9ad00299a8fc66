import type { ImportEvent, Phase } from '../../exec/events.js';
import { count, mb, perSecond, secs } from './format-units.js';
import type { Reporter } from './reporter.js';

/** Default seconds between two progress lines of one phase. */
export const PLAIN_INTERVAL_MS = 5000;

/**
 * Plain timestamped lines for logs and CI, where a redrawn bar makes garbage: the plan, at most one progress line
 * per phase every `intervalMs`, every phase end, and warnings.
 */
export function createPlainReporter(out: NodeJS.WritableStream, intervalMs = PLAIN_INTERVAL_MS, now: () => number = Date.now): Reporter {
  const started = now();
  const stamp = (): string => `[${new Date(now()).toISOString().slice(11, 19)} +${((now() - started) / 1000).toFixed(1)}s]`;
  const lastLine = new Map<Phase, number>();
  const totals = new Map<Phase, { bytes?: number; rows?: number }>();
  return {
    onEvent(event: ImportEvent): void {
      switch (event.type) {
        case 'plan': {
          const e = event.plan.engine;
          const how = e === undefined ? '' : `, ${e.path} path, ${e.threads} thread(s), budget ${mb(e.memoryBudget)}`;
          out.write(`${stamp()} plan: ${event.plan.files.length} file(s), ${mb(event.plan.totalBytes)} -> ${event.plan.into}${how}\n`);
          break;
        }
        case 'phase-start':
          lastLine.set(event.phase, now());
          totals.set(event.phase, { bytes: event.totalBytes, rows: event.totalRows });
          break;
        case 'progress': {
          if (now() - (lastLine.get(event.phase) ?? 0) < intervalMs) break;
          lastLine.set(event.phase, now());
          const t = totals.get(event.phase);
          const pct = t?.bytes ? ` ${((100 * event.bytes) / t.bytes).toFixed(0)}%` : t?.rows ? ` ${((100 * event.rows) / t.rows).toFixed(0)}%` : '';
          const read = event.bytes > 0 ? `, ${mb(event.bytes)}` : '';
          const files = event.files > 1 ? `, files ${event.filesDone}/${event.files}` : '';
          out.write(`${stamp()} ${event.phase}:${pct} ${count(event.rows)} rows${read}, ${count(perSecond(event.rows, event.elapsedMs))} rows/s${files}\n`);
          break;
        }
        case 'phase-end':
          out.write(`${stamp()} ${event.phase} done: ${count(event.rows)} rows in ${secs(event.elapsedMs)}, peak RSS ${mb(event.peakRssBytes)}\n`);
          break;
        case 'warning':
          out.write(`${stamp()} warning ${event.code}: ${event.message}\n`);
          break;
        case 'end':
          break;
      }
    },
    close: async () => undefined,
  };
}
