import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import ora, { type Ora } from 'ora';
import type { ImportEvent, Phase } from '../../exec/events.js';
import { count, mb, perSecond, secs } from './format-units.js';
import type { Reporter } from './reporter.js';

/** Phases whose size is known up front get a bar; the others (sniff, commit) a spinner. */
const LABEL_WIDTH = 13;

/**
 * Interactive terminal output: a cli-progress bar per phase with a size (nodes and relationships by input bytes,
 * the CSR build by edges), moved at every batch boundary and redrawn at most every 100 ms; an ora spinner for
 * steps without a size. Warnings print above the bars. `close` stops both and shows the cursor again, so an
 * interrupted import leaves a clean terminal.
 */
export function createBarReporter(out: NodeJS.WriteStream): Reporter {
  let multi: MultiBar | undefined;
  let spinner: Ora | undefined;
  const bars = new Map<Phase, { bar: SingleBar; unit: 'bytes' | 'rows' }>();
  const startMulti = (): MultiBar => (multi ??= new MultiBar({
    stream: out,
    fps: 10,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
    format: ' {phase} |{bar}| {percentage}% | {amount} | {rate}/s | ETA {eta_formatted}{files}',
  }, Presets.shades_classic));
  const stopMulti = (): void => {
    multi?.stop();
    multi = undefined;
    bars.clear();
  };
  const spin = (text: string): void => {
    spinner = ora({ text, stream: out, discardStdin: false, isEnabled: true }).start();
  };
  const unspin = (text: string): void => {
    spinner?.succeed(text);
    spinner = undefined;
  };
  const filesText = (done: number, total: number): string => (total > 1 ? ` | files ${done}/${total}` : '');

  return {
    onEvent(event: ImportEvent): void {
      switch (event.type) {
        case 'plan': {
          const e = event.plan.engine;
          const how = e === undefined ? '' : ` (${e.path}, ${e.threads} thread${e.threads === 1 ? '' : 's'}, budget ${mb(e.memoryBudget)})`;
          out.write(`graph-import: ${event.plan.files.length} file(s), ${mb(event.plan.totalBytes)} -> ${event.plan.into}${how}\n`);
          break;
        }
        case 'phase-start': {
          const phase = event.phase.padEnd(LABEL_WIDTH);
          if (event.totalBytes !== undefined && event.totalBytes > 0) {
            const decode = event.phase === 'decode';
            const bar = startMulti().create(event.totalBytes, 0, {
              phase, amount: `0.0/${mb(event.totalBytes)}${decode ? '' : ', 0 rows'}`, rate: decode ? mb(0) : '0 rows', files: filesText(0, event.files),
            });
            bars.set(event.phase, { bar, unit: 'bytes' });
          } else if (event.totalRows !== undefined && event.totalRows > 0) {
            const bar = startMulti().create(event.totalRows, 0, { phase, amount: `0/${count(event.totalRows)} edges`, rate: '0 edges', files: '' });
            bars.set(event.phase, { bar, unit: 'rows' });
          } else {
            // No size: a spinner. The bars above stay as they are (stopped) and the spinner runs below them.
            stopMulti();
            spin(`${event.phase}...`);
          }
          break;
        }
        case 'progress': {
          const b = bars.get(event.phase);
          if (b === undefined) break;
          const rate = `${count(perSecond(event.rows, event.elapsedMs))} ${b.unit === 'bytes' ? 'rows' : 'edges'}`;
          if (b.unit === 'bytes') {
            // The decode phase counts the bytes of the files as stored (compressed) only: its rate is in MB/s, and it has no rows.
            const rows = event.phase === 'decode' ? '' : `, ${count(event.rows)} rows`;
            b.bar.update(event.bytes, {
              amount: `${(event.bytes / 2 ** 20).toFixed(1)}/${mb(b.bar.getTotal())}${rows}`,
              rate: event.phase === 'decode' ? mb(perSecond(event.bytes, event.elapsedMs)) : rate,
              files: filesText(event.filesDone, event.files),
            });
          } else {
            b.bar.update(event.rows, { amount: `${count(event.rows)}/${count(b.bar.getTotal())} edges`, rate });
          }
          break;
        }
        case 'phase-end': {
          const b = bars.get(event.phase);
          if (b !== undefined) {
            const rate = event.phase === 'decode' ? mb(perSecond(b.bar.getTotal(), event.elapsedMs)) : `${count(perSecond(event.rows, event.elapsedMs))} ${b.unit === 'bytes' ? 'rows' : 'edges'}`;
            b.bar.update(b.bar.getTotal(), { rate });
          } else if (spinner !== undefined) {
            unspin(`${event.phase.padEnd(LABEL_WIDTH)} ${event.rows > 0 ? `${count(event.rows)} rows, ` : ''}${secs(event.elapsedMs)}`);
          }
          break;
        }
        case 'warning': {
          const line = `warning ${event.code}: ${event.message}\n`;
          if (multi !== undefined) multi.log(line);
          else if (spinner !== undefined) {
            spinner.clear();
            out.write(line);
            spinner.render();
          } else out.write(line);
          break;
        }
        case 'end':
          stopMulti();
          break;
      }
    },
    async close(): Promise<void> {
      if (spinner !== undefined) {
        spinner.stop();
        spinner = undefined;
      }
      stopMulti();
    },
  };
}
