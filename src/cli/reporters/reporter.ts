import type { ImportEvent } from '../../exec/events.js';

/** Turns import events into output; `close` restores the terminal and flushes what it wrote. */
export interface Reporter {
  onEvent(event: ImportEvent): void;
  close(): Promise<void>;
}

/** A reporter that prints nothing (--quiet, --json, --progress none). */
export const silentReporter: Reporter = { onEvent: () => undefined, close: async () => undefined };
