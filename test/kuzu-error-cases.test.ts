/**
 * Kuzu's error-case datasets (shared/corpus/kuzu/dataset/...), each file run through the real CLI with the answer a
 * careful graph-import user expects, written in the test name: an exact `file:line[:column]: CODE`, or a successful
 * import with exact counts and values.
 *
 * Kuzu loads most of these files without a header line, into tables declared in a schema.cypher. graph-import needs a
 * header, so each such file is run twice where it matters:
 * - as given: its first line is the header (graph-import's documented convention), which changes what the case means;
 * - as data behind a header-only first file (`--nodes Label=header.csv,file.csv`, as neo4j-admin does), the header
 *   mirroring Kuzu's schema (`ID INT64` -> `ID:ID(person)`, `STRING` -> `:string`, `INT32` -> `:int`, ...). Lines are
 *   then counted from the data file's first line.
 * Kuzu-only concepts have no graph-import counterpart and import as plain data: backslash escapes (graph-import reads
 * RFC 4180, where `\` is an ordinary character), `[a, b]` list syntax (a string here), UUID/UNION types, and
 * relationship multiplicities (MANY_ONE, ...).
 *
 * Where graph-import's current answer is wrong by that standard, the test states the right answer and is `it.fails`,
 * with the reason; such a test turns red once the bug is fixed and must then become an `it`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, ROOT, runCli } from './helpers/child.js';
import { corpusPath } from './helpers/corpus.js';
import { dumpGraph } from './helpers/graph-dump.js';

const KUZU = corpusPath('kuzu', 'dataset');
const DATASETS = ['copy-fault-tests', 'csv-error-tests', 'csv-edge-case-tests', 'csv-multiline-quote-tests', 'invalid-compressed-gz', 'copy-dos-style-newline'];
const present = DATASETS.every((d) => existsSync(join(KUZU, d)));
if (!present) {
  console.warn(`kuzu-error-cases: skipped, the Kuzu corpus is not at ${KUZU} (lay out shared/ beside the repo or set GRAPH_IMPORT_SHARED)`);
}

const FAULT = join(KUZU, 'copy-fault-tests');
const ERR = join(KUZU, 'csv-error-tests');
const EDGE = join(KUZU, 'csv-edge-case-tests');
const MULTI = join(KUZU, 'csv-multiline-quote-tests');
const GZ = join(KUZU, 'invalid-compressed-gz');
const DOS = join(KUZU, 'copy-dos-style-newline');

let work: string;
let stores = 0;

beforeAll(async () => {
  if (!present) return;
  expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'gi-kuzu-errors-'));
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

interface Summary {
  nodes: number;
  relationships: number;
  nodeTables: { label: string; count: number; skipped: Record<string, number>; properties: { name: string; type: string }[] }[];
  relationshipTables: { type: string; from: string; to: string; count: number; properties: { name: string; type: string }[] }[];
  skipped: { rows: number; byReason: Record<string, number>; byFile: Record<string, Record<string, number>> };
}

interface Run {
  run: CliRun;
  store: string;
}

/** Runs the CLI into a fresh store with `--json` (stdout: the summary; stderr: only an error). */
async function gi(args: string[]): Promise<Run> {
  const store = join(work, `s${++stores}.db`);
  const run = await runCli([...args, '--into', store, '--json'], { cwd: work, timeoutMs: 240_000 });
  return { run, store };
}

/** A header-only file in the work directory: the first file of a `--nodes`/`--relationships` group. */
async function header(name: string, text: string): Promise<string> {
  const path = join(work, 'headers', name);
  await mkdir(join(work, 'headers'), { recursive: true });
  await writeFile(path, `${text}\n`);
  return path;
}

/** `where: CODE` of the error headline (`file:line:column: CODE: reason`). */
function headline(run: CliRun): string | undefined {
  const m = /^(.*?): (GI_[A-Z0-9_]+): /m.exec(run.stderr);
  return m === null ? undefined : `${m[1]}: ${m[2]}`;
}

/**
 * The import failed with exit 1 and the headline `file[:line[:column]]: CODE` exactly (docs/ERRORS.md: parts that do
 * not apply are left out, e.g. quote errors are `file:line`); nothing was written.
 */
function expectError(r: Run, file: string, code: string, line?: number, column?: number): void {
  expect(r.run.status, `${r.run.stderr}\n${r.run.stdout}`).toBe(1);
  const where = [file, line, column].filter((p) => p !== undefined).join(':');
  expect(headline(r.run), r.run.stderr).toBe(`${where}: ${code}`);
  expect(existsSync(r.store), 'a failed import writes no store').toBe(false);
}

/** The `| ...` excerpt of an error, with `\n` turned back into line ends and a cut-off `… (N chars)` dropped. */
function excerpt(run: CliRun): string | undefined {
  return /^ {2}\| (.*)$/m.exec(run.stderr)?.[1].replace(/… \(\d+ chars\)$/, '').replace(/\\n/g, '\n');
}

/** The import succeeded with `status` (0, or 4 when rows were skipped); returns the summary. */
function expectOk(r: Run, status = 0): Summary {
  expect(r.run.status, r.run.stderr).toBe(status);
  return JSON.parse(r.run.stdout) as Summary;
}

/** Rows in one canonical order (by their JSON text with sorted keys), so that row order never matters. */
const sorted = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  rows.map((row) => [JSON.stringify(row, Object.keys(row).sort()), row] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, row]) => row);

/** The store's rows of node table `label`, as objects (bigints as `5n`), in `sorted` order. */
async function nodeRows(r: Run, label: string): Promise<Record<string, unknown>[]> {
  const dump = await dumpGraph(r.store);
  expect(Object.keys(dump.nodes), 'node tables').toContain(label);
  return sorted(dump.nodes[label].map((row) => JSON.parse(row) as Record<string, unknown>));
}

