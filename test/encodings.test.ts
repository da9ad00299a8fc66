import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../src/input/utf8-check.js';
import { runCli } from './helpers/child.js';
import { dumpGraph } from './helpers/graph-dump.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('UTF-8 validation', () => {
  it.each<[string, Uint8Array, number]>([
    ['ASCII', utf8('plain, text\n'), -1],
    ['two, three and four byte characters', utf8('é漢🙂'), -1],
    ['a Latin-1 é', bytes(0x4a, 0x6f, 0x73, 0xe9), 3],
    ['a lone continuation byte', bytes(0x61, 0x80), 1],
    ['a sequence cut at the end', bytes(0x61, 0xe6, 0xbc), 1],
    ['an overlong NUL (C0 80)', bytes(0xc0, 0x80), 0],
    ['an overlong slash (E0 80 AF)', bytes(0x61, 0xe0, 0x80, 0xaf), 1],
    ['a UTF-16 surrogate (ED A0 80)', bytes(0xed, 0xa0, 0x80), 0],
    ['past U+10FFFF (F4 90 80 80)', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['0xFF', bytes(0x61, 0x62, 0xff), 2],
  ])('%s', (_, b, expected) => {
    expect(firstInvalidUtf8(b, 0, b.length)).toBe(expected);
  });

  it('agrees with a strict decoder on random bytes, and points at the first bad byte', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array): boolean => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false; // the decoder's way of saying "not UTF-8"
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const bad = firstInvalidUtf8(b, 0, b.length);
      expect(bad === -1).toBe(valid(b));
      if (bad >= 0) {
        expect(valid(b.subarray(0, bad))).toBe(true);
        expect(valid(b.subarray(0, bad + 4 <= b.length ? bad + 4 : b.length))).toBe(false);
      }
    }), { numRuns: 2000 });
  });
});

