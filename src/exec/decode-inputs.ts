import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { StreamingConfig } from '../config/streaming-config.js';
import { compressionOf, decodeTo, zstdUnsupported } from '../input/decode-input.js';
import type { PhaseClock } from './phase-clock.js';

/**
 * Decodes every input that is not plain UTF-8 text (gzip, told by its first bytes; all inputs with
 * --input-encoding latin1) to a UTF-8 file at `dest(name)`, as a `decode` phase whose progress counts the bytes of
 * the files as stored; returns original path -> decoded path. A zstd input is refused.
 */
export async function decodeInputs(
  config: StreamingConfig, dest: (name: string) => Promise<string>, clock: PhaseClock, signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const paths = [...new Set(config.inputs.flatMap((g) => g.files))];
  const todo: { path: string; bytes: number; gzip: boolean }[] = [];
  const latin1 = config.inputEncoding === 'latin1';
  for (const path of paths) {
    const kind = await compressionOf(path);
    if (kind === 'zstd') throw zstdUnsupported(path);
    if (kind === 'gzip' || latin1) todo.push({ path, bytes: (await stat(path)).size, gzip: kind === 'gzip' });
  }
  const decoded = new Map<string, string>();
  if (todo.length === 0) return decoded;
  clock.start('decode', { totalBytes: todo.reduce((n, f) => n + f.bytes, 0), files: todo });
  for (const [i, f] of todo.entries()) {
    const to = await dest(`${i}-${basename(f.path).replace(/\.(gz|gzip)$/i, '')}`);
    await decodeTo(f.path, to, { gzip: f.gzip, latin1 }, (n) => clock.batch('decode', f.path, 0, n), signal);
    decoded.set(f.path, to);
  }
  clock.end('decode', 0);
  return decoded;
}