/** Records of a corpus file as csv-parse (the oracle) reads them. */
async function oracle(path: string, delimiter = ','): Promise<string[][]> {
  return parse(await readFile(path), { delimiter, bom: true, relax_quotes: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
}

describe.skipIf(!present)('kuzu csv-error-tests (Kuzu: LOAD FROM with a header line)', () => {
  it('escape-then-bad-char: `\\` is no escape in RFC 4180 -> 1 node with ID `abc\\6`; escape-then-eof and quote-then-eof: GI_UNTERMINATED_QUOTE at line 2', async () => {
    const [bad, escEof, quoteEof] = await Promise.all([
      gi([join(ERR, 'escape-then-bad-char.csv')]),
      gi([join(ERR, 'escape-then-eof.csv')]),
      gi([join(ERR, 'quote-then-eof.csv')]),
    ]);
    expect(expectOk(bad).nodeTables).toMatchObject([{ label: 'escape-then-bad-char', count: 1 }]);
    expect(await nodeRows(bad, 'escape-then-bad-char')).toEqual([{ _id: 'abc\\6' }]);
    expectError(escEof, join(ERR, 'escape-then-eof.csv'), 'GI_UNTERMINATED_QUOTE', 2);
    expectError(quoteEof, join(ERR, 'quote-then-eof.csv'), 'GI_UNTERMINATED_QUOTE', 2);
  });

  it('large-conversion-failure: `col:INT64` ID column, `a` on line 1002 -> GI_TYPE_CAST at 1002:1; with --max-bad-rows 1: 1000 nodes, exit 4', async () => {
    const file = join(ERR, 'large-conversion-failure.csv');
    const [strict, tolerant] = await Promise.all([gi([file]), gi([file, '--max-bad-rows', '1'])]);
    expectError(strict, file, 'GI_TYPE_CAST', 1002, 1);
    const s = expectOk(tolerant, 4);
    expect(s.nodeTables).toMatchObject([{ label: 'large-conversion-failure', count: 1000, skipped: { GI_TYPE_CAST: 1 } }]);
    expect(s.skipped.byReason).toEqual({ GI_TYPE_CAST: 1 });
  });

  it('mixed-line-count-test: lines counted over LF, CR, CRLF and blank lines -> GI_FIELD_COUNT at 7:2; with --ignore-extra-columns: nodes 1, 2, 3, 4', async () => {
    const file = join(ERR, 'mixed-line-count-test.csv');
    const [strict, extra] = await Promise.all([gi([file]), gi([file, '--ignore-extra-columns'])]);
    expectError(strict, file, 'GI_FIELD_COUNT', 7, 2);
    expect(expectOk(extra).nodes).toBe(4);
    expect(await nodeRows(extra, 'mixed-line-count-test')).toEqual(sorted([{ _id: '1n' }, { _id: '2n' }, { _id: '3n' }, { _id: '4n' }]));
  });

  it('sniff_first_row: as given, line 1 `Alice,4` is the header -> 3 nodes with a string column "4"; behind a `name,age` header -> 4 nodes, age a string (` Eliz`)', async () => {
    const file = join(ERR, 'sniff_first_row.csv');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `person=${await header('name-age.csv', 'name,age')},${file}`])]);
    expect(expectOk(asIs).nodeTables).toMatchObject([{ label: 'sniff_first_row', count: 3, properties: [{ name: '4', type: 'string' }] }]);
    expect(await nodeRows(asIs, 'sniff_first_row')).toEqual(sorted([{ _id: 'Bob', 4: '2147483650' }, { _id: 'Eliz', 4: ' Eliz' }, { _id: 'Andy', 4: ' 9' }]));
    expect(expectOk(withHeader).nodeTables).toMatchObject([{ label: 'person', count: 4, properties: [{ name: 'age', type: 'string' }] }]);
    expect(await nodeRows(withHeader, 'person')).toEqual(sorted([
      { _id: 'Alice', age: '4' }, { _id: 'Bob', age: '2147483650' }, { _id: 'Eliz', age: ' Eliz' }, { _id: 'Andy', age: ' 9' },
    ]));
  });

  it('too-few-values -> GI_FIELD_COUNT at 2:1 (last field present); too-many-values -> GI_FIELD_COUNT at 2:2 (first extra field), with --ignore-extra-columns 1 node', async () => {
    const [few, many, manyOk] = await Promise.all([
      gi([join(ERR, 'too-few-values.csv')]),
      gi([join(ERR, 'too-many-values.csv')]),
      gi([join(ERR, 'too-many-values.csv'), '--ignore-extra-columns']),
    ]);
    expectError(few, join(ERR, 'too-few-values.csv'), 'GI_FIELD_COUNT', 2, 1);
    expectError(many, join(ERR, 'too-many-values.csv'), 'GI_FIELD_COUNT', 2, 2);
    expect(expectOk(manyOk).nodes).toBe(1);
    expect(await nodeRows(manyOk, 'too-many-values')).toEqual([{ _id: 'a' }]);
  });

  // Bug: `col:UNION(u UINT8, s INT8)` is refused with GI_HEADER_MALFORMED "only ID fields take a (Space); "UNION" does
  // not": the argument list of an unknown type is taken for an ID space (the check for a `(Space)` on a non-ID field
  // runs before the type lookup), so the user is sent looking for an ID space and the unknown type is never named.
  // The same happens to `name:varchar(20)`.
  it('union-no-conversion: header `col:UNION(u UINT8, s INT8)` -> GI_HEADER_UNKNOWN_TYPE at 1:1 naming UNION', async () => {
    const file = join(ERR, 'union-no-conversion.csv');
    const r = await gi([file]);
    expectError(r, file, 'GI_HEADER_UNKNOWN_TYPE', 1, 1);
    expect(r.run.stderr).toContain('UNION');
  });

  it('union-no-conversion: refused as a malformed header at 1:1, nothing written (the code is wrong, see above)', async () => {
    const file = join(ERR, 'union-no-conversion.csv');
    const r = await gi([file]);
    expect(r.run.status).toBe(1);
    expect(headline(r.run)).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: GI_HEADER_(MALFORMED|UNKNOWN_TYPE)$`));
    expect(existsSync(r.store)).toBe(false);
  });
});

describe.skipIf(!present)('kuzu csv-edge-case-tests (Kuzu: headerless (A STRING, B STRING) tables)', () => {
  it('bom-and-data: as given -> header data,moredata, 1 node abc whose value keeps its inner BOMs; behind an A,B header -> 2 nodes (a BOM is dropped only at the file start)', async () => {
    const file = join(EDGE, 'bom-and-data.csv');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `T=${await header('ab.csv', 'A,B')},${file}`])]);
    expectOk(asIs);
    expect(await nodeRows(asIs, 'bom-and-data')).toEqual([{ _id: 'abc', moredata: '\ufeff\ufeffbomdata\ufeff' }]);
    expectOk(withHeader);
    expect(await nodeRows(withHeader, 'T')).toEqual(sorted([{ _id: 'data', B: 'moredata' }, { _id: 'abc', B: '\ufeff\ufeffbomdata\ufeff' }]));
  });

  it('bom-and-header (Kuzu: header=true) -> 0 nodes, columns col1 (ID) and col2; bom.csv (only a BOM) -> GI_HEADER_MISSING at line 1, or 0 nodes as a data file', async () => {
    const [bomHeader, bom, bomData] = await Promise.all([
      gi([join(EDGE, 'bom-and-header.csv')]),
      gi([join(EDGE, 'bom.csv')]),
      gi(['--nodes', `T=${await header('ab.csv', 'A,B')},${join(EDGE, 'bom.csv')}`]),
    ]);
    expect(expectOk(bomHeader).nodeTables).toMatchObject([{ label: 'bom-and-header', count: 0, properties: [{ name: 'col2' }] }]);
    expectError(bom, join(EDGE, 'bom.csv'), 'GI_HEADER_MISSING', 1);
    expect(expectOk(bomData).nodes).toBe(0);
  });

  it('carriage-return-then-eof -> 1 node ghi with def = jkl (the final CR ends the line, it is not data)', async () => {
    const r = await gi([join(EDGE, 'carriage-return-then-eof.csv')]);
    expectOk(r);
    expect(await nodeRows(r, 'carriage-return-then-eof')).toEqual([{ _id: 'ghi', def: 'jkl' }]);
  });

  it('delimiter-then-eof `"abc",`: as given -> GI_HEADER_MALFORMED at 1:2 (a nameless header field); behind an A header -> GI_FIELD_COUNT at 1:2', async () => {
    const file = join(EDGE, 'delimiter-then-eof.csv');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `T=${await header('a.csv', 'A')},${file}`])]);
    expectError(asIs, file, 'GI_HEADER_MALFORMED', 1, 2);
    expectError(withHeader, file, 'GI_FIELD_COUNT', 1, 2);
  });

  // docs/ERRORS.md: the header is line 1, and a blank first line is an empty header field (README's "blank lines are
  // skipped" holds for data lines only).
  it('empty-first-line: BOM then a blank line 1 -> GI_HEADER_MALFORMED at 1:1 (documented: the header must be line 1)', async () => {
    const file = join(EDGE, 'empty-first-line.csv');
    expectError(await gi([file]), file, 'GI_HEADER_MALFORMED', 1, 1);
  });

  it('empty-first-line as data behind an A,B header: blank lines and the BOM are skipped -> 2 nodes', async () => {
    const r = await gi(['--nodes', `T=${await header('ab.csv', 'A,B')},${join(EDGE, 'empty-first-line.csv')}`]);
    expectOk(r);
    expect(await nodeRows(r, 'T')).toEqual(sorted([{ _id: 'abc', B: 'def' }, { _id: 'ghi', B: 'jkl' }]));
  });

  it('blank lines (LF, CR, CRLF, mixed) are skipped: empty-lines-* and mixed-empty-lines-* and mixed-newlines import exactly their non-blank rows', async () => {
    const names = ['empty-lines-multiple-columns', 'empty-lines-single-column', 'mixed-empty-lines-multiple-columns', 'mixed-empty-lines-single-column', 'mixed-newlines'];
    const runs = await Promise.all(names.map((n) => gi([join(EDGE, `${n}.csv`)])));
    for (const r of runs) expectOk(r);
    expect(await nodeRows(runs[0], names[0])).toEqual([{ _id: 'ghi', def: 'jkl' }]);
    expect(await nodeRows(runs[1], names[1])).toEqual([{ _id: 'def' }]);
    expect(await nodeRows(runs[2], names[2])).toEqual([{ _id: 'ghi', def: 'jkl' }]);
    expect(await nodeRows(runs[3], names[3])).toEqual(sorted([{ _id: 'def' }, { _id: 'ghi' }]));
    expect(await nodeRows(runs[4], names[4])).toEqual(sorted([{ _id: 'def' }, { _id: 'ghi' }]));
  });

  it('empty.csv -> GI_HEADER_MISSING at line 1; as a data file behind an A,B header -> 0 nodes', async () => {
    const file = join(EDGE, 'empty.csv');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `T=${await header('ab.csv', 'A,B')},${file}`])]);
    expectError(asIs, file, 'GI_HEADER_MISSING', 1);
    expect(expectOk(withHeader).nodeTables).toMatchObject([{ label: 'T', count: 0 }]);
  });

  it('eof-after-unquote and quoted-values: as given a header only (0 nodes); behind an A,B header -> 1 node abc with B def / bcd', async () => {
    const h = await header('ab.csv', 'A,B');
    const [eofAsIs, eof, quoted] = await Promise.all([
      gi([join(EDGE, 'eof-after-unquote.csv')]),
      gi(['--nodes', `T=${h},${join(EDGE, 'eof-after-unquote.csv')}`]),
      gi(['--nodes', `T=${h},${join(EDGE, 'quoted-values.csv')}`]),
    ]);
    expect(expectOk(eofAsIs).nodes).toBe(0);
    expectOk(eof);
    expect(await nodeRows(eof, 'T')).toEqual([{ _id: 'abc', B: 'def' }]);
    expectOk(quoted);
    expect(await nodeRows(quoted, 'T')).toEqual([{ _id: 'abc', B: 'bcd' }]);
  });

  it('escapes-in-quote `"abc\\\\\\""`: the quote never closes (`\\` is no escape) -> as a header GI_HEADER_MALFORMED at line 1, as data GI_UNTERMINATED_QUOTE at line 1', async () => {
    const file = join(EDGE, 'escapes-in-quote.csv');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `T=${await header('a.csv', 'A')},${file}`])]);
    expectError(asIs, file, 'GI_HEADER_MALFORMED', 1);
    expect(asIs.run.stderr).toContain('quote');
    expectError(withHeader, file, 'GI_UNTERMINATED_QUOTE', 1);
  });

  it('escapes-out-of-quote `\\,\\,` has 3 fields under a 2-field header -> GI_FIELD_COUNT at 2:3; with --ignore-extra-columns 1 node `\\` with b = `\\`', async () => {
    const file = join(EDGE, 'escapes-out-of-quote.csv');
    const [strict, extra] = await Promise.all([gi([file]), gi([file, '--ignore-extra-columns'])]);
    expectError(strict, file, 'GI_FIELD_COUNT', 2, 3);
    expectOk(extra);
    expect(await nodeRows(extra, 'escapes-out-of-quote')).toEqual([{ _id: '\\', b: '\\' }]);
  });

  it('header-num-columns-mismatch (space-separated): no supported delimiter -> one column, 1 node; with --delimiter " " -> GI_FIELD_COUNT at 2:5', async () => {
    const file = join(EDGE, 'header-num-columns-mismatch.csv');
    const [asIs, spaced] = await Promise.all([gi([file]), gi([file, '--delimiter', ' '])]);
    expect(expectOk(asIs).nodeTables).toMatchObject([{ count: 1, properties: [] }]);
    expect(await nodeRows(asIs, 'header-num-columns-mismatch')).toEqual([{ _id: '1 2 hello world 5 6' }]);
    expectError(spaced, file, 'GI_FIELD_COUNT', 2, 5);
  });

  it('large-header (two ~50,000-character names, CRLF) -> 1 node `data` whose property named by the second header field is data2', async () => {
    const file = join(EDGE, 'large-header.csv');
    const [head] = await oracle(file);
    const r = await gi([file]);
    expect(expectOk(r).nodeTables).toMatchObject([{ count: 1, properties: [{ name: head[1], type: 'string' }] }]);
    expect(await nodeRows(r, 'large-header')).toEqual([{ _id: 'data', [head[1]]: 'data2' }]);
  });

  it('list-quote, long-list, long-string behind an `id,v` header -> every row, values exactly as csv-parse reads them (Kuzu list syntax is a string here)', async () => {
    const h = await header('id-v.csv', 'id,v');
    const names = ['list-quote', 'long-list', 'long-string'];
    const runs = await Promise.all(names.map((n) => gi(['--nodes', `T=${h},${join(EDGE, `${n}.csv`)}`])));
    for (const [i, r] of runs.entries()) {
      const records = await oracle(join(EDGE, `${names[i]}.csv`));
      expect(expectOk(r).nodes, names[i]).toBe(records.length);
      expect(await nodeRows(r, 'T'), names[i]).toEqual(sorted(records.map(([id, v]) => ({ _id: `${id}n`, v }))));
    }
    expect(runs.map((r) => JSON.parse(r.run.stdout).nodes)).toEqual([15, 1, 1]);
  });

  it('null-field: an unquoted empty field is null, `[]` is text -> 2 nodes: 5 (col2 null, col3 abc), 3 (col2 "[]", col3 def)', async () => {
    const r = await gi([join(EDGE, 'null-field.csv')]);
    expectOk(r);
    expect(await nodeRows(r, 'null-field')).toEqual(sorted([{ _id: '3n', col2: '[]', col3: 'def' }, { _id: '5n', col2: null, col3: 'abc' }]));
  });

  it('tab-as-delim: the tab is detected -> 1 node ghi with def = jkl; unquote-escape `"abc""def"` behind an A header -> 1 node `abc"def`', async () => {
    const [tab, unquote] = await Promise.all([
      gi([join(EDGE, 'tab-as-delim.csv')]),
      gi(['--nodes', `T=${await header('a.csv', 'A')},${join(EDGE, 'unquote-escape.csv')}`]),
    ]);
    expectOk(tab);
    expect(await nodeRows(tab, 'tab-as-delim')).toEqual([{ _id: 'ghi', def: 'jkl' }]);
    expectOk(unquote);
    expect(await nodeRows(unquote, 'T')).toEqual([{ _id: 'abc"def' }]);
  });
});