describe('encodings and line shapes end to end', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gi-enc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const people = ['1,José', '2,Zoë', '3,Ærøskøbing', '4,"Müller, Jürgen"'];
  const knows = (n: number): string[] => Array.from({ length: n }, (_, i) => `${(i % 4) + 1},${((i + 1) % 4) + 1},café ${i}`);

  async function importDump(name: string, files: Record<string, Uint8Array | string>, args: string[] = []): Promise<{ status: number | null; stderr: string; dump?: unknown }> {
    const sub = await mkdtemp(join(dir, `${name}-`));
    for (const [f, content] of Object.entries(files)) await writeFile(join(sub, f), content);
    const run = await runCli([...Object.keys(files).map((f) => join(sub, f)), '--into', join(sub, 'g.db'), '--quiet', ...args], { cwd: sub });
    return { status: run.status, stderr: run.stderr, dump: run.status === 0 ? await dumpGraph(join(sub, 'g.db')) : undefined };
  }

  it('Latin-1 files with --input-encoding latin1 (plain and gzip) give the graph of their UTF-8 twins', async () => {
    const personsText = `id:ID,name\n${people.join('\n')}\n`;
    const knowsText = `:START_ID,:END_ID,note\n${knows(40).join('\n')}\n`;
    const clean = await importDump('utf8', { 'persons.csv': personsText, 'knows.csv': knowsText });
    expect(clean.status, clean.stderr).toBe(0);
    const latin1 = { 'persons.csv': Buffer.from(personsText, 'latin1'), 'knows.csv': Buffer.from(knowsText, 'latin1') };
    const refused = await importDump('latin1-refused', latin1);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/persons\.csv:2:2: GI_INVALID_UTF8: byte 0xE9 at byte offset 16 is not valid UTF-8/);
    expect(refused.stderr).toContain('--input-encoding latin1');
    const read = await importDump('latin1', latin1, ['--input-encoding', 'latin1', '--threads', '2', '--batch-size', '3']);
    expect(read.status, read.stderr).toBe(0);
    expect(read.dump).toEqual(clean.dump);
    const gz = await importDump('latin1-gz', { 'persons.csv.gz': gzipSync(latin1['persons.csv']), 'knows.csv.gz': gzipSync(latin1['knows.csv']) }, ['--input-encoding', 'latin1']);
    expect(gz.status, gz.stderr).toBe(0);
    expect(gz.dump).toEqual(clean.dump);
  });

  it('an invalid byte deep in a relationship file read in parallel ranges is reported at its exact line and field', async () => {
    const rows = knows(500).map((r) => Buffer.from(r));
    rows[377] = Buffer.concat([Buffer.from('2,3,caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]);
    const text = Buffer.concat([Buffer.from(':START_ID,:END_ID,note\n'), ...rows.flatMap((r) => [r, Buffer.from('\n')])]);
    const offset = text.indexOf(Buffer.from([0xe9]));
    const run = await importDump('bad-byte', { 'persons.csv': `id:ID,name\n${people.join('\n')}\n`, 'knows.csv': text }, ['--threads', '2', '--batch-size', '7']);
    expect(run.status).toBe(1);
    // Row 377 of the data is line 379 (the header is line 1); the bad byte is in the third field.
    expect(run.stderr).toMatch(new RegExp(`knows\\.csv:379:3: GI_INVALID_UTF8: byte 0xE9 at byte offset ${offset} is not valid UTF-8`));
  });

  it('a BOM, CRLF, lone CR and blank lines all give the same graph', async () => {
    const base = await importDump('lf', { 'persons.csv': `id:ID,name\n${people.join('\n')}\n`, 'knows.csv': `:START_ID,:END_ID,note\n${knows(9).join('\n')}\n` });
    expect(base.status, base.stderr).toBe(0);
    const shapes: [string, (lines: string[]) => string][] = [
      ['bom-crlf', (l) => `\uFEFF${l.join('\r\n')}\r\n`],
      ['lone-cr', (l) => l.join('\r')],
      ['blank-lines', (l) => `${l.join('\n\n')}\n\n\n`],
      ['mixed', (l) => l.map((x, i) => x + ['\n', '\r\n', '\r'][i % 3]).join('')],
    ];
    for (const [name, shape] of shapes) {
      const run = await importDump(name, {
        'persons.csv': shape(['id:ID,name', ...people]), 'knows.csv': shape([':START_ID,:END_ID,note', ...knows(9)]),
      }, ['--threads', '2', '--batch-size', '2']);
      expect(run.status, `${name}: ${run.stderr}`).toBe(0);
      expect(run.dump, name).toEqual(base.dump);
    }
  });

  it('an invalid byte in a header is reported on line 1', async () => {
    const run = await importDump('bad-header', { 'persons.csv': Buffer.concat([Buffer.from('id:ID,n'), Buffer.from([0xff]), Buffer.from('me\n1,a\n')]) });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/persons\.csv:1:2: GI_INVALID_UTF8: byte 0xFF at byte offset 7/);
  });

  it('--auto-skip-subsequent-headers passes over repeated header lines (concatenated files), counted apart from bad rows', async () => {
    const personsHeader = 'id:ID,name';
    const knowsHeader = ':START_ID,:END_ID,note';
    const rels = knows(30);
    const clean = await importDump('no-repeats', { 'persons.csv': `${personsHeader}\n${people.join('\n')}\n`, 'knows.csv': `${knowsHeader}\n${rels.join('\n')}\n` });
    expect(clean.status, clean.stderr).toBe(0);
    // `cat part1.csv part2.csv ...`: every part keeps its header line.
    const concatenated = (header: string, rows: string[], parts: number): string => {
      const size = Math.ceil(rows.length / parts);
      return Array.from({ length: parts }, (_, p) => `${header}\n${rows.slice(p * size, (p + 1) * size).map((r) => `${r}\n`).join('')}`).join('');
    };
    const files = { 'persons.csv': concatenated(personsHeader, people, 2), 'knows.csv': concatenated(knowsHeader, rels, 5) };
    const refused = await importDump('repeats-refused', files);
    expect(refused.status).toBe(1);
    const sub = await mkdtemp(join(dir, 'repeats-'));
    for (const [f, content] of Object.entries(files)) await writeFile(join(sub, f), content);
    const run = await runCli([join(sub, 'persons.csv'), join(sub, 'knows.csv'), '--into', join(sub, 'g.db'), '--auto-skip-subsequent-headers', '--threads', '2', '--batch-size', '4', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.repeatedHeadersSkipped).toBe(1 + 4);
    expect(summary.skipped.rows).toBe(0);
    expect(await dumpGraph(join(sub, 'g.db'))).toEqual(clean.dump);
  });
});
