import lz4 from 'lz4js';

const MAGIC = 0x184d2204;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;

/**
 * Inflates one LZ4 frame with lz4js. lz4js does not know the frame's optional per-block checksums: given a frame
 * with them (`lz4 -BX`, some writers' option) it returns wrong bytes without an error. Such a frame is rewritten
 * without them first (the checksums are not verified: Arrow's own writers never set them, and a damaged block
 * still fails to inflate or fails the file's later checks).
 */
export function inflateLz4Frame(frame: Uint8Array): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 7 || view.getUint32(0, true) !== MAGIC || (frame[4] & FLG_BLOCK_CHECKSUM) === 0) return lz4.decompress(frame);
  return lz4.decompress(withoutBlockChecksums(frame, view));
}

function withoutBlockChecksums(frame: Uint8Array, view: DataView): Uint8Array {
  const header = 4 + 2 + ((frame[4] & FLG_CONTENT_SIZE) !== 0 ? 8 : 0) + 1;
  const out = new Uint8Array(frame.length);
  out.set(frame.subarray(0, header));
  out[4] &= ~FLG_BLOCK_CHECKSUM;
  // The header checksum covers the descriptor; lz4js does not check it, so it is left as it was.
  let at = header;
  let to = header;
  for (;;) {
    if (at + 4 > frame.length) throw new RangeError('LZ4 frame ends inside a block header');
    const word = view.getUint32(at, true);
    const size = word & 0x7fffffff;
    out.set(frame.subarray(at, at + 4), to);
    at += 4;
    to += 4;
    if (word === 0) break; // end mark
    if (at + size + 4 > frame.length) throw new RangeError('LZ4 frame ends inside a block');
    out.set(frame.subarray(at, at + size), to);
    at += size + 4; // the block and its checksum
    to += size;
  }
  // A content checksum, if any, follows the end mark unchanged.
  out.set(frame.subarray(at), to);
  return out.subarray(0, to + frame.length - at);
}