describe.skipIf(!present)('kuzu csv-multiline-quote-tests and copy-dos-style-newline', () => {
  it('basic: a quoted LF is data -> 1 node "abc\\ndef"; mixed-newlines: quoted CR and CRLF are data -> A "abc\\rdef", B "ghi\\r\\njkl"', async () => {
    const [basic, mixed] = await Promise.all([
      gi(['--nodes', `basic=${await header('a.csv', 'A')},${join(MULTI, 'basic.csv')}`]),
      gi(['--nodes', `mixed=${await header('ab.csv', 'A,B')},${join(MULTI, 'mixed-newlines.csv')}`]),
    ]);
    expectOk(basic);
    expect(await nodeRows(basic, 'basic')).toEqual([{ _id: 'abc\ndef' }]);
    expectOk(mixed);
    expect(await nodeRows(mixed, 'mixed')).toEqual([{ _id: 'abc\rdef', B: 'ghi\r\njkl' }]);
  });

  it('copy-dos-style-newline vPerson.csv behind `ID:ID(person)` -> 5 integer IDs 0..4 (no CR in any value); as given line 1 is the header -> 4 nodes', async () => {
    const file = join(DOS, 'vPerson.csv');
    const [withHeader, asIs] = await Promise.all([gi(['--nodes', `person=${await header('person-id.csv', 'ID:ID(person)')},${file}`]), gi([file])]);
    expectOk(withHeader);
    expect(await nodeRows(withHeader, 'person')).toEqual(sorted([0, 1, 2, 3, 4].map((i) => ({ _id: `${i}n` }))));
    expectOk(asIs);
    expect(await nodeRows(asIs, 'vPerson')).toEqual(sorted([1, 2, 3, 4].map((i) => ({ _id: `${i}n` }))));
  });
});

