import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, generateGraph } from './helpers/child.js';

// The interactive progress output of the built CLI, in a real terminal: tmux runs a shell in a 200x50 pane, the test
// types the import command into it and polls what the terminal shows (`capture-pane`: the screen after tmux has
// interpreted every escape sequence, so a stray escape or fragment left on screen is garbage a user would see too).
//
// 200k nodes / 4M edges (~145 MB of CSV; generated once, ~5 s) import in 4-8 s on a 2-core machine: the relationship
// bar alone moves for 2-5 s, long enough for a dozen or more captures at ~150 ms. Waits poll for what the screen
// shows, never sleep a fixed time, so a machine slowed by other work only makes the tests take longer.
const NODES = 200_000;
const EDGES = 4_000_000;
/** How long one import (or one interrupted import) may take, screen polling included. */
const RUN_WITHIN_MS = 45_000;
/** Ctrl-C must end the import within this long (from the key press to the shell printing the status). */
const INTERRUPT_EXIT_WITHIN_MS = 5_000;
const POLL_MS = 150;
const PHASES = ['nodes', 'relationships', 'csr'] as const;
type BarPhase = (typeof PHASES)[number];

/** A private tmux server (-L), so the tests never see or touch anyone else's tmux sessions. */
const SOCKET = `gi-tty-${process.pid}-${Date.now().toString(36)}`;
const haveTmux = spawnSync('tmux', ['-V']).status === 0;

let work: string;

beforeAll(async () => {
  if (!haveTmux) return;
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  // realpath: the CLI prints the absolute path it resolved from the shell's (physical) working directory.
  work = realpathSync(await mkdtemp(join(tmpdir(), 'gi-tty-')));
  await generateGraph(join(work, 'data'), NODES, EDGES);
}, 60_000);

