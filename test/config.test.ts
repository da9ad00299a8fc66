/**
 * Engine configuration flags: --threads, --streaming-threshold, --memory-budget, --mode.
 * normalizeConfig is tested directly; the CLI is run as a real child process of the built bin (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, DEFAULTS, MODES, defaultThreads, normalizeConfig } from '../src/config/streaming-config.js';
import { type BadRowLimit, parseBadRowLimit, parseByteSize } from '../src/config/parse-values.js';
import { ImportError } from '../src/errors/import-error.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin/graph-import.js');
const PERSONS = join(ROOT, 'fixtures/demo/persons.csv');
const MiB = 1024 ** 2;

const base = (extra: Partial<ConfigInput> = {}) => normalizeConfig({ inputs: [{ kind: 'auto', files: ['a.csv'] }], ...extra });

/** Asserts that `extra` is rejected with GI_INVALID_OPTION, naming `flag` and the bad value. */
function expectInvalid(extra: Partial<ConfigInput>, flag: string, bad: string): void {
  let caught: unknown;
  try {
    base(extra);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ImportError);
  const e = caught as ImportError;
  expect(e.code).toBe('GI_INVALID_OPTION');
  expect(e.message).toContain(flag);
  expect(e.message).toContain(`"${bad}"`);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('engine configuration defaults', () => {
  it('fills threads, streamingThreshold, memoryBudget and mode, recorded as defaults', () => {
    const c = base();
    expect(c.threads).toBe(Math.min(availableParallelism(), 256));
    expect(c.threads).toBe(defaultThreads());
    expect(c.streamingThreshold).toBe(104857600);
    expect(c.memoryBudget).toBe(524288000);
    expect(c.mode).toBe('auto');
    expect(c.sources).toMatchObject({ threads: 'default', streamingThreshold: 'default', memoryBudget: 'default', mode: 'default' });
    expect(DEFAULTS).toMatchObject({ streamingThreshold: 104857600, memoryBudget: 524288000, mode: 'auto' });
    expect(MODES).toEqual(['auto', 'streaming', 'in-memory']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('threads equals os.availableParallelism() on this machine (at most 256)', () => {
    if (availableParallelism() <= 256) expect(base().threads).toBe(availableParallelism());
    else expect(base().threads).toBe(256);
  });
});

describe('engine configuration values', () => {
  it('takes given values and records them as flags', () => {
    const c = base({ threads: '3', streamingThreshold: '100MB', memoryBudget: '1GiB', mode: 'streaming' });
    expect(c).toMatchObject({ threads: 3, streamingThreshold: 100_000_000, memoryBudget: 1024 ** 3, mode: 'streaming' });
    expect(c.sources).toMatchObject({ threads: 'flag', streamingThreshold: 'flag', memoryBudget: 'flag', mode: 'flag' });
    expect(base({ mode: 'in-memory' }).mode).toBe('in-memory');
  });

  it('accepts numbers as well as text', () => {
    const c = base({ threads: 256, streamingThreshold: 0, memoryBudget: 16 * MiB });
    expect(c).toMatchObject({ threads: 256, streamingThreshold: 0, memoryBudget: 16 * MiB });
  });

  it('parses byte sizes: decimal MB/kB/k, binary KiB/MiB/GiB, plain bytes, case-insensitive', () => {
    expect(base({ streamingThreshold: '100MB' }).streamingThreshold).toBe(100_000_000);
    expect(base({ streamingThreshold: '100MiB' }).streamingThreshold).toBe(104_857_600);
    expect(base({ streamingThreshold: '1GiB' }).streamingThreshold).toBe(1_073_741_824);
    expect(base({ streamingThreshold: '512KiB' }).streamingThreshold).toBe(524_288);
    expect(base({ streamingThreshold: '512k' }).streamingThreshold).toBe(512_000);
    expect(base({ streamingThreshold: '1048576' }).streamingThreshold).toBe(1_048_576);
    expect(base({ memoryBudget: '2gib' }).memoryBudget).toBe(2 * 1024 ** 3);
    expect(base({ memoryBudget: '1.5GiB' }).memoryBudget).toBe(1.5 * 1024 ** 3);
    expect(base({ memoryBudget: 33554432 }).memoryBudget).toBe(32 * MiB);
    expect(parseByteSize('--x', '10 MB')).toBe(10_000_000);
  });
});

describe('engine configuration rejections', () => {
  it('rejects threads 0, non-numbers and more than 256', () => {
    expectInvalid({ threads: 0 }, '--threads', '0');
    expectInvalid({ threads: '0' }, '--threads', '0');
    expectInvalid({ threads: 'x' }, '--threads', 'x');
    expectInvalid({ threads: '257' }, '--threads', '257');
    expectInvalid({ threads: '-2' }, '--threads', '-2');
    expectInvalid({ threads: '1.5' }, '--threads', '1.5');
  });

  it('rejects a memory budget below 16MiB', () => {
    expectInvalid({ memoryBudget: '15MiB' }, '--memory-budget', '15MiB');
    expectInvalid({ memoryBudget: 16 * MiB - 1 }, '--memory-budget', String(16 * MiB - 1));
    expectInvalid({ memoryBudget: '16MB' }, '--memory-budget', '16MB'); // 16 * 10^6 < 16 * 2^20
    expectInvalid({ memoryBudget: 'plenty' }, '--memory-budget', 'plenty');
  });

  it('rejects unknown modes and unparsable thresholds', () => {
    expectInvalid({ mode: 'fast' }, '--mode', 'fast');
    expectInvalid({ streamingThreshold: 'lots' }, '--streaming-threshold', 'lots');
    expectInvalid({ streamingThreshold: '-1MB' }, '--streaming-threshold', '-1MB');
    expectInvalid({ streamingThreshold: '10XB' }, '--streaming-threshold', '10XB');
    expectInvalid({ streamingThreshold: '99999999999TiB' }, '--streaming-threshold', '99999999999TiB');
  });
});

describe('engine configuration on the command line', () => {
  it('the built CLI exists', () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js'))).toBe(true);
  });

  it('--threads 0 exits 2 naming the flag', () => {
    const run = cli(['--threads', '0', PERSONS]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('GI_INVALID_OPTION');
    expect(run.stderr).toContain('--threads');
  });

  it('--mode fast exits 2 naming the flag', () => {
    const run = cli(['--mode', 'fast', PERSONS]);
    expect(run.status).toBe(2);
    expect(run.stderr).not.toMatch(/unknown option/);
    expect(run.stderr).toMatch(/--mode <mode>' argument 'fast' is invalid/);
    expect(run.stderr).toContain('auto, streaming, in-memory');
  });

  it('--memory-budget 1MiB and --streaming-threshold lots exit 2 naming the flag', () => {
    const budget = cli(['--memory-budget', '1MiB', PERSONS]);
    expect(budget.status).toBe(2);
    expect(budget.stderr).toMatch(/GI_INVALID_OPTION: --memory-budget/);
    const threshold = cli(['--streaming-threshold', 'lots', PERSONS]);
    expect(threshold.status).toBe(2);
    expect(threshold.stderr).toMatch(/GI_INVALID_OPTION: --streaming-threshold/);
  });

  it('--dry-run shows the flags parsed into the config, and defaults as defaults', () => {
    const run = cli(['--dry-run', '--json', PERSONS, '--threads', '3', '--streaming-threshold', '512KiB', '--memory-budget', '1GB', '--mode', 'in-memory']);
    expect(run.status).toBe(0);
    const { config } = JSON.parse(run.stdout);
    expect(config).toMatchObject({ threads: 3, streamingThreshold: 524288, memoryBudget: 1e9, mode: 'in-memory' });
    expect(config.sources).toMatchObject({ threads: 'flag', streamingThreshold: 'flag', memoryBudget: 'flag', mode: 'flag' });
    const plain = JSON.parse(cli(['--dry-run', '--json', PERSONS]).stdout).config;
    expect(plain).toMatchObject({ threads: defaultThreads(), streamingThreshold: 104857600, memoryBudget: 524288000, mode: 'auto' });
    expect(plain.sources).toMatchObject({ threads: 'default', streamingThreshold: 'default', memoryBudget: 'default', mode: 'default' });
  });
});

describe('--max-bad-rows', () => {
  it.each<[string, BadRowLimit]>([
    ['0', { kind: 'count', count: 0 }],
    ['1000', { kind: 'count', count: 1000 }],
    ['1_000', { kind: 'count', count: 1000 }],
    ['0.5%', { kind: 'ratio', percent: 0.5 }],
    ['100%', { kind: 'ratio', percent: 100 }],
    [' 2% ', { kind: 'ratio', percent: 2 }],
  ])('accepts %j', (text, expected) => {
    expect(parseBadRowLimit('--max-bad-rows', text)).toEqual(expected);
  });

  it.each(['-1', '1.5', '101%', '%', 'ten', '1e3', ''])('refuses %j with GI_INVALID_OPTION naming the flag', (text) => {
    expect(() => parseBadRowLimit('--max-bad-rows', text)).toThrow(/--max-bad-rows: ".*" is not valid; expected a row count/);
  });

  it('defaults to fail-fast, and the tolerance flags default off', () => {
    const config = normalizeConfig({ inputs: [{ kind: 'auto', files: ['x.csv'] }] });
    expect(config).toMatchObject({ maxBadRows: { kind: 'count', count: 0 }, skipDuplicateNodes: false, skipBadRelationships: false, ignoreExtraColumns: false });
    expect(config.rejects).toBeUndefined();
  });
});
