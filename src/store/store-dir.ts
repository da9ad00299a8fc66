import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ImportError, toImportError } from '../errors/import-error.js';
import { readManifest } from './manifest.js';

/**
 * A store being built in a temporary sibling directory (`.<name>.tmp-<pid>-<random>`, same file system as the target,
 * so the final rename is atomic). Nothing is visible at the target path until `commit()`.
 */
export class PendingStore {
  private committed = false;

  /**
   * `createdParent`: the outermost parent directory this store had to create (mkdir -p), removed again by
   * `discard` when it is still empty, so a failed import leaves nothing behind.
   */
  private constructor(readonly target: string, readonly dir: string, readonly overwrite: boolean, private readonly createdParent?: string) {}

  /** Checks the target up front (exists without --overwrite is an error) and creates the temporary directory. */
  static async create(target: string, overwrite: boolean): Promise<PendingStore> {
    const absolute = resolve(target);
    if (!overwrite && (await exists(absolute))) {
      throw new ImportError('GI_STORE_EXISTS', `${target} already exists`, {
        file: target, hint: 'pass --overwrite to replace it (the old store is kept until the new one is complete), or choose another --into',
      });
    }
    if (overwrite && (await exists(absolute))) await assertReplaceable(absolute, target);
    const dir = join(dirname(absolute), `.${basename(absolute)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    let createdParent: string | undefined;
    try {
      createdParent = await mkdir(dirname(absolute), { recursive: true });
      await mkdir(dir);
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: dir });
    }
    return new PendingStore(absolute, dir, overwrite, createdParent);
  }

  /** Absolute path of a file inside the temporary store; its parent directory is created. */
  async path(relative: string): Promise<string> {
    const full = join(this.dir, relative);
    await mkdir(dirname(full), { recursive: true });
    return full;
  }

  /** Writes a small file (the manifest) and fsyncs it. */
  async writeSmallFile(relative: string, text: string): Promise<void> {
    const full = await this.path(relative);
    try {
      await writeFile(full, text);
      const handle = await open(full, 'r');
      await handle.sync().finally(() => handle.close());
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: full });
    }
  }

  /**
   * Moves the finished store into place. Every file and directory in it is fsynced first: the writers do not sync
   * as they close (a file closed early in the import is mostly on disk by now, and a sync at close made the build
   * wait on the disk between phases). With overwrite, the old store is renamed aside first and removed only after
   * the new one is in place; a crash between the two renames leaves the old store intact beside the new one's name.
   */
  async commit(): Promise<void> {
    try {
      await syncTree(this.dir);
    } catch (err) {
      throw toImportError(err, 'GI_STORE_WRITE', { file: this.dir });
    }
    const aside = `${this.target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    let movedAside = false;
    try {
      if (this.overwrite && (await exists(this.target))) {
        await rename(this.target, aside);
        movedAside = true;
      }
      await rename(this.dir, this.target);
      this.committed = true;
      await syncPath(dirname(this.target));
    } catch (err) {
      if (movedAside && !this.committed) await rename(aside, this.target);
      throw toImportError(err, 'GI_STORE_WRITE', { file: this.target });
    }
    if (movedAside) await rm(aside, { recursive: true, force: true });
  }

  /** Removes the temporary directory (after a failure or an interrupt); a no-op once committed. */
  async discard(): Promise<void> {
    if (this.committed) return;
    await rm(this.dir, { recursive: true, force: true });
    if (this.createdParent === undefined) return;
    // Remove the parents created for the store, innermost first; rmdir refuses a directory someone else filled.
    for (let d = dirname(this.target); d.length >= this.createdParent.length; d = dirname(d)) {
      try {
        await rmdir(d);
      } catch (err) {
        // Not empty (someone else put something there) or already gone: it stays, and so do its parents.
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((err as NodeJS.ErrnoException).code ?? '')) break;
        throw toImportError(err, 'GI_STORE_WRITE', { file: d });
      }
    }
  }
}

/** Refuses to replace anything but a graph-import store or an empty directory: --overwrite must not delete user data. */
async function assertReplaceable(absolute: string, target: string): Promise<void> {
  const entries = await readdir(absolute).catch(() => null);
  if (entries !== null && entries.length === 0) return;
  try {
    await readManifest(absolute);
  } catch (err) {
    throw new ImportError('GI_STORE_EXISTS', `${target} exists and is not a graph-import store; --overwrite only replaces stores`, {
      file: target, hint: 'choose another --into, or remove the path yourself', cause: err,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw toImportError(err, 'GI_STORE_WRITE', { file: path });
  }
}

/** fsyncs a file or directory. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  await handle.sync().finally(() => handle.close());
}

/** Files fsynced at once by syncTree: enough to keep the disk queue full, few enough for any fd limit. */
const SYNC_CONCURRENCY = 8;

/** fsyncs every file under `dir`, then each directory (children before parents, so new entries are durable). */
async function syncTree(dir: string): Promise<void> {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else files.push(full);
    }
    dirs.push(d);
  };
  await walk(dir);
  let next = 0;
  const syncFiles = async (): Promise<void> => {
    while (next < files.length) await syncPath(files[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, files.length) }, syncFiles));
  for (const d of dirs) await syncPath(d);
}
