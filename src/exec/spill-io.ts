import { readSync, writeSync } from 'node:fs';
import { ImportError } from '../errors/import-error.js';

/** Fills `into` from spill file `fd` at `offset`; a short file is an error (the spill was written by this import). */
export function readSpill(fd: number, into: Uint8Array, offset: number, file: string): void {
  for (let done = 0; done < into.length;) {
    const n = readSync(fd, into, done, into.length - done, offset + done);
    if (n === 0) throw new ImportError('GI_STORE_WRITE', `spill file ${file} is shorter than expected`);
    done += n;
  }
}

/** Writes all of `bytes` to spill file `fd` at `offset` (a write may take less than it is given). */
export function writeSpill(fd: number, bytes: Uint8Array, offset: number): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
}
