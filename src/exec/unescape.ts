/**
 * Copies `buf[s, e)` into `scratch.bytes` with doubled quotes collapsed (growing the scratch buffer when needed)
 * and returns the length written. Used for ID keys, which must compare by their decoded bytes.
 */
export function unescapeInto(scratch: { bytes: Uint8Array }, buf: Uint8Array, s: number, e: number, quote: number): number {
  if (scratch.bytes.length < e - s) scratch.bytes = new Uint8Array(Math.max(e - s, scratch.bytes.length * 2));
  const out = scratch.bytes;
  let n = 0;
  for (let i = s; i < e; i++) {
    out[n++] = buf[i];
    if (buf[i] === quote && i + 1 < e && buf[i + 1] === quote) i++;
  }
  return n;
}
