import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQuotedFields, detectDelimiter, pickQuote } from '../src/input/detect-dialect.js';
import { normalizeConfig, openGraph, prepareImport, runImport } from '../src/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('delimiter detection', () => {
  it.each([
    ['comma', 'a,b,c\n1,2,3\n4,5,6\n', ','],
    ['pipe', 'a|b|c\n1|2|3\n', '|'],
    ['tab', 'a\tb\tc\n1\t2\t3\n', '\t'],
    ['semicolon', 'a;b;c\n1;2;3\n', ';'],
    ['no delimiter at all (one column)', 'id\n1\n2\n', ','],
    ['CRLF lines', 'a|b\r\n1|2\r\n3|4\r\n', '|'],
  ])('%s', (_, text, expected) => {
    expect(detectDelimiter(bytes(text), 0, '"')).toBe(expected);
  });

  it('prefers the candidate that splits every row alike over one that is frequent on the header only', () => {
    // Two commas in the header text, one pipe; data rows split by the pipe only.
    const text = 'name, with, commas|id\nAda|1\nAlan|2\nGrace|3\n';
    expect(detectDelimiter(bytes(text), 0, '"')).toBe('|');
  });

  it('ignores delimiters inside quotes, also across lines', () => {
    const text = 'id;"a,b,c,d"\n1;"x,\ny,z"\n2;"p,q"\n';
    expect(detectDelimiter(bytes(text), 0, '"')).toBe(';');
  });

  it('starts after a BOM', () => {
    expect(detectDelimiter(bytes('\uFEFFa\tb\n1\t2\n'), 3, '"')).toBe('\t');
  });
});

describe('quote detection', () => {
  it('counts fields opened and closed by each candidate', () => {
    const counts = countQuotedFields(bytes("id,name\n1,'Ada, Countess'\n2,'O''Neil'\n3,Grace\n"), 0);
    expect(counts).toEqual({ '"': 0, "'": 2 });
  });

  it('apostrophes inside values are not quotes', () => {
    const counts = countQuotedFields(bytes("id,name\n1,O'Brien\n2,Rock 'n' Roll\n3,'80s\n"), 0);
    expect(counts["'"]).toBe(0);
  });

  it('property: the same counts as a byte-by-byte scan, on random text of quotes, delimiters and line ends', () => {
    // The reference visits every byte, tracking whether it is at a field start; countQuotedFields jumps between
    // quote bytes. Both must agree on every text, also with a BOM offset and a given delimiter.
    function reference(b: Uint8Array, from: number, delimiter?: string): Record<string, number> {
      const delims = new Set((delimiter !== undefined ? [delimiter] : [',', '|', '\t', ';']).map((d) => d.charCodeAt(0)));
      const out: Record<string, number> = {};
      for (const quote of ['"', "'"]) {
        const q = quote.charCodeAt(0);
        let n = 0;
        let atStart = true;
        for (let i = from; i < b.length; i++) {
          const c = b[i];
          if (atStart && c === q) {
            let j = i + 1;
            for (; j < b.length && b[j] !== 10 && b[j] !== 13; j++) {
              if (b[j] !== q) continue;
              if (b[j + 1] === q) j++;
              else break;
            }
            const after = b[j + 1];
            if (j < b.length && b[j] === q && (j + 1 === b.length || after === 10 || after === 13 || delims.has(after))) {
              n++;
              i = j;
              atStart = false;
              continue;
            }
          }
          atStart = c === 10 || c === 13 || delims.has(c);
        }
        out[quote] = n;
      }
      return out;
    }
    let seed = 99;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const alphabet = ['a', 'b', ',', '|', ';', '\t', '\n', '\r', '"', "'", '""', "''"];
    for (let t = 0; t < 3000; t++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const b = bytes(text);
      const from = rnd() < 0.2 ? Math.min(b.length, 2) : 0;
      const delimiter = rnd() < 0.3 ? '|' : undefined;
      expect(countQuotedFields(b, from, delimiter), JSON.stringify({ text, from, delimiter })).toEqual(reference(b, from, delimiter));
    }
  });

  it('picks the most used candidate over all files, " on a tie or when nothing is quoted', () => {
    expect(pickQuote([{ '"': 0, "'": 3 }, { '"': 1, "'": 0 }])).toEqual({ quote: "'", detected: true });
    expect(pickQuote([{ '"': 2, "'": 2 }])).toEqual({ quote: '"', detected: true });
    expect(pickQuote([{ '"': 0, "'": 0 }])).toEqual({ quote: '"', detected: false });
  });
});

describe('dialect detection end to end', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gi-dialect-'));
    await writeFile(join(dir, 'people.csv'), "id:ID|name\n1|'Lovelace| Ada'\n2|'O''Neil'\n3|Grace\n");
    await writeFile(join(dir, 'knows.csv'), ':START_ID|:END_ID\n1|2\n2|3\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const config = (extra: Record<string, string> = {}) => normalizeConfig({
    inputs: [{ kind: 'auto', files: [join(dir, 'people.csv')] }, { kind: 'auto', files: [join(dir, 'knows.csv')] }],
    into: join(dir, 'g.db'), overwrite: true, ...extra,
  });

  it('detects the pipe delimiter and single quotes, reports both in the plan, and imports the values unquoted', async () => {
    const { plan } = await prepareImport(config());
    expect(plan.quote).toBe("'");
    expect(plan.quoteSource).toBe('detected');
    expect(plan.files.map((f) => [f.delimiter, f.delimiterSource])).toEqual([['|', 'detected'], ['|', 'detected']]);
    await runImport(config());
    const graph = await openGraph(join(dir, 'g.db'));
    const people = graph.nodeTables[0];
    await people.load();
    expect(Array.from({ length: people.count }, (_, i) => people.row(i).name)).toEqual(['Lovelace| Ada', "O'Neil", 'Grace']);
  });

  it('a flag always wins: --quote and --delimiter are used as given', async () => {
    const { plan } = await prepareImport(config({ quote: "'", delimiter: '|' }));
    expect(plan.quote).toBe("'");
    expect(plan.quoteSource).toBe('flag');
    expect(plan.files.every((f) => f.delimiterSource === 'flag')).toBe(true);
    // With --quote '"' the single quotes are data, so the quoted pipe splits the row: the flag was obeyed.
    await expect(runImport(config({ quote: '"' }))).rejects.toMatchObject({ code: 'GI_FIELD_COUNT', line: 2 });
  });
});
