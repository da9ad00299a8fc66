/**
 * The CLI runs an import in a child process with glibc's mmap threshold fixed (src/cli/malloc-tuning.ts): which
 * runs are relaunched, that the import process really has the setting, and that exit codes and stop requests
 * cross the extra process.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_TUNABLE, tunedEnvironment } from '../src/cli/malloc-tuning.js';
import { ROOT, runCli } from './helpers/child.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gi-malloc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tunedEnvironment: which runs get a tuned child process', () => {
  const importArgs = ['nodes.csv', 'rels.csv'];
  it('an import on Linux runs in a child with the tunable, appended to any the user set', () => {
    expect(tunedEnvironment(importArgs, {}, 'linux', [])?.GLIBC_TUNABLES).toBe(MALLOC_TUNABLE);
    expect(tunedEnvironment(importArgs, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', [])?.GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLE}`);
  });

  it('runs here: off Linux, in the child itself, when the user set the threshold, opted out, or attached an inspector', () => {
    expect(tunedEnvironment(importArgs, {}, 'darwin', [])).toBeUndefined();
    const child = tunedEnvironment(importArgs, {}, 'linux', [])!;
    expect(tunedEnvironment(importArgs, child, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment(importArgs, { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment(importArgs, { GI_MALLOC_TUNING: '0' }, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment(importArgs, {}, 'linux', ['--inspect'])).toBeUndefined();
    expect(tunedEnvironment(importArgs, { NODE_OPTIONS: '--max-old-space-size=512 --inspect-brk=9230' }, 'linux', [])).toBeUndefined();
  });

  it('commands other than an import run here', () => {
    for (const first of ['info', 'verify', 'export', '--help', '-V', '--version']) expect(tunedEnvironment([first, 'x'], {}, 'linux', [])).toBeUndefined();
    expect(tunedEnvironment([], {}, 'linux', [])).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('the tuned child process', () => {
  it('the process that imports has the tunable; a failed import exits with its own status through the parent', async () => {
    // A preload that records, in the process that loads the graph-import CLI, its pid and GLIBC_TUNABLES.
    const probe = join(dir, 'probe.cjs');
    const seen = join(dir, 'seen.txt');
    await writeFile(probe, `require('node:fs').appendFileSync(${JSON.stringify(seen)}, process.pid + ' ' + (process.env.GLIBC_TUNABLES ?? '-') + '\\n');\n`);
    const env = { ...process.env, CI: '1', NODE_OPTIONS: `--require ${probe}` };
    const ok = await runCli([join(ROOT, 'fixtures/demo/persons.csv'), '--into', join(dir, 'a.db'), '--quiet'], { env });
    expect(ok.status).toBe(0);
    const lines = (await readFile(seen, 'utf8')).trim().split('\n').map((l) => l.split(' '));
    expect(lines).toHaveLength(2);
    expect(lines[0][1]).toBe('-');
    expect(lines[1][1]).toBe(MALLOC_TUNABLE);
    expect(lines[1][0]).not.toBe(lines[0][0]);

    // The store exists now: the child fails with GI_STORE_EXISTS, exit 2, and the parent leaves with the same.
    const again = await runCli([join(ROOT, 'fixtures/demo/persons.csv'), '--into', join(dir, 'a.db')], { env: { ...process.env, CI: '1' } });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('GI_STORE_EXISTS');
  });
});
