import { readFile, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** What a store directory holds, byte for byte, as its manifest describes it. */
export interface StoreBytes {
  /** The raw bytes of manifest.json. */
  manifest: Buffer;
  /** Paths listed in the manifest's `files`, in manifest order. */
  listed: string[];
  /** Bytes of every listed file (a listed file that is missing maps to undefined). */
  files: Map<string, Buffer | undefined>;
  /** Entries in the directory that are neither manifest.json, a listed file, nor a directory on the way to one. */
  extra: string[];
}

/** Every entry under `dir` as a relative POSIX path; directories end in `/`. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${path}/`);
        await walk(path);
      } else {
        out.push(path);
      }
    }
  };
  await walk('');
  return out.sort();
}

/** Reads a store's manifest, the bytes of every file it lists, and anything else lying in the directory. */
export async function readStoreBytes(dir: string): Promise<StoreBytes> {
  const manifest = await readFile(join(dir, 'manifest.json'));
  const parsed = JSON.parse(manifest.toString('utf8')) as { files?: { path: string }[] };
  const listed = (parsed.files ?? []).map((f) => f.path);
  const files = new Map<string, Buffer | undefined>();
  for (const path of listed) files.set(path, await readFile(join(dir, path)).catch(() => undefined));
  const allowed = new Set(['manifest.json', ...listed]);
  for (const path of listed) {
    for (let d = posix.dirname(path); d !== '.' && d !== '/' && d !== ''; d = posix.dirname(d)) allowed.add(`${d}/`);
  }
  const extra = (await listTree(dir)).filter((p) => !allowed.has(p));
  return { manifest, listed, files, extra };
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Differences between the store at `dir` and the reference store at `refDir`, as readable lines (empty when the
 * stores are byte-identical): manifest.json bytes, the bytes of every file either manifest lists, files listed but
 * missing, and extra entries (spill files, temporary directories, ...) in either directory.
 */
export async function storeDifferences(dir: string, refDir: string): Promise<string[]> {
  const [got, ref] = await Promise.all([readStoreBytes(dir), readStoreBytes(refDir)]);
  const out: string[] = [];
  if (!got.manifest.equals(ref.manifest)) {
    const at = firstDifference(got.manifest, ref.manifest);
    out.push(`manifest.json differs at byte ${at}: ${JSON.stringify(got.manifest.toString('utf8', Math.max(0, at - 40), at + 40))} vs ${JSON.stringify(ref.manifest.toString('utf8', Math.max(0, at - 40), at + 40))}`);
  }
  for (const path of [...new Set([...ref.listed, ...got.listed])]) {
    const a = got.files.get(path);
    const b = ref.files.get(path);
    if (a === undefined || b === undefined) {
      out.push(`${path}: ${a === undefined ? 'missing' : `${a.length} bytes`} vs reference ${b === undefined ? 'missing' : `${b.length} bytes`}`);
    } else if (!a.equals(b)) {
      out.push(`${path}: ${a.length} bytes vs reference ${b.length} bytes, first difference at byte ${firstDifference(a, b)}`);
    }
  }
  for (const e of got.extra) out.push(`extra entry in store: ${e}`);
  for (const e of ref.extra) out.push(`extra entry in reference store: ${e}`);
  return out;
}
