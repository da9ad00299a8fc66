/**
 * The CLI runs a large import in a child process with glibc's mmap threshold fixed (src/cli/malloc-tuning.ts):
 * which runs are relaunched, that the importing process really has the setting, and that exit codes and stop
 * requests cross the extra process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_TUNABLE, tunedEnvironment } from '../src/cli/malloc-tuning.js';
import { BIN, ROOT, generateGraph, runCli } from './helpers/child.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gi-malloc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tunedEnvironment: which imports run in a tuned child process', () => {
  it('asked for with GI_MALLOC_TUNING=1 on Linux: a child with the tunable, appended to any the user set', () => {
    const on = { GI_MALLOC_TUNING: '1' };
    expect(tunedEnvironment(on, 'linux', [])?.GLIBC_TUNABLES).toBe(MALLOC_TUNABLE);
    expect(tunedEnvironment({ ...on, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', [])?.GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLE}`);
  });

  it('runs here: by default, off Linux, in the child itself, when the user set the threshold, or under an inspector', () => {
    const on = { GI_MALLOC_TUNING: '1' };
    expect(tunedEnvironment({}, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment({ GI_MALLOC_TUNING: '0' }, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment(on, 'darwin', [])).toBeUndefined();
    expect(tunedEnvironment(tunedEnvironment(on, 'linux', [])!, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment({ ...on, GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment(on, 'linux', ['--inspect'])).toBeUndefined();
    expect(tunedEnvironment({ ...on, NODE_OPTIONS: '--max-old-space-size=512 --inspect-brk=9230' }, 'linux', [])).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('the tuned child process (GI_MALLOC_TUNING=1)', () => {
  it('the process that imports has the tunable; without it one process imports; a failed import exits with its own status', async () => {
    // A preload that records, in every Node process of the run, its pid and GLIBC_TUNABLES.
    const probe = join(dir, 'probe.cjs');
    const seen = join(dir, 'seen.txt');
    await writeFile(probe, `require('node:fs').appendFileSync(${JSON.stringify(seen)}, process.pid + ' ' + (process.env.GLIBC_TUNABLES ?? '-') + '\\n');\n`);
    const persons = join(ROOT, 'fixtures/demo/persons.csv');
    const env = { ...process.env, CI: '1', NODE_OPTIONS: `--require ${probe}`, GI_MALLOC_TUNING: '1' };
    const ok = await runCli([persons, '--into', join(dir, 'a.db'), '--quiet'], { env });
    expect(ok.status).toBe(0);
    const lines = (await readFile(seen, 'utf8')).trim().split('\n').map((l) => l.split(' '));
    expect(lines).toHaveLength(2);
    expect(lines[0][1]).toBe('-');
    expect(lines[1]).toEqual([expect.not.stringMatching(`^${lines[0][0]}$`), MALLOC_TUNABLE]);

    // By default: one process.
    await rm(seen);
    expect((await runCli([persons, '--into', join(dir, 'b.db'), '--quiet'], { env: { ...env, GI_MALLOC_TUNING: undefined } })).status).toBe(0);
    expect((await readFile(seen, 'utf8')).trim().split('\n')).toHaveLength(1);

    // The store exists now: the child fails with GI_STORE_EXISTS, exit 2, and the parent leaves with the same.
    const again = await runCli([persons, '--into', join(dir, 'a.db')], { env: { ...process.env, CI: '1', GI_MALLOC_TUNING: '1' } });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('GI_STORE_EXISTS');
  });

  it('SIGINT to the parent stops the import in the child: exit 130, no store, no temporary files', async () => {
    const g = join(dir, 'g');
    await generateGraph(g, 200_000, 2_000_000, 5);
    const into = join(dir, 'int.db');
    const child = spawn(process.execPath, [BIN, join(g, 'nodes.csv'), join(g, 'edges.csv'), '--into', into, '--progress', 'json'], {
      env: { ...process.env, GI_MALLOC_TUNING: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    // Interrupt once the relationship phase is under way, i.e. workers are reading ranges.
    const started = new Promise<void>((resolve) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('"phase":"relationships"')) resolve();
      });
    });
    await started;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('GI_INTERRUPTED');
    expect(existsSync(into)).toBe(false);
    expect((await readdir(dir)).filter((e) => e.startsWith('.int.db'))).toEqual([]);
  }, 60_000);
});
