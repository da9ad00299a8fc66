import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants } from 'node:os';

/**
 * glibc's malloc raises its mmap threshold each time a large mapped buffer is freed (up to 32 MiB), after which
 * buffers of that size come from its heaps and stay there once freed. An import allocates and frees buffers of
 * every size from a few MiB to tens of MiB, in several threads, so the process kept up to 110 MB it no longer used
 * (1M nodes + 125M edges, streaming: peak RSS 421-433 MB; 318 MB with the threshold fixed, same wall time). A fixed
 * threshold can only be set before the process starts, so the CLI runs a large import in a child process that has it.
 */
export const MALLOC_TUNABLE = 'glibc.malloc.mmap_threshold=131072';

/** Set in the child's environment: the import runs there, and stop requests arrive as IPC messages too. */
const CHILD_MARK = 'GI_TUNED_CHILD';

/**
 * Inputs from this size on are imported in a tuned child. Fixed, the threshold maps every buffer of 128 KiB or more
 * on its own, which costs system time (1M nodes + 10M edges: 9.2-9.6 s -> 9.6-10.8 s, mostly in the CSR build);
 * glibc's retention grows with the input (1M nodes: 25M edges 309-316 MiB, 125M edges 421-433 MB), so the
 * trade pays on large inputs only.
 */
export const TUNED_INPUT_BYTES = 1 << 30;

/**
 * The environment to run an import in with MALLOC_TUNABLE, or undefined to run it in this process: not on Linux,
 * inputs under TUNED_INPUT_BYTES, already tuned (or this is the child), opted out with GI_MALLOC_TUNING=0, or under
 * an inspector (whoever profiles the import must see the process doing it).
 */
export function tunedEnvironment(env: NodeJS.ProcessEnv, platform: string, execArgv: readonly string[], inputBytes: number): NodeJS.ProcessEnv | undefined {
  // GI_TUNED_INPUT_BYTES moves the size threshold (tests run small imports through the child with it).
  const threshold = env.GI_TUNED_INPUT_BYTES === undefined ? TUNED_INPUT_BYTES : Number(env.GI_TUNED_INPUT_BYTES);
  if (platform !== 'linux' || !(inputBytes >= threshold) || env[CHILD_MARK] === '1' || env.GI_MALLOC_TUNING === '0') return undefined;
  if ((env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold')) return undefined;
  if ([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--inspect'))) return undefined;
  const tunables = env.GLIBC_TUNABLES === undefined || env.GLIBC_TUNABLES === '' ? MALLOC_TUNABLE : `${env.GLIBC_TUNABLES}:${MALLOC_TUNABLE}`;
  return { ...env, GLIBC_TUNABLES: tunables, [CHILD_MARK]: '1' };
}

/** Bytes of the configured input files (as stored); files that cannot be read count 0 (the import reports them). */
export async function inputBytes(files: readonly string[]): Promise<number> {
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => (s.isFile() ? s.size : 0), () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * Runs `script argv` in a child Node process with `env` and the same stdio, and resolves to the exit code to leave
 * with. Aborting `signal` (this process got SIGINT or SIGTERM) sends the child a stop message; a Ctrl-C from the
 * terminal reaches the child directly as well, and it counts the two as one (see stopRequests).
 */
export function runInTunedChild(script: string, argv: readonly string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const relay = (): void => {
    if (child.connected) child.send({ type: 'stop' }, () => undefined);
  };
  signal?.addEventListener('abort', relay, { once: true });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`graph-import: cannot start the import process: ${err.message}\n`);
      resolve(70);
    });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', relay);
      resolve(code ?? 128 + (sig === null ? 0 : (constants.signals[sig] ?? 0)));
    });
  });
}

/** A Ctrl-C reaches both processes: a second request this soon after the first is the same one. */
const SAME_REQUEST_MS = 500;

/**
 * Calls `stop` for each request to stop: SIGINT and SIGTERM, and in a tuned child also the parent's stop messages
 * and the parent going away. `stop` gets true for a request that repeats an earlier one (a second Ctrl-C).
 */
export function stopRequests(stop: (again: boolean) => void): void {
  let first: number | undefined;
  const request = (): void => {
    const now = performance.now();
    if (first !== undefined && now - first < SAME_REQUEST_MS) return;
    const again = first !== undefined;
    first ??= now;
    stop(again);
  };
  process.on('SIGINT', request);
  process.on('SIGTERM', request);
  if (process.env[CHILD_MARK] === '1' && process.send !== undefined) {
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'stop') request();
    });
    process.on('disconnect', request);
    // The channel must not keep this process alive once the import is over.
    process.channel?.unref();
  }
}
