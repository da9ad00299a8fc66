const LF = 0x0a;
const CR = 0x0d;

/** nextLineStart's answer when `buf[end - 1]` is a CR: whether a LF follows is beyond the bytes given. */
export const UNDECIDED = -2;

/**
 * Offset just past the first line end (LF, CRLF or a lone CR) in `buf[from, end)`, -1 when there is none, or
 * UNDECIDED when the first one is a CR in the last byte.
 */
export function nextLineStart(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i];
    if (c === LF) return i + 1;
    if (c === CR) {
      if (i + 1 === end) return UNDECIDED;
      return i + (buf[i + 1] === LF ? 2 : 1);
    }
  }
  return -1;
}
