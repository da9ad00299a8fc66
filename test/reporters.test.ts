import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ImportEvent } from '../src/exec/events.js';
import { createNdjsonReporter } from '../src/cli/reporters/ndjson-reporter.js';
import { createPlainReporter } from '../src/cli/reporters/plain-reporter.js';
import { type ReporterChoice, runningInCi, selectReporter } from '../src/cli/reporters/select-reporter.js';
import { ROOT } from './helpers/child.js';

const base: ReporterChoice = { quiet: false, json: false, isTTY: true, env: {} };

describe('reporter selection', () => {
  it.each<[string, Partial<ReporterChoice>, string]>([
    ['a terminal', {}, 'bar'],
    ['a pipe or file (not a TTY)', { isTTY: false }, 'plain'],
    ['CI set, even on a terminal', { env: { CI: 'true' } }, 'plain'],
    ['CI=1', { env: { CI: '1' } }, 'plain'],
    ['CI=false counts as not CI', { env: { CI: 'false' } }, 'bar'],
    ['CI=0 counts as not CI', { env: { CI: '0' } }, 'bar'],
    ['CI empty counts as not CI', { env: { CI: '' } }, 'bar'],
    ['TERM=dumb cannot redraw', { env: { TERM: 'dumb' } }, 'plain'],
    ['--quiet', { quiet: true }, 'none'],
    ['--json keeps stdout clean and stderr quiet', { json: true }, 'none'],
    ['--json in CI', { json: true, isTTY: false, env: { CI: '1' } }, 'none'],
    ['--progress json wins over --json', { json: true, progress: 'json' }, 'json'],
    ['--progress plain wins over a terminal', { progress: 'plain' }, 'plain'],
    ['--progress bar wins over CI', { progress: 'bar', env: { CI: '1' } }, 'bar'],
    ['--progress none', { progress: 'none' }, 'none'],
    ['--progress auto is the default rule', { progress: 'auto', isTTY: false }, 'plain'],
    ['--progress-file means json', { progressFile: '/tmp/p.ndjson' }, 'json'],
    ['--progress-file with --quiet still writes the file', { progressFile: '/tmp/p.ndjson', quiet: true }, 'json'],
  ])('%s', (_, choice, expected) => {
    expect(selectReporter({ ...base, ...choice })).toBe(expected);
  });

  it('recognises CI values', () => {
    expect(runningInCi({ CI: 'true' })).toBe(true);
    expect(runningInCi({ CI: 'woodpecker' })).toBe(true);
    expect(runningInCi({})).toBe(false);
    expect(runningInCi({ CI: 'FALSE' })).toBe(false);
  });
});

/** Collects what a reporter writes. */
function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => { text += d.toString('utf8'); });
  return { out, text: () => text };
}

const progress = (phase: 'nodes' | 'relationships', rows: number, bytes: number, batches: number): ImportEvent => ({
  type: 'progress', phase, file: 'x.csv', rows, bytes, batches, elapsedMs: 1000, filesDone: 0, files: 2,
});

describe('plain reporter', () => {
  it('prints at most one progress line per phase per interval, every phase end, and warnings', () => {
    let clock = 0;
    const { out, text } = sink();
    const r = createPlainReporter(out, 5000, () => clock);
    r.onEvent({ type: 'phase-start', phase: 'nodes', totalBytes: 1000, files: 2 });
    for (let i = 1; i <= 100; i++) {
      clock += 200; // 100 batches over 20 s: 4 lines at 5 s intervals
      r.onEvent(progress('nodes', i * 10, i * 10, i));
    }
    r.onEvent({ type: 'warning', code: 'GI_W_THREADS_LIMITED', message: 'budget holds 1 worker thread(s), not 2' });
    r.onEvent({ type: 'phase-end', phase: 'nodes', rows: 1000, bytes: 1000, elapsedMs: 20_000, rssBytes: 1, peakRssBytes: 2 ** 20, heapUsedBytes: 1 });
    const lines = text().trim().split('\n');
    const progressLines = lines.filter((l) => / nodes: /.test(l));
    expect(progressLines).toHaveLength(4);
    expect(progressLines[0]).toMatch(/^\[\d\d:\d\d:\d\d \+5\.0s\] nodes: 25% 250 rows, 0\.0 MB, 250 rows\/s, files 0\/2$/);
    expect(lines.filter((l) => l.includes('nodes done: 1,000 rows in 20.00 s, peak RSS 1.0 MB'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('warning GI_W_THREADS_LIMITED: budget holds 1'))).toHaveLength(1);
    // Nothing a terminal would interpret: plain text only.
    expect(text()).not.toMatch(/\x1b/);
  });

  it('throttles each phase on its own clock', () => {
    let clock = 0;
    const { out, text } = sink();
    const r = createPlainReporter(out, 5000, () => clock);
    r.onEvent({ type: 'phase-start', phase: 'nodes', totalBytes: 100, files: 1 });
    clock = 6000;
    r.onEvent(progress('nodes', 10, 10, 1));
    r.onEvent({ type: 'phase-start', phase: 'relationships', totalBytes: 100, files: 1 });
    r.onEvent(progress('relationships', 10, 10, 1)); // just started: no line yet
    clock = 11_001;
    r.onEvent(progress('relationships', 20, 20, 2));
    expect(text().match(/ nodes: /g)).toHaveLength(1);
    expect(text().match(/ relationships: /g)).toHaveLength(1);
  });
});

describe('NDJSON reporter', () => {
  it('writes one versioned, timestamped JSON object per event', async () => {
    const { out, text } = sink();
    const r = createNdjsonReporter(out, true);
    r.onEvent({ type: 'phase-start', phase: 'csr', totalRows: 5, files: 0 });
    r.onEvent({ type: 'warning', code: 'GI_W_STREAMING_FORCED', message: 'm' });
    await r.close();
    const lines = text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.v, l.type])).toEqual([[1, 'phase-start'], [1, 'warning']]);
    for (const l of lines) expect(Number.isNaN(Date.parse(l.t))).toBe(false);
  });
});

describe('layering', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  const src = files(join(ROOT, 'src'));

  it('only cli/ writes to the terminal or imports ora and cli-progress', () => {
    expect(src.length).toBeGreaterThan(30);
    const offenders = src
      .filter((f) => !relative(join(ROOT, 'src'), f).startsWith('cli/'))
      .filter((f) => /process\.(stdout|stderr)|console\.(log|error|warn|info)|from 'ora'|from 'cli-progress'/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('cli/ does use ora and cli-progress (the interactive reporter)', () => {
    const bar = readFileSync(join(ROOT, 'src/cli/reporters/bar-reporter.ts'), 'utf8');
    expect(bar).toMatch(/from 'ora'/);
    expect(bar).toMatch(/from 'cli-progress'/);
  });
});
