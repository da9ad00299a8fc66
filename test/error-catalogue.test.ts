import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Binary, Field, Int64, List, Table, Utf8, type Vector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import { ERROR_CODES, type ErrorCode, ImportError } from '../src/errors/import-error.js';
import { ROW_ERROR_CODES } from '../src/exec/bad-rows.js';
import { BIN, ROOT, generateGraph, interruptCli, runCli } from './helpers/child.js';

// docs/ERRORS.md is the user's catalogue of error codes. These tests keep it and the code in step (one section per
// code of ERROR_CODES, each with the exit status exitCodeFor gives), and check that real runs of the built CLI
// (`npm run build` first) print each code the way its section says: the position prefix and the hint line.

const CATALOGUE = join(ROOT, 'docs/ERRORS.md');

type Form = 'file:line:column' | 'file:line' | 'file' | 'none';

interface Section {
  code: string;
  exit?: number;
  forms: Form[];
  hint?: 'yes' | 'no' | 'sometimes';
  text: string;
}

/** The `## GI_...` sections of the catalogue, in document order. */
function readCatalogue(): Section[] {
  return readFileSync(CATALOGUE, 'utf8').split(/^(?=## )/m).filter((s) => s.startsWith('## GI_')).map((text) => {
    const position = /^- \*\*Position:\*\* (.*)$/m.exec(text)?.[1] ?? '';
    const forms = [...position.matchAll(/`(file(?::line(?::column)?)?)`/g)].map((m) => m[1] as Form);
    if (/\bnone\b/.test(position)) forms.push('none');
    const exit = /^- \*\*Exit status:\*\* (\d+)\s*$/m.exec(text)?.[1];
    return {
      code: /^## (\S+)/.exec(text)![1],
      exit: exit === undefined ? undefined : Number(exit),
      forms,
      hint: /^- \*\*Hint line:\*\* (yes|no|sometimes)\s*$/m.exec(text)?.[1] as Section['hint'],
      text,
    };
  });
}

const catalogue = readCatalogue();
const sectionOf = (code: string): Section => {
  const s = catalogue.find((c) => c.code === code);
  if (s === undefined) throw new Error(`docs/ERRORS.md has no section for ${code}`);
  return s;
};

const exitStatusOf = (code: ErrorCode): number => exitCodeFor(new ImportError(code, 'x'));

/** The position form of what precedes `CODE: ` in a headline. */
function formOf(prefix: string): Form {
  if (prefix === '') return 'none';
  if (/:\d+:\d+$/.test(prefix)) return 'file:line:column';
  if (/:\d+$/.test(prefix)) return 'file:line';
  return 'file';
}

