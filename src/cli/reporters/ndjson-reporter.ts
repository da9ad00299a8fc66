import { once } from 'node:events';
import type { ImportEvent } from '../../exec/events.js';
import type { Reporter } from './reporter.js';

/** Version of the NDJSON event schema (docs/progress-events.schema.json); bumped on incompatible changes. */
export const EVENT_SCHEMA_VERSION = 1;

/**
 * Machine-readable progress: one JSON object per line for every event (every batch boundary, phase change,
 * warning, the plan and the end), each with `v` (schema version) and `t` (ISO time). See docs/OUTPUT.md.
 */
export function createNdjsonReporter(out: NodeJS.WritableStream, ownsStream: boolean): Reporter {
  return {
    onEvent(event: ImportEvent): void {
      out.write(`${JSON.stringify({ v: EVENT_SCHEMA_VERSION, t: new Date().toISOString(), ...event })}\n`);
    },
    async close(): Promise<void> {
      if (!ownsStream) return;
      out.end();
      await once(out, 'finish');
    },
  };
}
