import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Helpers for tests that run the built CLI (bin/graph-import.js, which loads dist/) as real child processes. */

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'bin/graph-import.js');
export const GEN = join(ROOT, 'scripts/gen-graph.mjs');

/** Environment of a CLI child: CI=1 makes the reporter print plain phase lines instead of redrawing a bar. */
const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CI: '1' });

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
}

/**
 * Runs `node bin/graph-import.js ...args` to completion (asynchronously: the test runner's event loop keeps going),
 * with CI=1 unless `env` gives the whole environment.
 */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`graph-import ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', fail);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs scripts/gen-graph.mjs (seeded, deterministic) into `out`. */
export function generateGraph(out: string, nodes: number, edges: number, seed = 42): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [GEN, '--nodes', String(nodes), '--edges', String(edges), '--out', out, '--seed', String(seed)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`gen-graph exited with ${code}: ${stderr}`))));
  });
}

export interface InterruptedRun {
  status: number | null;
  /** Set when the child died of a signal instead of exiting (it must not: it handles SIGINT and SIGTERM). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr as it was when the signal was sent. */
  stderrAtSignal: string;
  /** ms from spawn to the signal, and from the signal to the child's exit. */
  signalAtMs: number;
  exitAfterSignalMs: number;
}

/**
 * Spawns the CLI, waits until stderr matches `when` (a phase line of the plain reporter), waits `delayMs` more, sends
 * `signal`, and resolves once the child has exited and its output is drained. Fails when `when` never shows up (the
 * import ended or failed first) or the child outlives the signal by `killAfterMs` (it is then SIGKILLed).
 */
export function interruptCli(args: string[], o: { when: RegExp; delayMs: number; signal: NodeJS.Signals; killAfterMs?: number }): Promise<InterruptedRun> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stderrAtSignal: string | undefined;
    let signalAt: number | undefined;
    let exitAt: number | undefined;
    let status: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let armed = false;
    let killer: NodeJS.Timeout | undefined;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!armed && o.when.test(stderr)) {
        armed = true;
        setTimeout(() => {
          if (exitAt !== undefined) return;
          stderrAtSignal = stderr;
          signalAt = performance.now();
          child.kill(o.signal);
          killer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 10_000);
        }, o.delayMs);
      }
    });
    child.on('error', fail);
    child.on('exit', (code, sig) => {
      exitAt = performance.now();
      status = code;
      exitSignal = sig;
      if (killer !== undefined) clearTimeout(killer);
    });
    child.on('close', () => {
      if (signalAt === undefined || stderrAtSignal === undefined) {
        fail(new Error(`the child exited (status ${status}) before ${o.signal} was sent; stderr:\n${stderr}\nstdout:\n${stdout}`));
        return;
      }
      done({
        status, signal: exitSignal, stdout, stderr, stderrAtSignal,
        signalAtMs: signalAt - started, exitAfterSignalMs: exitAt! - signalAt,
      });
    });
  });
}

/** Entries of `parent` that are temporary or set-aside siblings of the store `name` (`.name.tmp-*`, `name.old-*`). */
export async function strayEntries(parent: string, name: string): Promise<string[]> {
  return (await readdir(parent)).filter((e) => e.startsWith(`.${name}.tmp-`) || e.startsWith(`${name}.old-`));
}

/** Every file under `dir` (recursively, relative POSIX paths) with its bytes; directories as entries ending in `/`. */
export async function snapshotTree(dir: string): Promise<Map<string, Buffer | 'dir'>> {
  const out = new Map<string, Buffer | 'dir'>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.set(`${path}/`, 'dir');
        await walk(path);
      } else {
        out.set(path, await readFile(join(dir, path)));
      }
    }
  };
  await walk('');
  return out;
}

/** Differences between two snapshots, as readable lines (empty when identical). */
export function snapshotDifferences(before: Map<string, Buffer | 'dir'>, after: Map<string, Buffer | 'dir'>): string[] {
  const out: string[] = [];
  for (const [path, a] of before) {
    const b = after.get(path);
    if (b === undefined) out.push(`${path}: missing afterwards`);
    else if (a === 'dir' || b === 'dir') {
      if (a !== b) out.push(`${path}: changed between file and directory`);
    } else if (!a.equals(b)) out.push(`${path}: ${a.length} bytes before, ${b.length} after, contents differ`);
  }
  for (const path of after.keys()) if (!before.has(path)) out.push(`${path}: new afterwards`);
  return out;
}

/** A maker of fresh, empty parent directories under `root()`, each with a store path `g.db` in it. */
export function freshStores(root: () => string): () => Promise<{ parent: string; db: string }> {
  let n = 0;
  return async () => {
    const parent = join(root(), `run-${++n}`);
    await mkdir(parent);
    return { parent, db: join(parent, 'g.db') };
  };
}