/** Headline lines of `code` in `text`: not indented, not a progress line, the code after an optional `where: `. */
function headlines(text: string, code: string): { line: number; prefix: string }[] {
  const re = new RegExp(`^(?:(\\S.*?): )?${code}: `);
  return text.split('\n').flatMap((l, line) => {
    const m = /^[\s[$]/.test(l) ? null : re.exec(l);
    return m === null ? [] : [{ line, prefix: m[1] ?? '' }];
  });
}

describe('docs/ERRORS.md and ERROR_CODES agree', () => {
  it('every code has a section and every section names a code, in the order of ERROR_CODES', () => {
    const documented = catalogue.map((s) => s.code);
    for (const code of Object.keys(ERROR_CODES)) expect(documented, `no "## ${code}" section`).toContain(code);
    for (const code of documented) expect(Object.keys(ERROR_CODES), `"## ${code}" is not a code of ERROR_CODES`).toContain(code);
    expect(documented).toEqual(Object.keys(ERROR_CODES));
  });

  it('every section states the exit status exitCodeFor gives its code, the position forms and the hint line', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const s = sectionOf(code);
      expect(s.exit, `${code}: "- **Exit status:** N"`).toBe(exitStatusOf(code));
      expect(s.forms.length, `${code}: "- **Position:**" names file:line:column, file:line, file or none`).toBeGreaterThan(0);
      expect(s.hint, `${code}: "- **Hint line:** yes|no|sometimes"`).toBeDefined();
      expect(s.text, `${code}: an example`).toMatch(/^```\n[\s\S]+?\n```$/m);
      expect(s.text, `${code}: how to fix it`).toMatch(/^\*\*Fix:\*\* \S/m);
    }
  });

  it('the exit status table at the top gives each code it names the status exitCodeFor gives', () => {
    const table = readFileSync(CATALOGUE, 'utf8').split(/^(?=## )/m).find((s) => s.startsWith('## Exit status'))!;
    let named = 0;
    for (const m of table.matchAll(/^\| (\d+) \|[^|]*\|([^|]*)\|$/gm)) {
      for (const [, name, wildcard] of m[2].matchAll(/`(GI_[A-Z0-9_]+?)(_\*)?`/g)) {
        const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => (wildcard === undefined ? c === name : c.startsWith(`${name}_`)));
        expect(codes.length, `${name}${wildcard ?? ''} names no code`).toBeGreaterThan(0);
        for (const code of codes) expect(exitStatusOf(code), code).toBe(Number(m[1]));
        named += codes.length;
      }
    }
    expect(named).toBeGreaterThan(20);
  });

  it('the examples in the catalogue have the position forms and hint lines their sections state', () => {
    for (const s of catalogue) {
      const examples = [...s.text.matchAll(/^```\n([\s\S]+?)\n```$/gm)].map((m) => m[1]).join('\n');
      const shown = headlines(examples, s.code);
      // GI_INFERENCE_RESTART is only ever shown inside a warning.
      if (s.code === 'GI_INFERENCE_RESTART') continue;
      expect(shown.length, `${s.code}: an example message`).toBeGreaterThan(0);
      for (const h of shown) expect(s.forms, `${s.code} example "${h.prefix}"`).toContain(formOf(h.prefix));
      if (s.hint === 'yes') expect(examples, s.code).toMatch(/^ {2}hint: \S/m);
      if (s.hint === 'no') expect(examples, s.code).not.toMatch(/^ {2}hint: /m);
    }
  });

  it('the row-level codes (the ones a row can be skipped for) name a tolerance flag; no other code claims one', () => {
    for (const s of catalogue) {
      const at = s.text.indexOf('**Skip such rows:**');
      const skip = at < 0 ? undefined : s.text.slice(at).split('\n\n')[0];
      if ((ROW_ERROR_CODES as readonly string[]).includes(s.code)) expect(skip, s.code).toContain('`--max-bad-rows');
      else expect(skip, s.code).toBeUndefined();
    }
  });
});

interface Run {
  status: number | null;
  stderr: string;
}

interface Case {
  name: string;
  code: ErrorCode;
  /** Files written into the case's directory (relative path -> content); the CLI runs there. */
  files?: Record<string, string | Buffer>;
  /** More preparation in the case's directory. */
  setup?: (dir: string) => Promise<void>;
  args: string[];
  /** Runs the CLI some other way than to completion (a signal, a file changed meanwhile). */
  run?: (dir: string) => Promise<Run>;
  status: number;
  /** What precedes `: CODE: ` on the headline; '' when the message starts with the code. */
  where: string | ((dir: string) => string);
  /** More that stderr must hold. */
  also?: RegExp;
  /** A known bug in the position: only code and status are checked here, the position by an it.fails below. */
  bug?: string;
}

const PERSONS = 'id:ID(Person),name,age:int\n1,Alice,30\n2,Bob,25\n3,Carol,41\n';
const KNOWS = ':START_ID(Person),:END_ID(Person),since:int\n1,2,2010\n2,3,2012\n';
const OPEN_QUOTE = 'id:ID,name\n1,Alice\n2,"Bob\n3,Carol\n';
const GZIPPED = gzipSync('id:ID,name\n1,a\n2,b\n'.repeat(50));
const ARROW_NODES = arrowFile({ id: vectorFromArray([1n, 2n, 3n], new Int64()), name: vectorFromArray(['a', 'b', 'c'], new Utf8()) });
const ARROW_BINARY = arrowFile({ id: vectorFromArray([1n, 2n], new Int64()), blob: vectorFromArray([new Uint8Array([1]), new Uint8Array([2])], new Binary()) });
const LIST = new List(new Field('item', new Utf8(), true));
const ARROW_TAGS = arrowFile({ id: vectorFromArray([1n, 2n, 3n], new Int64()), tags: vectorFromArray([['a'], ['b', 'c'], ['d;e']], LIST) });