describe.skipIf(!present)('kuzu invalid-compressed-gz', () => {
  it('extra_field_flag.csv.gz is valid gzip with an FEXTRA field holding "5\\n" -> as given a header only (0 nodes); behind an `id` header -> 1 node 5', async () => {
    const file = join(GZ, 'extra_field_flag.csv.gz');
    const [asIs, withHeader] = await Promise.all([gi([file]), gi(['--nodes', `T=${await header('id.csv', 'id')},${file}`])]);
    expect(expectOk(asIs).nodeTables).toMatchObject([{ label: 'extra_field_flag', count: 0 }]);
    expectOk(withHeader);
    expect(await nodeRows(withHeader, 'T')).toEqual([{ _id: '5n' }]);
  });

  it('invalid_compression_method, test_invalid_magic (named .gz, not gzip), truncated_header, unsupported_flags -> GI_BAD_COMPRESSION naming the file, exit 1, nothing written', async () => {
    const names = ['invalid_compression_method', 'test_invalid_magic', 'truncated_header', 'unsupported_flags'];
    const runs = await Promise.all(names.map((n) => gi([join(GZ, `${n}.csv.gz`)])));
    for (const [i, r] of runs.entries()) expectError(r, join(GZ, `${names[i]}.csv.gz`), 'GI_BAD_COMPRESSION');
  });
});

