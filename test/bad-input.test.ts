/**
 * Bad input: every failure must name its file, line (and column where one exists), carry its GI_ code, and leave
 * nothing behind — no store directory and no `.NAME.tmp-*` sibling. Fixtures live in test/fixtures/bad-input and are
 * copied into a fresh temporary directory per test; the store target is a sibling of the copies, so after a failure
 * the directory must hold exactly the copied inputs.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, type InputGroup, normalizeConfig } from '../src/config/streaming-config.js';
import { ERROR_CODES, ImportError } from '../src/errors/import-error.js';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { runImport } from '../src/exec/run-import.js';
import { storeInfo } from '../src/read/store-info.js';

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures/bad-input');
const CLI = join(ROOT, 'bin/graph-import.js');

let work: string; // fresh per test
let store: string; // work/graph.db

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'gi-bad-input-'));
  store = join(work, 'graph.db');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Copies fixtures into the test's directory and returns their new paths, in order. */
async function fixtures(...names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const to = join(work, name);
    await copyFile(join(FIXTURES, name), to);
    out.push(to);
  }
  return out;
}

const auto = (...files: string[]): InputGroup[] => files.map((f) => ({ kind: 'auto', files: [f] }));

interface Expected {
  code: keyof typeof ERROR_CODES;
  file: string;
  /** undefined: the error must have no line (file-level errors). */
  line?: number;
  /** undefined: the error must have no column. */
  column?: number;
  columnName?: string;
}