/** An Arrow IPC file (the file format) of the given columns. */
function arrowFile(columns: Record<string, Vector>): Buffer {
  return Buffer.from(tableToIPC(new Table(columns), 'file'));
}

let work: string;
let gen: string; // a generated graph, large enough to be caught mid-import
let goodStore: string;

/** Copies the store made in beforeAll to `dir/name`. */
const copyStore = (dir: string, name: string): Promise<void> => cp(goodStore, join(dir, name), { recursive: true });

/** Spawns the CLI in `cwd`, calls `act` once stderr matches `when`, and waits for the exit. */
function runAndAct(args: string[], cwd: string, when: RegExp, act: () => void): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let acted = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`graph-import ${args.join(' ')} did not finish\n${stderr}`)); }, 60_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!acted && when.test(stderr)) {
        acted = true;
        act();
      }
    });
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (acted) done({ status, stderr });
      else fail(new Error(`the import ended before ${when} showed up\n${stderr}`));
    });
  });
}

const CASES: Case[] = [
  {
    name: 'an option value out of range', code: 'GI_INVALID_OPTION', files: { 'persons.csv': PERSONS },
    args: ['persons.csv', '--into', 'g.db', '--threads', '0'], status: 2, where: '', also: /--threads: "0" is not valid/,
  },
  {
    name: 'an input file as the --rejects report', code: 'GI_INVALID_OPTION', files: { 'persons.csv': PERSONS },
    args: ['persons.csv', '--into', 'g.db', '--rejects', 'persons.csv'], status: 2, where: 'persons.csv', also: /is one of the input files/,
  },
  { name: 'no input files', code: 'GI_NO_INPUT', args: ['--into', 'g.db'], status: 2, where: '' },
  {
    name: 'an existing store without --overwrite', code: 'GI_STORE_EXISTS', files: { 'persons.csv': PERSONS },
    setup: (dir) => copyStore(dir, 'g.db'), args: ['persons.csv', '--into', 'g.db'], status: 2, where: 'g.db',
  },
  {
    name: '--overwrite of a directory that is not a store', code: 'GI_STORE_EXISTS', files: { 'persons.csv': PERSONS, 'mine/notes.txt': 'keep' },
    args: ['persons.csv', '--into', 'mine', '--overwrite'], status: 2, where: 'mine', also: /is not a graph-import store/,
  },
  {
    name: 'a second :ID column', code: 'GI_HEADER_MALFORMED', files: { 'two-ids.csv': 'id:ID,name,id:ID\n1,a,2\n' },
    args: ['two-ids.csv', '--into', 'g.db'], status: 1, where: 'two-ids.csv:1:3',
  },
  {
    name: 'a relationship header without :END_ID', code: 'GI_HEADER_MALFORMED', files: { 'persons.csv': PERSONS, 'rel.csv': ':START_ID(Person),since:int\n1,2010\n' },
    args: ['persons.csv', 'rel.csv', '--into', 'g.db'], status: 1, where: 'rel.csv:1',
  },
  {
    name: 'a misspelt type', code: 'GI_HEADER_UNKNOWN_TYPE', files: { 'unknown-type.csv': 'id:ID,age:integr\n1,2\n' },
    args: ['unknown-type.csv', '--into', 'g.db'], status: 1, where: 'unknown-type.csv:1:2', also: /unknown type "integr"/,
  },
  { name: 'an empty file', code: 'GI_HEADER_MISSING', files: { 'empty.csv': '' }, args: ['empty.csv', '--into', 'g.db'], status: 1, where: 'empty.csv:1' },
  {
    name: 'a quote never closed (reported where it opened)', code: 'GI_UNTERMINATED_QUOTE', files: { 'open-quote.csv': OPEN_QUOTE },
    args: ['open-quote.csv', '--into', 'g.db'], status: 1, where: 'open-quote.csv:3',
  },
  {
    name: 'text after a closing quote', code: 'GI_QUOTE_UNEXPECTED', files: { 'bad-quote.csv': 'id:ID,name\n1,Alice\n2,"Bob"by,x\n' },
    args: ['bad-quote.csv', '--into', 'g.db'], status: 1, where: 'bad-quote.csv:3',
  },
  {
    name: 'too few fields (column: the last field present)', code: 'GI_FIELD_COUNT', files: { 'short.csv': 'id:ID(Person),name,age:int\n1,Alice,30\n2,Bob\n' },
    args: ['short.csv', '--into', 'g.db'], status: 1, where: 'short.csv:3:2',
  },
  {
    name: 'too many fields (column: the first extra field)', code: 'GI_FIELD_COUNT', files: { 'long.csv': 'id:ID(Person),name,age:int\n1,Alice,30\n2,Bob,25,x\n' },
    args: ['long.csv', '--into', 'g.db'], status: 1, where: 'long.csv:3:4',
  },
  {
    name: 'a value not of its column type', code: 'GI_TYPE_CAST', files: { 'cast.csv': 'id:ID(Person),name,age:int\n1,Alice,30\n2,Bob,abc\n' },
    args: ['cast.csv', '--into', 'g.db'], status: 1, where: 'cast.csv:3:3', also: /"abc" is not an int \(column "age"\)/,
  },
  {
    name: 'a node ID used twice', code: 'GI_DUPLICATE_NODE_ID', files: { 'dup.csv': `${PERSONS}1,Al,31\n` },
    args: ['dup.csv', '--into', 'g.db'], status: 1, where: 'dup.csv:5:1',
  },
  {
    name: 'an empty node ID', code: 'GI_MISSING_NODE_ID', files: { 'noid.csv': 'id:ID(Person),name,age:int\n1,Alice,30\n,Bob,25\n' },
    args: ['noid.csv', '--into', 'g.db'], status: 1, where: 'noid.csv:3:1',
  },
  {
    name: 'a relationship to a node that does not exist', code: 'GI_ENDPOINT_NOT_FOUND', files: { 'persons.csv': PERSONS, 'dangling.csv': `${KNOWS}2,99,2014\n` },
    args: ['persons.csv', 'dangling.csv', '--into', 'g.db'], status: 1, where: 'dangling.csv:4:2', also: /end node "99" not found in ID space "Person"/,
  },
  {
    name: 'a misspelt ID space (the nearest name is suggested)', code: 'GI_UNKNOWN_ID_SPACE', files: { 'persons.csv': PERSONS, 'typo.csv': ':START_ID(Persn),:END_ID(Person)\n1,2\n' },
    args: ['persons.csv', 'typo.csv', '--into', 'g.db'], status: 1, where: 'typo.csv:1:1', also: /unknown ID space "Persn"; did you mean "Person"\?/,
  },
  {
    name: 'a property declared with two types', code: 'GI_SCHEMA_CONFLICT', files: { 'persons.csv': PERSONS, 'persons2.csv': 'id:ID(Person),name,age:string\n4,Dan,old\n' },
    args: ['persons.csv', 'persons2.csv', '--into', 'g.db'], status: 1, where: 'persons2.csv:1',
  },
  {
    name: 'more than 10,000 distinct labels', code: 'GI_LIMIT_EXCEEDED',
    files: { 'labels.csv': `id:ID,:LABEL\n${Array.from({ length: 10_001 }, (_, i) => `${i},L${i}\n`).join('')}` },
    args: ['labels.csv', '--into', 'g.db'], status: 1, where: 'labels.csv',
  },
  {
    name: 'more bad rows than --max-bad-rows (named by the first)', code: 'GI_TOO_MANY_BAD_ROWS',
    files: { 'two-bad.csv': 'id:ID(Person),name,age:int\n1,Alice,30\n2,Bob,x\n3,Carol,\n4,Dan,y\n' },
    args: ['two-bad.csv', '--into', 'g.db', '--max-bad-rows', '1'], status: 1, where: 'two-bad.csv:3:3', also: /the first: two-bad\.csv:3:3: GI_TYPE_CAST: /,
  },
  {
    name: 'a .gz name on plain text', code: 'GI_BAD_COMPRESSION', files: { 'plain.csv.gz': 'id:ID\n1\n' },
    args: ['plain.csv.gz', '--into', 'g.db'], status: 1, where: 'plain.csv.gz',
  },
  {
    name: 'truncated gzip', code: 'GI_BAD_COMPRESSION', files: { 'cut.csv.gz': GZIPPED.subarray(0, GZIPPED.length >> 1) },
    args: ['cut.csv.gz', '--into', 'g.db'], status: 1, where: 'cut.csv.gz', also: /damaged or truncated/,
  },
  {
    name: 'a Latin-1 byte', code: 'GI_INVALID_UTF8', files: { 'latin.csv': Buffer.from('id:ID,name\n1,Andr\xe9\n', 'latin1') },
    args: ['latin.csv', '--into', 'g.db'], status: 1, where: 'latin.csv:2:2', also: /byte 0xE9 at byte offset 17/,
  },
  {
    name: 'zstd input', code: 'GI_UNSUPPORTED_COMPRESSION', files: { 'data.csv.zst': Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]) },
    args: ['data.csv.zst', '--into', 'g.db'], status: 1, where: 'data.csv.zst',
  },
  {
    name: 'an Arrow file cut short', code: 'GI_COLUMNAR_UNREADABLE', files: { 'cut.arrow': ARROW_NODES.subarray(0, ARROW_NODES.length - 40) },
    args: ['cut.arrow', '--into', 'g.db'], status: 1, where: 'cut.arrow', also: /cut short/,
  },
  {
    name: 'a .parquet name on plain text', code: 'GI_COLUMNAR_UNREADABLE', files: { 'nodes.parquet': 'id:ID\n1\n' },
    args: ['nodes.parquet', '--into', 'g.db'], status: 1, where: 'nodes.parquet', also: /named \.parquet but does not start like one/,
  },
  {
    name: 'a binary Arrow column', code: 'GI_UNSUPPORTED_TYPE', files: { 'nodes.arrow': ARROW_BINARY },
    args: ['nodes.arrow', '--into', 'g.db'], status: 1, where: 'nodes.arrow:1:2', also: /column "blob" has type Binary/,
  },
  {
    name: 'a list element holding the array delimiter', code: 'GI_UNREPRESENTABLE_VALUE', files: { 'tags.arrow': ARROW_TAGS },
    args: ['tags.arrow', '--into', 'g.db'], status: 1, where: 'tags.arrow:4:2', also: /contains the array delimiter ";"/,
  },
  {
    name: 'a budget too small for any import', code: 'GI_MEMORY_BUDGET', files: { 'persons.csv': PERSONS, 'knows.csv': KNOWS },
    args: ['persons.csv', 'knows.csv', '--into', 'g.db', '--memory-budget', '16MiB'], status: 2, where: '', also: /raise --memory-budget to at least \d+ MiB/,
  },
  {
    name: 'a missing input', code: 'GI_FILE_NOT_FOUND', files: { 'persons.csv': PERSONS },
    args: ['persons.csv', 'missing.csv', '--into', 'g.db'], status: 3, where: 'missing.csv',
  },
  {
    name: 'an input path through a regular file', code: 'GI_FILE_UNREADABLE', files: { 'persons.csv': PERSONS },
    args: ['persons.csv/nested.csv', '--into', 'g.db'], status: 3, where: 'persons.csv/nested.csv',
  },
  {
    name: 'a directory as input', code: 'GI_FILE_UNREADABLE', files: { 'persons.csv': PERSONS }, setup: (dir) => mkdir(join(dir, 'adir')),
    args: ['persons.csv', 'adir', '--into', 'g.db'], status: 3, where: 'adir',
  },
  {
    name: '--into below a regular file', code: 'GI_STORE_WRITE', files: { 'persons.csv': PERSONS },
    args: ['persons.csv', '--into', 'persons.csv/g.db'], status: 3, where: (dir) => join(dir, 'persons.csv/g.db'),
  },
  {
    name: 'verify of a store with a flipped byte', code: 'GI_STORE_CORRUPT',
    setup: async (dir) => {
      await copyStore(dir, 'g.db');
      const file = join(dir, 'g.db/nodes/0.arrow');
      const bytes = await readFile(file);
      bytes[bytes.length >> 1] ^= 0xff;
      await writeFile(file, bytes);
    },
    args: ['verify', 'g.db'], status: 3, where: 'g.db/nodes/0.arrow', also: /CRC32 \d+ differs from the manifest's/,
  },
  {
    name: 'info of a store whose manifest is not JSON', code: 'GI_STORE_CORRUPT', files: { 'broken.db/manifest.json': '{' },
    args: ['info', 'broken.db'], status: 3, where: 'broken.db/manifest.json',
  },
  { name: 'info of a path without a store', code: 'GI_STORE_NOT_FOUND', args: ['info', 'nowhere.db'], status: 3, where: 'nowhere.db' },
  {
    name: 'a --rejects report in a missing directory', code: 'GI_OUTPUT_UNWRITABLE', files: { 'persons.csv': PERSONS },
    args: ['persons.csv', '--into', 'g.db', '--rejects', 'out/rejects.ndjson'], status: 3, where: 'out/rejects.ndjson',
  },
  {
    name: 'a relationship file appended to while imported', code: 'GI_INPUT_CHANGED',
    setup: (dir) => copyFile(join(gen, 'edges.csv'), join(dir, 'edges.csv')),
    args: [], run: (dir) => runAndAct([join(gen, 'nodes.csv'), 'edges.csv', '--into', 'g.db'], dir, /sniff done/, () => appendFileSync(join(dir, 'edges.csv'), '17,17,0.5,2000\n')),
    status: 3, where: 'edges.csv', also: /bytes when opened, \d+ now/,
  },
  {
    name: 'SIGINT during the import', code: 'GI_INTERRUPTED',
    args: [], run: (dir) => interruptCli([join(gen, 'nodes.csv'), join(gen, 'edges.csv'), '--into', join(dir, 'g.db')], { when: /sniff done/, delayMs: 0, signal: 'SIGINT' }),
    status: 130, where: '',
  },
];

