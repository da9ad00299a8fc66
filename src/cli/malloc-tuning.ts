import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * glibc's malloc raises its mmap threshold each time a large mapped buffer is freed (up to 32 MiB), after which
 * buffers of that size come from its heaps and stay there once freed. An import allocates and frees buffers of
 * every size from a few hundred KiB to tens of MiB, in several threads, so the process keeps memory it no longer
 * uses, more as the input grows: 1M nodes + 125M edges peaked at 421-433 MB, and 326 MB with the threshold fixed at
 * 128 KiB; 10M nodes + 50M edges at 461 MiB, and 408 MiB fixed. Fixed, though, every such buffer is mapped on its
 * own, and the system time that costs is large: 10M/50M took 48.1 s against 41.8 s (system 14.5 s against 5.8 s,
 * nearly all in the CSR build). So the setting is an opt-in (GI_MALLOC_TUNING=1) for imports where memory is the
 * constraint. It can only be set before the process starts, so the CLI then runs the import in a child process.
 */
export const MALLOC_TUNABLE = 'glibc.malloc.mmap_threshold=131072';

/** Set in the child's environment: the import runs there, and stop requests arrive as IPC messages too. */
const CHILD_MARK = 'GI_TUNED_CHILD';

/**
 * The environment to run an import in with MALLOC_TUNABLE, or undefined to run it in this process: unless asked
 * for with GI_MALLOC_TUNING=1, off Linux, in the child itself, when GLIBC_TUNABLES already sets the threshold, or
 * under an inspector (whoever profiles the import must see the process doing it).
 */
export function tunedEnvironment(env: NodeJS.ProcessEnv, platform: string, execArgv: readonly string[]): NodeJS.ProcessEnv | undefined {
  if (env.GI_MALLOC_TUNING !== '1' || platform !== 'linux' || env[CHILD_MARK] === '1') return undefined;
  if ((env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold')) return undefined;
  if ([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--inspect'))) return undefined;
  const tunables = env.GLIBC_TUNABLES === undefined || env.GLIBC_TUNABLES === '' ? MALLOC_TUNABLE : `${env.GLIBC_TUNABLES}:${MALLOC_TUNABLE}`;
  return { ...env, GLIBC_TUNABLES: tunables, [CHILD_MARK]: '1' };
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
    if (first === undefined) {
      first = performance.now();
      stop(false);
    } else if (performance.now() - first >= SAME_REQUEST_MS) {
      stop(true);
    }
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
