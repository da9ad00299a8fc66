import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ImportError } from '../errors/import-error.js';

/** Fills `into` from spill file `fd` at `offset`; a short file is an error (the spill was written by this import). */
export function readSpill(fd: number, into: Uint8Array, offset: number, file: string): void {
  for (let done = 0; done < into.length;) {
    const n = readSync(fd, into, done, into.length - done, offset + done);
    if (n === 0) throw new ImportError('GI_STORE_WRITE', `spill file ${file} is shorter than expected`);
    done += n;
  }
}

/** A spill file written front to back by one thread: opened on first use; `append` says where the bytes went. */
export class SpillFile {
  private fd = -1;
  private size = 0;

  constructor(readonly path: string) {}

  /** Writes all of `bytes` after what the file holds (a write may take less than it is given); returns their offset. */
  append(bytes: Uint8Array): number {
    if (this.fd < 0) this.fd = openSync(this.path, 'w');
    const at = this.size;
    for (let done = 0; done < bytes.length;) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    this.size += bytes.length;
    return at;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