// Codes no case above produces, each with the reason. Together with the cases this must be every code, so a new code
// needs either a case or a reason here.
const NOT_PRODUCED_HERE: Partial<Record<ErrorCode, string>> = {
  GI_FIELD_TOO_LARGE: 'needs a row over 256 MiB, i.e. writing and reading a file of more than 256 MB',
  GI_INTERNAL: 'a defect by definition: no input is known to produce it (export --out below a regular file did, and is now GI_OUTPUT_UNWRITABLE)',
  GI_TASK_FAILED: 'a worker task throwing something that is not an ImportError: a defect, no input produces it',
  GI_WORKER_CRASHED: 'needs a worker thread that cannot start or dies (dist/exec/worker-main.js missing, the process killed for memory)',
  GI_INFERENCE_RESTART: 'never shown: it restarts the import with whole-file inference and a GI_W_INFERENCE_RESTART warning',
  GI_RANGE_MISMATCH: 'parallel ranges that do not meet end to end are a defect; no input produces it',
};

const results = new Map<Case, Promise<Run>>();

/** Runs at most `n` of the tasks at a time (the machine may have 2 cores, and other tests may share them). */
function limit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function runCase(c: Case, index: number): Promise<Run> {
  const dir = await realpath(await mkdtemp(join(work, `case-${index}-`)));
  for (const [name, content] of Object.entries(c.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  await c.setup?.(dir);
  const run = c.run !== undefined ? await c.run(dir) : await runCli(c.args, { cwd: dir, timeoutMs: 60_000 });
  return { status: run.status, stderr: run.stderr.replaceAll(dir, '<dir>') };
}

const whereOf = (c: Case): string => (typeof c.where === 'string' ? c.where : c.where('<dir>'));

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  work = await realpath(await mkdtemp(join(tmpdir(), 'gi-error-catalogue-')));
  gen = join(work, 'gen');
  goodStore = join(work, 'good.db');
  await writeFile(join(work, 'persons.csv'), PERSONS);
  const [good] = await Promise.all([
    runCli([join(work, 'persons.csv'), '--into', goodStore, '--quiet']),
    // 20k nodes and 400k edges import in about a second: long enough to be interrupted or changed after the sniff.
    generateGraph(gen, 20_000, 400_000, 5),
  ]);
  expect(good.status, good.stderr).toBe(0);
  const slot = limit(3);
  CASES.forEach((c, i) => {
    const p = slot(() => runCase(c, i));
    p.catch(() => undefined); // awaited by the case's test; this only keeps an early failure from being unhandled
    results.set(c, p);
  });
});

