import { type ErrorClass, isImportError } from '../errors/import-error.js';

/** The one table from failure class to process exit status (README.md, "Exit status"). */
export const EXIT_CODES: Record<ErrorClass | 'ok' | 'rejected', number> = {
  ok: 0,
  /** The import completed and committed, but skipped bad rows (--max-bad-rows, --skip-*). */
  rejected: 4,
  data: 1,
  usage: 2,
  io: 3,
  internal: 70,
  interrupted: 130,
};

/** Exit status for a thrown value; anything that is not an ImportError is a defect (70). */
export function exitCodeFor(err: unknown): number {
  return isImportError(err) ? EXIT_CODES[err.errorClass] : EXIT_CODES.internal;
}