describe.skipIf(!present)('kuzu copy-fault-tests/duplicate-ids (Kuzu: person(ID INT64, fName), org(ID STRING, fName))', () => {
  it('vPerson and vOrg: `10` again on line 4 -> GI_DUPLICATE_NODE_ID at 4:1; with --skip-duplicate-nodes 3 nodes, the first 10 (Guodong) kept, exit 4', async () => {
    const person = await header('person.csv', 'ID:ID(person),fName:string');
    const org = await header('org.csv', 'ID:ID(org){id-type:string},fName:string');
    const dir = join(FAULT, 'duplicate-ids');
    const [p, o, skip] = await Promise.all([
      gi(['--nodes', `person=${person},${join(dir, 'vPerson.csv')}`]),
      gi(['--nodes', `org=${org},${join(dir, 'vOrg.csv')}`]),
      gi(['--nodes', `person=${person},${join(dir, 'vPerson.csv')}`, '--skip-duplicate-nodes']),
    ]);
    expectError(p, join(dir, 'vPerson.csv'), 'GI_DUPLICATE_NODE_ID', 4, 1);
    expectError(o, join(dir, 'vOrg.csv'), 'GI_DUPLICATE_NODE_ID', 4, 1);
    expect(expectOk(skip, 4).nodeTables).toMatchObject([{ label: 'person', count: 3, skipped: { GI_DUPLICATE_NODE_ID: 1 } }]);
    expect(await nodeRows(skip, 'person')).toEqual(sorted([{ _id: '10n', fName: 'Guodong' }, { _id: '24n', fName: 'Semih' }, { _id: '31n', fName: 'Xiyang' }]));
  });

  it('vPerson as given (no header): line 1 `10,Guodong` is read as the header, so the second 10 is the first -> 3 nodes, no error', async () => {
    const r = await gi([join(FAULT, 'duplicate-ids', 'vPerson.csv')]);
    expect(expectOk(r).nodeTables).toMatchObject([{ label: 'vPerson', count: 3 }]);
  });

  it('vPersonLongRow: duplicate 10 on line 4 with a 21 KB name -> GI_DUPLICATE_NODE_ID at 4:1, the row shown truncated; with --skip-duplicate-nodes 4 nodes (10, 24, 31, 25), 2 skipped', async () => {
    const person = await header('person.csv', 'ID:ID(person),fName:string');
    const file = join(FAULT, 'duplicate-ids', 'vPersonLongRow.csv');
    const [strict, skip] = await Promise.all([
      gi(['--nodes', `person=${person},${file}`]),
      gi(['--nodes', `person=${person},${file}`, '--skip-duplicate-nodes']),
    ]);
    expectError(strict, file, 'GI_DUPLICATE_NODE_ID', 4, 1);
    expect(strict.run.stderr.length, 'the 21 KB row is not printed whole').toBeLessThan(2000);
    expect(strict.run.stderr).toMatch(/… \(21251 chars\)/);
    const s = expectOk(skip, 4);
    expect(s.nodeTables).toMatchObject([{ label: 'person', count: 4, skipped: { GI_DUPLICATE_NODE_ID: 2 } }]);
    expect(await nodeRows(skip, 'person')).toEqual(sorted([
      { _id: '10n', fName: 'Guodong' }, { _id: '24n', fName: 'Semih' }, { _id: '25n', fName: 'b' }, { _id: '31n', fName: 'Xiyang' },
    ]));
  });

  it('vPersonManyDuplicates: 10 again on line 2 -> GI_DUPLICATE_NODE_ID at 2:1; with --skip-duplicate-nodes 2 nodes (10 = a, 11 = aa), 28 skipped', async () => {
    const person = await header('person.csv', 'ID:ID(person),fName:string');
    const file = join(FAULT, 'duplicate-ids', 'vPersonManyDuplicates.csv');
    const [strict, skip] = await Promise.all([
      gi(['--nodes', `person=${person},${file}`]),
      gi(['--nodes', `person=${person},${file}`, '--skip-duplicate-nodes']),
    ]);
    expectError(strict, file, 'GI_DUPLICATE_NODE_ID', 2, 1);
    expect(expectOk(skip, 4).skipped).toEqual({ rows: 28, byReason: { GI_DUPLICATE_NODE_ID: 28 }, byFile: { [file]: { GI_DUPLICATE_NODE_ID: 28 } } });
    expect(await nodeRows(skip, 'person')).toEqual(sorted([{ _id: '10n', fName: 'a' }, { _id: '11n', fName: 'aa' }]));
  });
});