/** Runs an import that must fail and checks the error's code, position and headline. */
async function expectImportFailure(input: Omit<ConfigInput, 'into'> & { into?: string }, want: Expected): Promise<ImportError> {
  const config = normalizeConfig({ into: store, ...input });
  let caught: unknown;
  try {
    await runImport(config);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the import must fail').toBeInstanceOf(ImportError);
  const err = caught as ImportError;
  expect({ code: err.code, file: err.file, line: err.line, column: err.column }).toEqual({
    code: want.code, file: want.file, line: want.line, column: want.column,
  });
  if (want.columnName !== undefined) expect(err.columnName).toBe(want.columnName);
  let where = want.file;
  if (want.line !== undefined) where += `:${want.line}`;
  if (want.line !== undefined && want.column !== undefined) where += `:${want.column}`;
  expect(err.message.startsWith(`${where}: ${want.code}: `), `message "${err.message}" starts with "${where}: ${want.code}: "`).toBe(true);
  expect(err.format().split('\n')[0]).toBe(err.message);
  return err;
}

/** The directory holds exactly `names`: no store, no `.graph.db.tmp-*`, no `graph.db.old-*`. */
async function expectOnly(names: string[]): Promise<void> {
  const entries = (await readdir(work)).sort();
  expect(entries).toEqual([...names].sort());
  expect(entries.some((e) => e.includes('.tmp-'))).toBe(false);
}

/** Every file of a store, relative path -> bytes. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

describe('missing and unreadable files', () => {
  it('a missing file is GI_FILE_NOT_FOUND naming the path', async () => {
    const [persons] = await fixtures('persons.csv');
    const missing = join(work, 'no-such-file.csv');
    await expectImportFailure({ inputs: auto(persons, missing) }, { code: 'GI_FILE_NOT_FOUND', file: missing });
    await expectOnly(['persons.csv']);
  });

  it('a missing second file of a group (data-only part) is GI_FILE_NOT_FOUND naming that part', async () => {
    const [persons] = await fixtures('persons.csv');
    const missing = join(work, 'persons-part2.csv');
    await expectImportFailure({ inputs: [{ kind: 'node', name: 'Person', files: [persons, missing] }] }, { code: 'GI_FILE_NOT_FOUND', file: missing });
    await expectOnly(['persons.csv']);
  });

  it('a directory passed as a file is GI_FILE_UNREADABLE', async () => {
    const [persons] = await fixtures('persons.csv');
    const dir = join(work, 'knows.csv');
    await mkdir(dir);
    await expectImportFailure({ inputs: auto(persons, dir) }, { code: 'GI_FILE_UNREADABLE', file: dir });
    await expectOnly(['persons.csv', 'knows.csv']);
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('a file without read permission (chmod 000) is GI_FILE_UNREADABLE', async () => {
    const [persons] = await fixtures('persons.csv');
    await chmod(persons, 0o000);
    if (process.getuid?.() === 0 && nobodyCanRun(CLI)) {
      // Root reads a mode-000 file regardless of its permission bits, so as root the check runs the real CLI in a
      // child process as the unprivileged user `nobody` (uid/gid 65534), which the permission bits do stop.
      expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build`').toBe(true);
      await chmod(work, 0o777);
      const r = spawnSync(process.execPath, [CLI, persons, '--into', store], {
        cwd: work, encoding: 'utf8', uid: 65534, gid: 65534, env: { ...process.env, CI: '1' }, timeout: 30_000,
      });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toContain(`${persons}: GI_FILE_UNREADABLE: `);
      expect(r.status).toBe(EXIT_CODES.io);
    } else if (process.getuid?.() === 0) {
      // Root, and the checkout is not readable by `nobody` (e.g. a clone under /root): permission bits cannot stop
      // this process, so check the other unreadable-path case instead, a path through a regular file (ENOTDIR).
      const through = join(persons, 'nested.csv');
      await expectImportFailure({ inputs: auto(through) }, { code: 'GI_FILE_UNREADABLE', file: through });
    } else {
      await expectImportFailure({ inputs: auto(persons) }, { code: 'GI_FILE_UNREADABLE', file: persons });
    }
    await expectOnly(['persons.csv']);
  });
});

/** True when the unprivileged user `nobody` can read the built CLI (every directory on its path must be searchable). */
function nobodyCanRun(cli: string): boolean {
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(cli)}, require('fs').constants.R_OK)`], { uid: 65534, gid: 65534 });
  return probe.status === 0;
}

describe('malformed rows', () => {
  it('an unterminated quote reports the line where the quote opened (after a valid multi-line field)', async () => {
    const [bad] = await fixtures('unterminated-quote.csv');
    // line 1 header; lines 2-3 one row with a quoted newline; line 4 Bob; line 5 opens a quote that never closes
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_UNTERMINATED_QUOTE', file: bad, line: 5 });
    expect(err.raw).toContain('"never closed');
    await expectOnly(['unterminated-quote.csv']);
  });

  it('an unterminated quote in a relationship file (no sniff pass) reports the same line', async () => {
    const [persons] = await fixtures('persons.csv');
    const knows = join(work, 'knows-open-quote.csv');
    await writeFile(knows, ':START_ID(Person),:END_ID(Person),note\n1,2,ok\n2,3,"multi\nline"\n3,1,"open\n1,3,x\n');
    await expectImportFailure({ inputs: auto(persons, knows) }, { code: 'GI_UNTERMINATED_QUOTE', file: knows, line: 5 });
    await expectOnly(['persons.csv', 'knows-open-quote.csv']);
  });

  it('a row with too many fields is GI_FIELD_COUNT at its line, column = first extra field', async () => {
    const [bad] = await fixtures('field-count-too-many.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_FIELD_COUNT', file: bad, line: 4, column: 4 });
    expect(err.reason).toBe('expected 3 fields (as in the header), found 4');
    expect(err.raw).toBe('3,Carol,27,extra');
    await expectOnly(['field-count-too-many.csv']);
  });

  it('a row with too few fields is GI_FIELD_COUNT at its line, column = last field present', async () => {
    const [bad] = await fixtures('field-count-too-few.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_FIELD_COUNT', file: bad, line: 5, column: 2 });
    expect(err.reason).toBe('expected 3 fields (as in the header), found 2');
    await expectOnly(['field-count-too-few.csv']);
  });

  it('a relationship row with too few fields is GI_FIELD_COUNT at its line', async () => {
    const [persons, knows] = await fixtures('persons.csv', 'knows-too-few.csv');
    await expectImportFailure({ inputs: auto(persons, knows) }, { code: 'GI_FIELD_COUNT', file: knows, line: 3, column: 2 });
    await expectOnly(['persons.csv', 'knows-too-few.csv']);
  });

  it('a value that is not of its column type is GI_TYPE_CAST with 1-based column and column name', async () => {
    const [bad] = await fixtures('type-cast.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_TYPE_CAST', file: bad, line: 3, column: 3, columnName: 'age' });
    expect(err.reason).toContain('"abc"');
    expect(err.reason).toContain('int');
    await expectOnly(['type-cast.csv']);
  });

  it('a relationship property that is not of its type is GI_TYPE_CAST', async () => {
    const [persons] = await fixtures('persons.csv');
    const knows = join(work, 'knows-bad-since.csv');
    await writeFile(knows, ':START_ID(Person),:END_ID(Person),since:int\n1,2,2010\n2,3,20x5\n');
    await expectImportFailure({ inputs: auto(persons, knows) }, { code: 'GI_TYPE_CAST', file: knows, line: 3, column: 3, columnName: 'since' });
    await expectOnly(['persons.csv', 'knows-bad-since.csv']);
  });
});

describe('failing cleanly', () => {
  it('a data error while node tables are open raises no unhandled promise rejection', async () => {
    // The error is thrown in the node phase, after the node table writers (Arrow file sinks) were opened, so the
    // failure path has to abort them; nothing may be left rejecting in the background (in the CLI process an
    // unhandled rejection kills node before the error is printed and before the temporary store is removed).
    const [bad] = await fixtures('type-cast.csv');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_TYPE_CAST', file: bad, line: 3, column: 3, columnName: 'age' });
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    await expectOnly(['type-cast.csv']);
  });
});

describe('graph integrity', () => {
  it('a duplicate node ID is GI_DUPLICATE_NODE_ID at the second occurrence', async () => {
    const [bad] = await fixtures('duplicate-id.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_DUPLICATE_NODE_ID', file: bad, line: 5, column: 1 });
    expect(err.reason).toContain('"2"');
    expect(err.reason).toContain('"Person"');
    await expectOnly(['duplicate-id.csv']);
  });

  it('a duplicate node ID across two files of one ID space is reported in the second file', async () => {
    const [persons] = await fixtures('persons.csv');
    const more = join(work, 'more-persons.csv');
    await writeFile(more, 'id:ID(Person),name,age:int\n10,Zed,1\n3,Carol2,2\n');
    const err = await expectImportFailure({ inputs: auto(persons, more) }, { code: 'GI_DUPLICATE_NODE_ID', file: more, line: 3, column: 1 });
    expect(err.reason).toContain('"3"');
    await expectOnly(['persons.csv', 'more-persons.csv']);
  });

  it('a relationship endpoint that names no node is GI_ENDPOINT_NOT_FOUND naming the ID and the ID space', async () => {
    const [persons, knows] = await fixtures('persons.csv', 'knows-missing-endpoint.csv');
    const err = await expectImportFailure({ inputs: auto(persons, knows) }, { code: 'GI_ENDPOINT_NOT_FOUND', file: knows, line: 4, column: 2 });
    expect(err.message).toContain('"99"');
    expect(err.message).toContain('"Person"');
    await expectOnly(['persons.csv', 'knows-missing-endpoint.csv']);
  });
});

describe('headers', () => {
  it('an unknown type name is GI_HEADER_UNKNOWN_TYPE at line 1 and the field', async () => {
    const [bad] = await fixtures('unknown-type.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_HEADER_UNKNOWN_TYPE', file: bad, line: 1, column: 3 });
    expect(err.message).toContain('integr');
    await expectOnly(['unknown-type.csv']);
  });

  it('an unclosed (Space is GI_HEADER_MALFORMED', async () => {
    const [bad] = await fixtures('header-unclosed-space.csv');
    const err = await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_HEADER_MALFORMED', file: bad, line: 1, column: 1 });
    expect(err.message).toContain(':ID(Person');
    await expectOnly(['header-unclosed-space.csv']);
  });

  it('two :ID columns are GI_HEADER_MALFORMED at the second one', async () => {
    const [bad] = await fixtures('header-two-ids.csv');
    await expectImportFailure({ inputs: auto(bad) }, { code: 'GI_HEADER_MALFORMED', file: bad, line: 1, column: 3 });
    await expectOnly(['header-two-ids.csv']);
  });

  it('a relationship header with :START_ID but no :END_ID is GI_HEADER_MALFORMED', async () => {
    const [persons, bad] = await fixtures('persons.csv', 'header-start-without-end.csv');
    const err = await expectImportFailure({ inputs: auto(persons, bad) }, { code: 'GI_HEADER_MALFORMED', file: bad, line: 1 });
    expect(err.reason).toContain(':END_ID');
    await expectOnly(['persons.csv', 'header-start-without-end.csv']);
  });

  it('an unknown ID space is GI_UNKNOWN_ID_SPACE naming it and suggesting the closest existing one', async () => {
    const [persons, bad] = await fixtures('persons.csv', 'knows-unknown-space.csv');
    const err = await expectImportFailure({ inputs: auto(persons, bad) }, { code: 'GI_UNKNOWN_ID_SPACE', file: bad, line: 1, column: 1 });
    expect(err.reason).toContain('"Persn"');
    expect(err.reason).toMatch(/did you mean "Person"\?/);
    await expectOnly(['persons.csv', 'knows-unknown-space.csv']);
  });
});

describe('existing stores', () => {
  async function goodStore(): Promise<{ inputs: InputGroup[]; before: Map<string, Buffer> }> {
    const [persons, knows] = await fixtures('persons.csv', 'knows.csv');
    const inputs = auto(persons, knows);
    await runImport(normalizeConfig({ inputs, into: store }));
    const info = await storeInfo(store);
    expect(info.nodes).toBe(3);
    expect(info.relationships).toBe(3);
    const before = await snapshot(store);
    expect(before.has('manifest.json')).toBe(true);
    return { inputs, before };
  }

  it('importing into an existing store without overwrite is GI_STORE_EXISTS and leaves it untouched', async () => {
    const { inputs, before } = await goodStore();
    const mtime = (await stat(join(store, 'manifest.json'))).mtimeMs;
    const err = await expectImportFailure({ inputs }, { code: 'GI_STORE_EXISTS', file: store });
    expect(err.errorClass).toBe('usage');
    expect(await snapshot(store)).toEqual(before);
    expect((await stat(join(store, 'manifest.json'))).mtimeMs).toBe(mtime);
    await expectOnly(['persons.csv', 'knows.csv', 'graph.db']);
  });

  it('--overwrite with a failing import keeps the old store byte-identical', async () => {
    const { before } = await goodStore();
    const [persons, bad] = await fixtures('type-cast.csv', 'knows-missing-endpoint.csv');
    await expectImportFailure({ inputs: auto(persons), overwrite: true }, { code: 'GI_TYPE_CAST', file: persons, line: 3, column: 3, columnName: 'age' });
    expect(await snapshot(store)).toEqual(before);
    // a failure late in the run (relationship phase, after node tables were written to the temporary store)
    const [good] = await fixtures('persons.csv');
    await expectImportFailure({ inputs: auto(good, bad), overwrite: true }, { code: 'GI_ENDPOINT_NOT_FOUND', file: bad, line: 4, column: 2 });
    const after = await snapshot(store);
    expect(after.get('manifest.json')!.equals(before.get('manifest.json')!)).toBe(true);
    expect(after).toEqual(before);
    await expectOnly(['persons.csv', 'knows.csv', 'type-cast.csv', 'knows-missing-endpoint.csv', 'graph.db']);
  });

  it('--overwrite with a successful import replaces the store and leaves no sibling behind', async () => {
    const { before } = await goodStore();
    const [persons] = await fixtures('persons.csv');
    await runImport(normalizeConfig({ inputs: auto(persons), into: store, overwrite: true }));
    const info = await storeInfo(store);
    expect(info.nodes).toBe(3);
    expect(info.relationships).toBe(0);
    expect((await snapshot(store)).get('manifest.json')!.equals(before.get('manifest.json')!)).toBe(false);
    await expectOnly(['persons.csv', 'knows.csv', 'graph.db']);
  });
});

describe('a bad row far into a large file', () => {
  const BAD_LINE = 250_001;
  const PAD = 'x'.repeat(40);

  /**
   * Writes a file whose line BAD_LINE holds `badRow` (`{i}` is replaced by a fresh number), followed by `tailRows`
   * good rows. Rows are padded so the bad row lies past the reader's first 8 MiB chunk, and a few quoted multi-line
   * fields and blank lines make physical line numbers differ from row numbers.
   */
  async function bigFile(name: string, header: string, row: (i: number, multiLine?: boolean) => string, badRow: string, tailRows = 10): Promise<string> {
    const path = join(work, name);
    const out = createWriteStream(path);
    const write = async (s: string): Promise<void> => {
      if (!out.write(s)) await once(out, 'drain');
    };
    let chunk = `${header}\n`;
    let line = 2;
    let i = 0;
    while (line < BAD_LINE) {
      if (line % 50_000 === 7 && line + 2 < BAD_LINE) {
        chunk += `${row(i++, true)}\n`; // one row, two lines (a quoted field holds a newline)
        line += 2;
      } else if (line % 60_000 === 11) {
        chunk += '\n'; // a blank line: counted, never a row
        line += 1;
      } else {
        chunk += `${row(i++)}\n`;
        line += 1;
      }
      if (chunk.length > 1 << 16) {
        await write(chunk);
        chunk = '';
      }
    }
    const bad = badRow.replace('{i}', String(i++));
    chunk += `${bad}\n`;
    for (let t = 0; t < tailRows; t++) {
      chunk += `${row(i++)}\n`;
      if (chunk.length > 1 << 16) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
    out.end();
    await once(out, 'finish');
    expect((await stat(path)).size).toBeGreaterThan(8 << 20);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[BAD_LINE - 1], 'the generator put the bad row on BAD_LINE').toBe(bad);
    return path;
  }

  const NODE_HEADER = 'id:ID(Person),name,age:int';
  const nodeRow = (i: number, multiLine = false): string => `${i},${multiLine ? `"two\nlines ${PAD}"` : `n${PAD}`},${i % 100}`;

  for (const batchSize of [100_000, 7]) {
    it(`a type error on line ${BAD_LINE} is reported at that exact line (batch size ${batchSize})`, async () => {
      const path = await bigFile('big.csv', NODE_HEADER, nodeRow, '{i},Bad,notanumber');
      const err = await expectImportFailure({ inputs: auto(path), batchSize }, { code: 'GI_TYPE_CAST', file: path, line: BAD_LINE, column: 3, columnName: 'age' });
      expect(err.raw).toMatch(/,Bad,notanumber$/);
      await expectOnly(['big.csv']);
    }, 60_000);

    it(`a field-count error on line ${BAD_LINE} is reported at that exact line (batch size ${batchSize})`, async () => {
      const path = await bigFile('big.csv', NODE_HEADER, nodeRow, '{i},Bad');
      await expectImportFailure({ inputs: auto(path), batchSize }, { code: 'GI_FIELD_COUNT', file: path, line: BAD_LINE, column: 2 });
      await expectOnly(['big.csv']);
    }, 60_000);

    it(`an unterminated quote opened on line ${BAD_LINE} with ~10 MB after it is reported there (batch size ${batchSize})`, async () => {
      const path = await bigFile('big.csv', NODE_HEADER, nodeRow, '{i},"opens here,1', 200_000);
      await expectImportFailure({ inputs: auto(path), batchSize }, { code: 'GI_UNTERMINATED_QUOTE', file: path, line: BAD_LINE });
      await expectOnly(['big.csv']);
    }, 60_000);

    it(`a missing endpoint on line ${BAD_LINE} of a relationship file is reported there (batch size ${batchSize})`, async () => {
      const [persons] = await fixtures('persons.csv');
      const path = await bigFile('big-knows.csv', ':START_ID(Person),:END_ID(Person),note', (i, multiLine = false) => `${(i % 3) + 1},${((i + 1) % 3) + 1},${multiLine ? `"two\nlines ${PAD}"` : PAD}`, '2,424242,bad');
      const err = await expectImportFailure({ inputs: auto(persons, path), batchSize }, { code: 'GI_ENDPOINT_NOT_FOUND', file: path, line: BAD_LINE, column: 2 });
      expect(err.message).toContain('"424242"');
      await expectOnly(['persons.csv', 'big-knows.csv']);
    }, 60_000);
  }
});

describe('command line (child process)', () => {
  beforeAll(() => {
    // bin/graph-import.js runs dist/: `npm test` builds it (pretest); running vitest directly needs `npm run build` first.
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build`').toBe(true);
  });

  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 30_000 });

  it('the exit-status table is data 1, usage 2, io 3', () => {
    expect(EXIT_CODES).toMatchObject({ ok: 0, data: 1, usage: 2, io: 3 });
  });

  it(`a data error exits ${EXIT_CODES.data} with "file:line:column: GI_..." on stderr`, async () => {
    const [bad] = await fixtures('type-cast.csv');
    const r = cli([bad, '--into', store]);
    expect(r.status).toBe(EXIT_CODES.data);
    expect.soft(r.stderr).toContain(`${bad}:3:3: GI_TYPE_CAST: `);
    expect.soft(r.stderr).not.toContain('UnhandledPromiseRejection');
    await expectOnly(['type-cast.csv']);
  });

  it(`a data error in a relationship file exits ${EXIT_CODES.data} and leaves no store`, async () => {
    const [persons, knows] = await fixtures('persons.csv', 'knows-missing-endpoint.csv');
    const r = cli(['--nodes', `Person=${persons}`, '--relationships', `KNOWS=${knows}`, '--into', store]);
    expect(r.status).toBe(EXIT_CODES.data);
    expect.soft(r.stderr).toContain(`${knows}:4:2: GI_ENDPOINT_NOT_FOUND: `);
    await expectOnly(['persons.csv', 'knows-missing-endpoint.csv']);
  });

  it(`an unknown flag is a usage error: exit ${EXIT_CODES.usage}`, async () => {
    const [persons] = await fixtures('persons.csv');
    const r = cli([persons, '--into', store, '--no-such-flag']);
    expect(r.status).toBe(EXIT_CODES.usage);
    expect(r.stderr).toContain('--no-such-flag');
    await expectOnly(['persons.csv']);
  });

  it(`a missing input file exits ${EXIT_CODES.io} (GI_FILE_NOT_FOUND)`, async () => {
    const [persons] = await fixtures('persons.csv');
    const missing = join(work, 'nope.csv');
    const r = cli([persons, missing, '--into', store]);
    expect(r.status).toBe(EXIT_CODES.io);
    expect(r.stderr).toContain(`${missing}: GI_FILE_NOT_FOUND: `);
    await expectOnly(['persons.csv']);
  });

  it(`an existing store without --overwrite exits ${EXIT_CODES.usage} (GI_STORE_EXISTS) and keeps it`, async () => {
    const [persons] = await fixtures('persons.csv');
    const ok = cli([persons, '--into', store, '--quiet']);
    expect(ok.status).toBe(EXIT_CODES.ok);
    const before = await snapshot(store);
    const r = cli([persons, '--into', store]);
    expect(r.status).toBe(EXIT_CODES.usage);
    expect(r.stderr).toContain('GI_STORE_EXISTS');
    expect(await snapshot(store)).toEqual(before);
    await expectOnly(['persons.csv', 'graph.db']);
  });
});