afterAll(async () => {
  if (haveTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Runs one tmux command on the private server; TMUX is dropped so running the tests inside tmux changes nothing. */
function tmux(...args: string[]): string {
  const env = { ...process.env };
  delete env.TMUX;
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One look at the terminal: the visible screen as text and whether the cursor is shown. */
interface Frame {
  screen: string;
  cursorVisible: boolean;
  /** ms since the recording started. */
  at: number;
}

/** Screen and cursor flag in one tmux command list, so both describe the same moment. */
function look(session: string, started: number): Frame {
  const out = tmux('capture-pane', '-p', '-t', session, ';', 'display-message', '-p', '-t', session, '#{cursor_flag}');
  const lines = out.replace(/\n$/, '').split('\n');
  const flag = lines.pop();
  return { screen: lines.join('\n').replace(/\n+$/, ''), cursorVisible: flag === '1', at: performance.now() - started };
}

/** Starts a shell with a short prompt in `cwd` and waits for its prompt, so typed keys are not lost or echoed early. */
async function startTerminal(session: string, cwd: string): Promise<void> {
  tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', session, '-c', cwd, "env PS1='$ ' bash --norc --noprofile");
  await recordUntil(session, (f) => f.screen.startsWith('$'), 10_000, 'the shell prompt');
}

/** Types a command line into the shell (literally, then Enter), followed by `echo EXIT=$?` to read its status. */
function typeCommand(session: string, command: string): void {
  tmux('send-keys', '-t', session, '-l', `${command}; echo EXIT=$?`);
  tmux('send-keys', '-t', session, 'Enter');
}

/** The command's exit status once the shell has printed it (the typed `echo EXIT=$?` never matches: `$?` is no number). */
function exitStatus(screen: string): number | undefined {
  const m = /^EXIT=(\d+)\s*$/m.exec(screen);
  return m === null ? undefined : Number(m[1]);
}

/** Looks at the terminal every POLL_MS until `done` holds; fails with the last screen when it does not within `ms`. */
async function recordUntil(session: string, done: (f: Frame) => boolean, ms: number, what: string): Promise<Frame[]> {
  const started = performance.now();
  const frames: Frame[] = [];
  for (;;) {
    const frame = look(session, started);
    frames.push(frame);
    if (done(frame)) return frames;
    if (frame.at > ms) throw new Error(`no ${what} within ${ms} ms; the screen:\n${frame.screen}`);
    await sleep(POLL_MS);
  }
}

/** Percentages of the phase bars a screen shows (` relationships |████░░…░|  10% | …`). */
function percentages(screen: string): Map<BarPhase, number> {
  const out = new Map<BarPhase, number>();
  for (const m of screen.matchAll(/^ (nodes|relationships|csr)\s+\|[█░]+\|\s*(\d+)% \|/gm)) out.set(m[1] as BarPhase, Number(m[2]));
  return out;
}

/** Phases whose bar a screen shows strictly between 0 and 100 %. */
function midPhases(screen: string): BarPhase[] {
  return [...percentages(screen)].filter(([, p]) => p > 0 && p < 100).map(([phase]) => phase);
}

/**
 * What a terminal shows when a program wrote a broken or unsupported escape sequence: the ESC byte itself or the
 * parameters of a CSI sequence (`[?25l`, `[2K`, `[1G`, `[3A`, ...) printed as text. Braille characters are spinner
 * frames of ora, which must not stay on screen once the spinner has succeeded or stopped.
 */
const GARBAGE = [/\x1b/, /\[\?25/, /\[2K/, /\[1G/, /\[0K/, /\[\??\d+(;\d+)*[A-HJKSTfhlmsu]/, /\[[A-HJK]/];
const SPINNER = /[\u2800-\u28ff]/;

/** Garbage found on a screen, as readable strings (empty when the screen is clean). */
function garbage(screen: string): string[] {
  return GARBAGE.flatMap((re) => (re.test(screen) ? [`${re} in:\n${screen}`] : []));
}

/** Non-empty lines a screen shows more than once: a bar that scrolls instead of redrawing in place repeats lines. */
function repeatedLines(screen: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const line of screen.split('\n')) {
    if (line.trim() === '') continue;
    if (seen.has(line)) repeated.add(line);
    seen.add(line);
  }
  return [...repeated];
}

/** Phases whose bar a screen shows on more than one line: a bar that scrolls instead of redrawing in place. */
function scrolledBars(screen: string): string[] {
  return PHASES.filter((phase) => linesMatching(screen, new RegExp(`^ ${phase}\\s+\\|`)).length > 1).map((p) => `${p} in:\n${screen}`);
}

/** Lines of a screen that match `re`. */
function linesMatching(screen: string, re: RegExp): string[] {
  return screen.split('\n').filter((l) => re.test(l));
}

/** Per frame, the phase percentages as one short string (for failure messages). */
function progressLog(frames: Frame[]): string {
  return frames.map((f) => `${f.at.toFixed(0)} ms: ${[...percentages(f.screen)].map(([p, v]) => `${p} ${v}%`).join(', ')}`).join('\n');
}

/** A fresh, empty parent directory for one run's store, so the store and any stray sibling are easy to see. */
async function freshParent(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  return dir;
}

/** The import command typed into the shell: relative paths (cwd is `work`) keep it on one line of the pane. */
const importCommand = (prefix: string, into: string): string =>
  `${prefix} ${process.execPath} ${BIN} data/nodes.csv data/edges.csv --into ${into}`;

/** 4000000 -> '4,000,000', the CLI's count format. */
const count = (n: number): string => n.toLocaleString('en-US');

describe.skipIf(!haveTmux)('progress bar in a real terminal (tmux)', () => {
  it('the bar moves and the final screen holds the summary and no garbage', async () => {
    const session = 'bar';
    const parent = await freshParent('bar');
    const db = join(parent, 'g.db');
    await startTerminal(session, work);
    typeCommand(session, importCommand('env -u CI', 'bar/g.db'));
    const frames = await recordUntil(session, (f) => exitStatus(f.screen) !== undefined, RUN_WITHIN_MS, 'EXIT= line');
    const final = frames[frames.length - 1]!;
    const log = `progress seen:\n${progressLog(frames)}\nfinal screen:\n${final.screen}`;

    expect(exitStatus(final.screen), log).toBe(0);

    // The bar moved: some phase was seen part-way (0 < p < 100) and a later frame shows it further along.
    const moved = frames.some((f, i) => [...percentages(f.screen)].some(([phase, p]) => p > 0 && p < 100
      && frames.slice(i + 1).some((g) => (percentages(g.screen).get(phase) ?? -1) > p)));
    expect(moved, log).toBe(true);
    // While a bar runs the cursor is hidden (so the visible cursor at the end below means it was restored).
    const midFrames = frames.filter((f) => midPhases(f.screen).length > 0);
    expect(midFrames.length, log).toBeGreaterThan(0);
    expect(midFrames.filter((f) => f.cursorVisible).map((f) => f.screen), log).toEqual([]);

    // The final screen: each bar once, complete; the spinner lines; the summary with the generated counts.
    for (const phase of PHASES) {
      const bars = linesMatching(final.screen, new RegExp(`^ ${phase}\\s+\\|`));
      expect(bars, `${phase} bar\n${log}`).toHaveLength(1);
      expect(bars[0], log).toMatch(/\|█{40}\|\s*100% \|/);
    }
    expect(linesMatching(final.screen, /^✔ sniff\s+[\d.]+ s$/), log).toHaveLength(1);
    expect(linesMatching(final.screen, /^graph-import: 2 file\(s\), [\d.]+ MB -> /), log).toEqual([
      expect.stringContaining('-> bar/g.db ('), // the plan line echoes --into as typed; the summary resolves it
    ]);
    expect(linesMatching(final.screen, /^✔ commit\s+[\d.]+ s$/), log).toHaveLength(1);
    const imported = `Imported ${count(NODES)} nodes and ${count(EDGES)} relationships into ${db} in `;
    expect(linesMatching(final.screen, /^Imported /), log).toEqual([expect.stringMatching(new RegExp(`^${escapeRe(imported)}[\\d.]+ s$`))]);
    expect(final.screen, log).toMatch(/^ +table +rows +skipped +properties$/m);
    expect(final.screen, log).toMatch(new RegExp(`^ +\\(:nodes\\) +${count(NODES)} +0 +`, 'm'));
    expect(final.screen, log).toMatch(new RegExp(`^ +\\(:nodes\\)-\\[:edges\\]->\\(:nodes\\) +${count(EDGES)} +0 +`, 'm'));
    for (const head of ['phases', 'throughput', 'engine']) expect(final.screen, log).toMatch(new RegExp(`^ +${head}: `, 'm'));
    // In order: progress on stderr first, then the summary on stdout, then the status.
    const order = ['✔ sniff', 'graph-import: ', ' nodes ', ' relationships ', ' csr ', '✔ commit', 'Imported ', 'EXIT=0']
      .map((s) => final.screen.indexOf(s));
    expect(order, log).toEqual([...order].sort((a, b) => a - b));

    // No garbage on any screen, no line shown twice (bars redraw in place), no spinner frame left, cursor visible.
    expect(frames.flatMap((f) => garbage(f.screen))).toEqual([]);
    expect(frames.flatMap((f) => repeatedLines(f.screen)), log).toEqual([]);
    expect(frames.flatMap((f) => scrolledBars(f.screen))).toEqual([]);
    expect(SPINNER.test(final.screen), log).toBe(false);
    expect(final.cursorVisible, log).toBe(true);
    expect(existsSync(join(db, 'manifest.json'))).toBe(true);
  });

  it('Ctrl-C mid-import leaves a clean terminal', async () => {
    const session = 'ctrlc';
    const parent = await freshParent('ctrlc');
    const db = join(parent, 'g.db');
    await startTerminal(session, work);
    typeCommand(session, importCommand('env -u CI', 'ctrlc/g.db'));
    // Wait for a bar visibly part-way (the import is running, not sniffing or committing); fail if it ends first.
    const before = await recordUntil(session, (f) => {
      if (exitStatus(f.screen) !== undefined) throw new Error(`the import ended before a bar was seen moving:\n${f.screen}`);
      return midPhases(f.screen).some((p) => p === 'nodes' || p === 'relationships');
    }, RUN_WITHIN_MS, 'nodes or relationships bar between 0 and 100 %');
    const atKey = before[before.length - 1]!;
    expect(atKey.cursorVisible, atKey.screen).toBe(false);

    const pressed = performance.now();
    tmux('send-keys', '-t', session, 'C-c');
    const after = await recordUntil(session, (f) => exitStatus(f.screen) !== undefined, RUN_WITHIN_MS, 'EXIT= line after Ctrl-C');
    const exitedAfterMs = performance.now() - pressed;
    const final = after[after.length - 1]!;
    const log = `screen when Ctrl-C was pressed:\n${atKey.screen}\nfinal screen (${exitedAfterMs.toFixed(0)} ms later):\n${final.screen}`;

    // Handled, not killed by the signal: a process dying of SIGINT would make bash skip `echo EXIT=$?` (no status).
    expect(exitStatus(final.screen), log).toBe(130);
    expect(exitedAfterMs, log).toBeLessThan(INTERRUPT_EXIT_WITHIN_MS);
    expect(final.screen, log).toMatch(/^GI_INTERRUPTED: /m);
    expect(final.screen, log).not.toMatch(/^Imported /m);
    expect(final.screen, log).not.toMatch(/✔ commit/);
    // Clean terminal: no escape garbage, no line twice, no spinner frame, and the cursor the bar hid is back.
    expect([...before, ...after].flatMap((f) => garbage(f.screen))).toEqual([]);
    expect(after.flatMap((f) => repeatedLines(f.screen)), log).toEqual([]);
    expect([...before, ...after].flatMap((f) => scrolledBars(f.screen))).toEqual([]);
    expect(SPINNER.test(final.screen), log).toBe(false);
    expect(final.cursorVisible, log).toBe(true);
    // Nothing written: no store, no temporary sibling (`.g.db.tmp-*`) or anything else beside it.
    expect(existsSync(db)).toBe(false);
    expect(await readdir(parent)).toEqual([]);
  });

  it('with CI=1 in the same terminal, plain timestamped lines and no bar', async () => {
    const session = 'ci';
    await freshParent('ci');
    await startTerminal(session, work);
    typeCommand(session, importCommand('CI=1', 'ci/g.db'));
    const frames = await recordUntil(session, (f) => exitStatus(f.screen) !== undefined, RUN_WITHIN_MS, 'EXIT= line');
    const final = frames[frames.length - 1]!;
    const log = `final screen:\n${final.screen}`;

    expect(exitStatus(final.screen), log).toBe(0);
    const stamp = String.raw`^\[\d\d:\d\d:\d\d \+\d+\.\ds\] `;
    expect(final.screen, log).toMatch(new RegExp(`${stamp}plan: 2 file\\(s\\), `, 'm'));
    for (const [phase, rows] of [['nodes', NODES], ['relationships', EDGES]] as const) {
      expect(final.screen, log).toMatch(new RegExp(`${stamp}${phase} done: ${count(rows)} rows in [\\d.]+ s, peak RSS [\\d.]+ MB$`, 'm'));
    }
    expect(final.screen, log).toMatch(new RegExp(`${stamp}csr done: `, 'm'));
    expect(final.screen, log).toMatch(new RegExp(`^Imported ${count(NODES)} nodes and ${count(EDGES)} relationships into `, 'm'));
    // No bar, no spinner and no cursor games on any screen; nothing to clean up.
    for (const f of frames) {
      expect(f.screen, log).not.toMatch(/[█░]|\|█/);
      expect(SPINNER.test(f.screen), f.screen).toBe(false);
      expect(f.cursorVisible, f.screen).toBe(true);
    }
    expect(frames.flatMap((f) => garbage(f.screen))).toEqual([]);
    expect(repeatedLines(final.screen), log).toEqual([]);
  });
});

/** Escapes a literal for use inside a RegExp. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
