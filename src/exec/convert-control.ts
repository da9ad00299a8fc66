/** Slots of the shared Int32Array that conversion threads and the writing thread coordinate through. */
export const CONVERT_CONTROL = {
  /** Next unit (record batch, row group) to reserve (Atomics.add). */
  NEXT: 0,
  /** Non-zero: stop (an error elsewhere, an interrupt). */
  STOP: 1,
  /** Units written, in order: the unit being written is this one. */
  WRITTEN: 2,
  /** Bytes of text posted and not yet written. */
  PENDING: 3,
  /** Threads that may convert, set once thread 0 has told the file's unit size (0 until then): the others exit. */
  ALLOWED: 4,
  SIZE: 5,
} as const;

/**
 * Text bytes that may wait to be written before threads ahead of the unit being written pause. With record batches
 * of a million rows (tens of MB of text each) this, not the unit count, is what bounds the memory of a conversion.
 */
export const MAX_PENDING_TEXT = 16 << 20;
