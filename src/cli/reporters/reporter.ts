import type { ImportEvent } from '../../exec/events.js';

/** Turns import events into output; `close` restores the terminal. */
export interface Reporter {
  onEvent(event: ImportEvent): void;
  close(): void;
}

/** A reporter that prints nothing (--quiet, --json). */
export const silentReporter: Reporter = { onEvent: () => undefined, close: () => undefined };
