import { once } from 'node:events';
import type { ImportEvent } from '../../exec/events.js';
import type { Reporter } from './reporter.js';

/** Version of the NDJSON event schema (docs/progress-events.schema.json); bumped on incompatible changes. */
export const EVENT_SCHEMA_VERSION = 1;

/**
 * Machine-readable progress: one JSON object per line for every event (every batch boundary, phase change,
 * warning, the plan and the end), each with `v` (schema version) and `t` (ISO time). See docs/OUTPUT.md.
 */
export function createNdjsonReporter(target: NodeJS.WritableStream | (() => NodeJS.WritableStream), ownsStream: boolean): Reporter {
  let out: NodeJS.WritableStream | undefined;
  // Events must not throw into the import: a stream that cannot be opened fails the run from close().
  let failure: unknown;
  return {
    onEvent(event: ImportEvent): void {
      if (failure !== undefined) return;
      try {
        out ??= typeof target === 'function' ? target() : target;
      } catch (err) {
        failure = err;
        return;
      }
      out.write(`${JSON.stringify({ v: EVENT_SCHEMA_VERSION, t: new Date().toISOString(), ...event })}\n`);
    },
    async close(): Promise<void> {
      if (failure !== undefined) throw failure;
      if (!ownsStream || out === undefined) return;
      out.end();
      await once(out, 'finish');
    },
  };
}