afterAll(async () => {
  await Promise.allSettled(results.values());
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('real CLI runs print each code as the catalogue says', () => {
  for (const c of CASES) {
    it(`${c.code}: ${c.name}`, async () => {
      const run = await results.get(c)!;
      const section = sectionOf(c.code);
      const found = headlines(run.stderr, c.code);
      expect(found.length, `${c.code} headline on stderr:\n${run.stderr}`).toBe(1);
      expect(run.status, run.stderr).toBe(c.status);
      expect(c.status, 'the catalogue\'s exit status').toBe(section.exit);
      expect(c.status).toBe(exitStatusOf(c.code));
      if (c.also !== undefined) expect(run.stderr).toMatch(c.also);
      // The error comes last; only its `| raw`, `hint:` and `cause:` lines follow the headline, in that order.
      const tail = run.stderr.split('\n').slice(found[0].line + 1).filter((l) => l !== '');
      const kinds = tail.map((l) => ['  | ', '  hint: ', '  cause: '].findIndex((k) => l.startsWith(k))).filter((k) => k >= 0);
      if (tail.length > 0) expect(kinds.length, tail[0]).toBeGreaterThan(0);
      expect(kinds, tail.join('\n')).toEqual([...kinds].sort());
      if (section.hint === 'yes') expect(tail.some((l) => l.startsWith('  hint: ')), run.stderr).toBe(true);
      if (section.hint === 'no') expect(tail.some((l) => l.startsWith('  hint: ')), run.stderr).toBe(false);
      if (c.bug !== undefined) return;
      expect(found[0].prefix, 'position').toBe(whereOf(c));
      expect(section.forms, `the catalogue's position forms for ${c.code}`).toContain(formOf(found[0].prefix));
    });
  }

  it('an unknown flag or choice is GI_USAGE (exit 2), reported by the argument parser with its usage text', async () => {
    const dir = await realpath(await mkdtemp(join(work, 'usage-')));
    await writeFile(join(dir, 'persons.csv'), PERSONS);
    const [flag, choice] = await Promise.all([
      runCli(['persons.csv', '--into', 'g.db', '--no-such-flag'], { cwd: dir }),
      runCli(['persons.csv', '--into', 'g.db', '--mode', 'fast'], { cwd: dir }),
    ]);
    expect(flag.stderr).toMatch(/^GI_USAGE: unknown option '--no-such-flag'$/m);
    expect(choice.stderr).toMatch(/^GI_USAGE: option '--mode <mode>' argument 'fast' is invalid/m);
    for (const run of [flag, choice]) {
      expect(run.status).toBe(sectionOf('GI_USAGE').exit);
      expect(run.stderr).toMatch(/^Usage: graph-import import /m);
    }
    expect(existsSync(join(dir, 'g.db'))).toBe(false);
  });

  it('every code is produced by a case above or listed in NOT_PRODUCED_HERE with a reason', () => {
    // GI_USAGE comes from the argument parser, checked by the test above.
    const produced = new Set<ErrorCode>([...CASES.map((c) => c.code), 'GI_USAGE']);
    for (const [code, reason] of Object.entries(NOT_PRODUCED_HERE)) {
      expect(Object.keys(ERROR_CODES), code).toContain(code);
      expect(produced.has(code as ErrorCode), `${code} is produced and listed as not produced`).toBe(false);
      expect(reason.length, code).toBeGreaterThan(20);
    }
    expect([...produced, ...Object.keys(NOT_PRODUCED_HERE)].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});

describe('bugs found by this catalogue, fixed since', () => {
  it('a directory given as input is GI_FILE_UNREADABLE naming the directory', async () => {
    const c = CASES.find((x) => x.name === 'a directory as input')!;
    const run = await results.get(c)!;
    expect(headlines(run.stderr, c.code)[0]?.prefix).toBe(whereOf(c));
  });

  it('the `| ...` excerpt of a quote error holds only text of the file (not the byte after its end)', async () => {
    const c = CASES.find((x) => x.code === 'GI_UNTERMINATED_QUOTE')!;
    const run = await results.get(c)!;
    const excerpt = /^ {2}\| (.*)$/m.exec(run.stderr)?.[1].replaceAll('\\n', '\n');
    expect(excerpt).toBeDefined();
    expect(OPEN_QUOTE).toContain(excerpt);
  });

  it('export --out below a regular file is an I/O error (exit 3), not GI_INTERNAL (exit 70)', async () => {
    const dir = await realpath(await mkdtemp(join(work, 'export-')));
    await writeFile(join(dir, 'file'), 'not a directory');
    const run = await runCli(['export', goodStore, '--out', 'file/dump'], { cwd: dir });
    expect(run.stderr).not.toMatch(/GI_INTERNAL/);
    expect(run.status).toBe(3);
  });
});