describe.skipIf(!present)('kuzu copy-fault-tests/invalid-row (Kuzu: person(ID INT16, gender INT32), movie(ID, length INT32, name), watch, likes)', () => {
  const dir = join(FAULT, 'invalid-row');

  it('vPerson: 2147483650 does not fit `gender:int` -> GI_TYPE_CAST at 2:2; --max-bad-rows 2: 5 nodes, lines 2 and 5 (`01abc`) skipped, exit 4; --max-bad-rows 1 -> GI_TOO_MANY_BAD_ROWS', async () => {
    const person = await header('person-gender.csv', 'ID:ID(person),gender:int');
    const file = join(dir, 'vPerson.csv');
    const [strict, two, one, eof] = await Promise.all([
      gi(['--nodes', `person=${person},${file}`]),
      gi(['--nodes', `person=${person},${file}`, '--max-bad-rows', '2', '--rejects', join(work, 'vperson-rejects.ndjson')]),
      gi(['--nodes', `person=${person},${file}`, '--max-bad-rows', '1']),
      gi(['--nodes', `person=${person},${join(dir, 'vPersonInvalidValueAtEOF.csv')}`]),
    ]);
    expectError(strict, file, 'GI_TYPE_CAST', 2, 2);
    expect(expectOk(two, 4).nodeTables).toMatchObject([{ label: 'person', count: 5, skipped: { GI_TYPE_CAST: 2 } }]);
    const rejects = (await readFile(join(work, 'vperson-rejects.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; column: number; raw: string });
    expect(rejects.map((x) => [x.line, x.column, x.raw])).toEqual([[2, 2, '2,2147483650'], [5, 2, '5,01abc']]);
    expect(one.run.status).toBe(1);
    expect(headline(one.run)).toMatch(/: GI_TOO_MANY_BAD_ROWS$/);
    // vPersonInvalidValueAtEOF: the same value on the last line, which has no line end
    expectError(eof, join(dir, 'vPersonInvalidValueAtEOF.csv'), 'GI_TYPE_CAST', 2, 2);
  });

  // Known limitation (see bad-rows.test.ts, "bugs found by these tests"): the sniff finds quote and field-count
  // errors before values are loaded, so the strict run names line 7 (`5,"abc"a`, GI_QUOTE_UNEXPECTED) instead of the
  // first bad row, line 5 (a 20 KB number in `gender:int`).
  it('vPersonLongRow with integer IDs: the first bad row is line 5 -> GI_TYPE_CAST at 5:2', async () => {
    const file = join(dir, 'vPersonLongRow.csv');
    const r = await gi(['--nodes', `person=${await header('person-int.csv', 'ID:ID(person){id-type:int},gender:int')},${file}`]);
    expectError(r, file, 'GI_TYPE_CAST', 5, 2);
  });

  it('vPersonLongRow with --max-bad-rows 100%: lines 5 (20 KB number) and 6 (`5a` ID) are skippable, but the quote error on line 7 always stops -> GI_QUOTE_UNEXPECTED at line 7', async () => {
    const file = join(dir, 'vPersonLongRow.csv');
    const r = await gi(['--nodes', `person=${await header('person-int.csv', 'ID:ID(person){id-type:int},gender:int')},${file}`, '--max-bad-rows', '100%']);
    expectError(r, file, 'GI_QUOTE_UNEXPECTED', 7);
  });

  it('vMovie.csv (own plain header; `312abc` makes length a string): `6,67,"ab"c` -> GI_QUOTE_UNEXPECTED at line 6, also with --max-bad-rows 100%; vMovie.csv.gz gives the same answer under its own name', async () => {
    const [plain, tolerant, gz] = await Promise.all([
      gi([join(dir, 'vMovie.csv')]),
      gi([join(dir, 'vMovie.csv'), '--max-bad-rows', '100%']),
      gi([join(dir, 'vMovie.csv.gz')]),
    ]);
    expectError(plain, join(dir, 'vMovie.csv'), 'GI_QUOTE_UNEXPECTED', 6);
    expectError(tolerant, join(dir, 'vMovie.csv'), 'GI_QUOTE_UNEXPECTED', 6);
    expectError(gz, join(dir, 'vMovie.csv.gz'), 'GI_QUOTE_UNEXPECTED', 6);
  });

  it('vMovie.csv: the quote error shows text around the bad quote, all of it from the file (no byte past its end)', async () => {
    const file = join(dir, 'vMovie.csv');
    const r = await gi([file]);
    const shown = excerpt(r.run);
    expect(shown).toContain('6,67,"ab"c');
    expect(await readFile(file, 'utf8')).toContain(shown);
  });

  it('vMovie1.csv: ID 1111111111111111111111111 is beyond int64 -> the ID space is string, 16 nodes with the long names intact; with --id-type integer -> GI_TYPE_CAST at 17:1', async () => {
    const file = join(dir, 'vMovie1.csv');
    const [auto, integer] = await Promise.all([gi([file]), gi([file, '--id-type', 'integer'])]);
    expect(expectOk(auto).nodeTables).toMatchObject([{ label: 'vMovie1', count: 16, properties: [{ name: 'length', type: 'long' }, { name: 'name', type: 'string' }] }]);
    const records = await oracle(file);
    expect(await nodeRows(auto, 'vMovie1')).toEqual(sorted(records.slice(1).map(([id, length, name]) => ({ _id: id, length: `${length}n`, name }))));
    expectError(integer, file, 'GI_TYPE_CAST', 17, 1);
  });

  it('vMovie-valid.csv -> 1 node; emptyMovie.csv (header only) -> 0 nodes, its columns still typed', async () => {
    const [valid, empty] = await Promise.all([gi([join(dir, 'vMovie-valid.csv')]), gi([join(dir, 'emptyMovie.csv')])]);
    expectOk(valid);
    expect(await nodeRows(valid, 'vMovie-valid')).toEqual([{ _id: '0n', length: '3232n', name: 'movieA' }]);
    expect(expectOk(empty).nodeTables).toMatchObject([{ label: 'emptyMovie', count: 0 }]);
  });

  it('eWatches (persons 0, 2; movie 0): `5,0` -> GI_ENDPOINT_NOT_FOUND at 2:1; with --skip-bad-relationships 2 edges (0->0, 2->0), 7 skipped, exit 4', async () => {
    const person = await header('person-gender.csv', 'ID:ID(person),gender:int');
    const watch = await header('watch.csv', ':START_ID(person),:END_ID');
    const base = ['--nodes', `person=${person},${join(dir, 'vPerson-valid.csv')}`, join(dir, 'vMovie-valid.csv'), '--relationships', `watch=${watch},${join(dir, 'eWatches.csv')}`];
    const [strict, skip] = await Promise.all([gi(base), gi([...base, '--skip-bad-relationships', '--threads', '2', '--batch-size', '2'])]);
    expectError(strict, join(dir, 'eWatches.csv'), 'GI_ENDPOINT_NOT_FOUND', 2, 1);
    const s = expectOk(skip, 4);
    expect(s.relationshipTables).toMatchObject([{ type: 'watch', from: 'person', to: 'vMovie-valid', count: 2 }]);
    expect(s.skipped).toEqual({ rows: 7, byReason: { GI_ENDPOINT_NOT_FOUND: 7 }, byFile: { [join(dir, 'eWatches.csv')]: { GI_ENDPOINT_NOT_FOUND: 7 } } });
    expect((await dumpGraph(skip.store)).edges).toEqual({ 'watch:person->vMovie-valid': ['["0","0",{}]', '["2","0",{}]'] });
  });

  // Known limitation (as above): the unterminated quote on the last line (6) is reported before line 1, whose start
  // node 7 does not exist and whose score `10a` is not an int.
  it('eLikes strict: the first bad row is line 1 -> GI_ENDPOINT_NOT_FOUND or GI_TYPE_CAST at line 1', async () => {
    const r = await gi([
      '--nodes', `person=${await header('person-gender.csv', 'ID:ID(person),gender:int')},${join(dir, 'vPerson-valid.csv')}`, join(dir, 'vMovie-valid.csv'),
      '--relationships', `likes=${await header('likes.csv', ':START_ID(person),:END_ID,score:int,comment:string')},${join(dir, 'eLikes.csv')}`,
    ]);
    expect(r.run.status).toBe(1);
    expect(headline(r.run)).toMatch(new RegExp(`^${join(dir, 'eLikes.csv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:\\d+: GI_(ENDPOINT_NOT_FOUND|TYPE_CAST)$`));
  });

  it('eLikes with --skip-bad-relationships --max-bad-rows 100%: the unterminated quote on line 6 (`"unquoted` at EOF) still stops -> GI_UNTERMINATED_QUOTE at line 6', async () => {
    const r = await gi([
      '--nodes', `person=${await header('person-gender.csv', 'ID:ID(person),gender:int')},${join(dir, 'vPerson-valid.csv')}`, join(dir, 'vMovie-valid.csv'),
      '--relationships', `likes=${await header('likes.csv', ':START_ID(person),:END_ID,score:int,comment:string')},${join(dir, 'eLikes.csv')}`,
      '--skip-bad-relationships', '--max-bad-rows', '100%',
    ]);
    expectError(r, join(dir, 'eLikes.csv'), 'GI_UNTERMINATED_QUOTE', 6);
  });

  it('error-on-block-edge (Kuzu: 191 rows copied, 59 warnings): as id,val,name,nums:string -> 250 nodes exactly as csv-parse reads them; with nums:double the 191 bracketed lists are bad -> --max-bad-rows 100% 59 nodes (any batch size), 190 -> GI_TOO_MANY_BAD_ROWS', async () => {
    const file = join(dir, 'error-on-block-edge.csv');
    const asString = await header('animal-string.csv', 'id:ID(animal),val:double,name:string,nums:string');
    const asDouble = await header('animal-double.csv', 'id:ID(animal),val:double,name:string,nums:double');
    const [all, tolerant, tiny, tooMany] = await Promise.all([
      gi(['--nodes', `animal=${asString},${file}`]),
      gi(['--nodes', `animal=${asDouble},${file}`, '--max-bad-rows', '100%']),
      gi(['--nodes', `animal=${asDouble},${file}`, '--max-bad-rows', '100%', '--batch-size', '7']),
      gi(['--nodes', `animal=${asDouble},${file}`, '--max-bad-rows', '190']),
    ]);
    const records = await oracle(file);
    expect(records).toHaveLength(250);
    expect(expectOk(all).nodes).toBe(250);
    expect(await nodeRows(all, 'animal')).toEqual(sorted(records.map(([id, val, name, nums]) => ({ _id: `${id}n`, val: Number(val), name, nums }))));
    for (const r of [tolerant, tiny]) {
      const s = expectOk(r, 4);
      expect(s.nodeTables).toMatchObject([{ label: 'animal', count: 59, skipped: { GI_TYPE_CAST: 191 } }]);
    }
    const scalar = records.filter((rec) => !rec[3].startsWith('['));
    expect(await nodeRows(tiny, 'animal')).toEqual(sorted(scalar.map(([id, val, name, nums]) => ({ _id: `${id}n`, val: Number(val), name, nums: Number(nums) }))));
    expect(tooMany.run.status).toBe(1);
    expect(headline(tooMany.run)).toMatch(/: GI_TOO_MANY_BAD_ROWS$/);
  });

  it('Comment.csv (own typed `|` header): IDs like 412316860444aa make the Comment ID space a string one -> 999 nodes; --id-type integer -> GI_TYPE_CAST at 26:1; with --max-bad-rows 3 996 nodes', async () => {
    const file = join(dir, 'Comment.csv');
    const [auto, integer, tolerant] = await Promise.all([
      gi([file]),
      gi([file, '--id-type', 'integer']),
      gi([file, '--id-type', 'integer', '--max-bad-rows', '3']),
    ]);
    expect(expectOk(auto).nodeTables).toMatchObject([{ label: 'Comment', count: 999 }]);
    expectError(integer, file, 'GI_TYPE_CAST', 26, 1);
    expect(expectOk(tolerant, 4).nodeTables).toMatchObject([{ label: 'Comment', count: 996, skipped: { GI_TYPE_CAST: 3 } }]);
  });

  it('Comment_hasCreator_Person{,_1}.csv (151,045 headerless `|` rows, 2 files, one group): end node `abc` on line 40560 of the first -> GI_ENDPOINT_NOT_FOUND at 40560:2 whatever the threads; --skip-bad-relationships 151,044 edges', async () => {
    const rels = [join(dir, 'Comment_hasCreator_Person.csv'), join(dir, 'Comment_hasCreator_Person_1.csv')];
    // Node files for both ID spaces, made from the relationship rows (Comment.csv holds only 999 of the comments).
    const rows = (await Promise.all(rels.map((f) => readFile(f, 'utf8')))).flatMap((t) => t.split('\n').filter((l) => l !== '').map((l) => l.split('|')));
    expect(rows).toHaveLength(151_045);
    const inCommentCsv = new Set((await oracle(join(dir, 'Comment.csv'), '|')).slice(1).map((r) => r[0]));
    const comments = [...new Set(rows.map((r) => r[0]))].filter((id) => !inCommentCsv.has(id));
    const persons = [...new Set(rows.map((r) => r[1]))].filter((id) => /^\d+$/.test(id));
    await writeFile(join(work, 'more-comments.csv'), `id:ID(Comment)\n${comments.join('\n')}\n`);
    await writeFile(join(work, 'persons.csv'), `id:ID(Person)\n${persons.join('\n')}\n`);
    const group = `hasCreator=${await header('has-creator.csv', ':START_ID(Comment)|:END_ID(Person)')},${rels.join(',')}`;
    const base = [join(dir, 'Comment.csv'), '--nodes', `Comment=${join(work, 'more-comments.csv')}`, join(work, 'persons.csv'), '--relationships', group, '--delimiter', '|'];
    const [one, four, skip] = await Promise.all([
      gi([...base, '--threads', '1']),
      gi([...base, '--threads', '4', '--batch-size', '1000']),
      gi([...base, '--threads', '4', '--batch-size', '1000', '--skip-bad-relationships']),
    ]);
    for (const r of [one, four]) expectError(r, rels[0], 'GI_ENDPOINT_NOT_FOUND', 40560, 2);
    const s = expectOk(skip, 4);
    expect(s.relationshipTables).toMatchObject([{ type: 'hasCreator', from: 'Comment', to: 'Person', count: 151_044 }]);
    expect(s.skipped.byFile).toEqual({ [rels[0]]: { GI_ENDPOINT_NOT_FOUND: 1 } });
  });
});

describe.skipIf(!present)('kuzu copy-fault-tests: invalid-utf8, non-exist-uuid-pk, null-pk, rel-table-multiplicity-violation, wrong-header, long path', () => {
  it('invalid-utf8.csv (one byte 0xFF): as a header or as an ID -> GI_INVALID_UTF8 at 1:1', async () => {
    const file = join(FAULT, 'invalid-utf8', 'invalid-utf8.csv');
    const [asIs, asId] = await Promise.all([gi([file]), gi(['--nodes', `person=${await header('person-string.csv', 'ID:ID(person){id-type:string}')},${file}`])]);
    expectError(asIs, file, 'GI_INVALID_UTF8', 1, 1);
    expectError(asId, file, 'GI_INVALID_UTF8', 1, 1);
  });

  it('non-exist-uuid-pk: IDs are text (no UUID type), so the upper-case start is not the lower-case node -> GI_ENDPOINT_NOT_FOUND at like.csv:1:1; with --skip-bad-relationships 2 nodes, 0 edges, exit 4', async () => {
    const dir = join(FAULT, 'non-exist-uuid-pk');
    const base = [
      '--nodes', `person=${await header('person-fname.csv', 'fName:ID(person)')},${join(dir, 'person.csv')}`,
      '--relationships', `like=${await header('like-pp.csv', ':START_ID(person),:END_ID(person)')},${join(dir, 'like.csv')}`,
    ];
    const [strict, skip] = await Promise.all([gi(base), gi([...base, '--skip-bad-relationships'])]);
    expectError(strict, join(dir, 'like.csv'), 'GI_ENDPOINT_NOT_FOUND', 1, 1);
    const s = expectOk(skip, 4);
    expect([s.nodes, s.relationships, s.skipped.rows]).toEqual([2, 0, 1]);
    expect(await nodeRows(skip, 'person')).toEqual(sorted([{ _id: 'a0eebc99-9c0b4ef8-bb6d6bb9-bd380a15' }, { _id: 'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a14' }]));
  });

  it('null-pk: a blank line is skipped, not a null ID -> vPerson 2 nodes, vPerson2 3 nodes; eLikes `,0` on line 3 has no start node -> GI_ENDPOINT_NOT_FOUND at 3:1, with --skip-bad-relationships 3 edges', async () => {
    const dir = join(FAULT, 'null-pk');
    const person = await header('person-fname.csv', 'fName:ID(person)');
    const rels = [
      '--nodes', `person=${person},${join(dir, 'vPerson-valid.csv')}`, '--nodes', `movie=${await header('movie-length.csv', 'ID:ID(movie),length:int')},${join(dir, 'vMovie.csv')}`,
      '--relationships', `like=${await header('like-pm.csv', ':START_ID(person),:END_ID(movie)')},${join(dir, 'eLikes.csv')}`,
    ];
    const [p1, p2, strict, skip] = await Promise.all([
      gi(['--nodes', `person=${person},${join(dir, 'vPerson.csv')}`]),
      gi(['--nodes', `person=${person},${join(dir, 'vPerson2.csv')}`]),
      gi(rels),
      gi([...rels, '--skip-bad-relationships']),
    ]);
    expectOk(p1);
    expect(await nodeRows(p1, 'person')).toEqual(sorted([{ _id: 'alice' }, { _id: 'bob' }]));
    expectOk(p2);
    expect(await nodeRows(p2, 'person')).toEqual(sorted([{ _id: 'Charlie' }, { _id: 'Adam' }, { _id: 'Dave' }]));
    expectError(strict, join(dir, 'eLikes.csv'), 'GI_ENDPOINT_NOT_FOUND', 3, 1);
    expectOk(skip, 4);
    expect((await dumpGraph(skip.store)).edges).toEqual({ 'like:person->movie': ['["Alice","0",{}]', '["Charlie","0",{}]', '["Ed","0",{}]'] });
  });

  it('rel-table-multiplicity-violation: graph-import has no MANY_ONE/ONE_MANY/ONE_ONE constraints -> 4 nodes and all 6 edges as given, exit 0', async () => {
    const dir = join(FAULT, 'rel-table-multiplicity-violation');
    const pp = await header('pp.csv', ':START_ID(person),:END_ID(person)');
    const r = await gi([
      '--nodes', `person=${await header('person-id.csv', 'ID:ID(person)')},${join(dir, 'vPerson.csv')}`,
      '--relationships', `knows=${pp},${join(dir, 'eKnows.csv')}`, '--relationships', `matches=${pp},${join(dir, 'eMatches.csv')}`,
      '--relationships', `teaches=${pp},${join(dir, 'eTeaches.csv')}`,
    ]);
    expect([expectOk(r).nodes, JSON.parse(r.run.stdout).relationships]).toEqual([4, 6]);
    expect((await dumpGraph(r.store)).edges).toEqual({
      'knows:person->person': ['["0","1",{}]', '["0","2",{}]'],
      'matches:person->person': ['["1","2",{}]', '["1","3",{}]'],
      'teaches:person->person': ['["1","2",{}]', '["3","2",{}]'],
    });
  });

  it('wrong-header: each file defines its own table (3 nodes each; knows edges with prop1, p2); the three person files together share the default ID space -> GI_DUPLICATE_NODE_ID at vPersonMissingColumn.csv:2:1', async () => {
    const dir = join(FAULT, 'wrong-header');
    const f = (n: string): string => join(dir, n);
    const [missing, wrongName, edges1, edges2, together] = await Promise.all([
      gi([f('vPersonMissingColumn.csv')]),
      gi([f('vPersonWrongColumnName.csv')]),
      gi([f('vPerson.csv'), f('eKnowsMissingColumn.csv')]),
      gi([f('vPerson.csv'), f('eKnowsWrongColumnName.csv')]),
      gi([f('vPerson.csv'), f('vPersonMissingColumn.csv'), f('vPersonWrongColumnName.csv')]),
    ]);
    expect(expectOk(missing).nodeTables).toMatchObject([{ label: 'vPersonMissingColumn', count: 3, properties: [] }]);
    expect(expectOk(wrongName).nodeTables).toMatchObject([{ label: 'vPersonWrongColumnName', count: 3, properties: [{ name: 'name', type: 'string' }] }]);
    expectOk(edges1);
    expect((await dumpGraph(edges1.store)).edges).toEqual({ 'eKnowsMissingColumn:vPerson->vPerson': ['["10","24",{"prop1":"1n"}]', '["24","31",{"prop1":"2n"}]'] });
    expectOk(edges2);
    expect((await dumpGraph(edges2.store)).edges).toEqual({
      'eKnowsWrongColumnName:vPerson->vPerson': ['["10","24",{"prop1":"1n","p2":"ok"}]', '["24","31",{"prop1":"2n","p2":"ok"}]'],
    });
    expectError(together, f('vPersonMissingColumn.csv'), 'GI_DUPLICATE_NODE_ID', 2, 1);
  });

  it('wrong-header: one relationship group of both knows files -> the second file\'s header line is data -> GI_FIELD_COUNT at eKnowsWrongColumnName.csv:1:4', async () => {
    const dir = join(FAULT, 'wrong-header');
    const r = await gi([join(dir, 'vPerson.csv'), '--relationships', `knows=${join(dir, 'eKnowsMissingColumn.csv')},${join(dir, 'eKnowsWrongColumnName.csv')}`]);
    expectError(r, join(dir, 'eKnowsWrongColumnName.csv'), 'GI_FIELD_COUNT', 1, 4);
  });

  it('deeply nested long path: as given -> 0 nodes in a table named after the file; errors name the whole path (GI_FIELD_COUNT at 1:1 under `id:ID,x:int`); under `id:ID` -> 1 node hi', async () => {
    const file = join(FAULT, 'deeply', 'nested', 'file', 'path', 'test', 'with-a-reallllllllllllllllllllly-long-name', 'big-comma-separated-values-file-name-with-long-path.csv');
    const [asIs, bad, good] = await Promise.all([
      gi([file]),
      gi(['--nodes', `T=${await header('id-x.csv', 'id:ID,x:int')},${file}`]),
      gi(['--nodes', `T=${await header('id-only.csv', 'id:ID')},${file}`]),
    ]);
    expect(expectOk(asIs).nodeTables).toMatchObject([{ label: basename(file, '.csv'), count: 0 }]);
    expectError(bad, file, 'GI_FIELD_COUNT', 1, 1);
    expectOk(good);
    expect(await nodeRows(good, 'T')).toEqual([{ _id: 'hi' }]);
  });
});
