// lz4js ships no type declarations: the two functions graph-import uses.
declare module 'lz4js' {
  /** Inflates one LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Deflates bytes into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  const lz4: { decompress: typeof decompress; compress: typeof compress };
  export default lz4;
}
