import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/streaming-config.js';
import { runImport } from '../src/exec/run-import.js';
import { openGraph } from '../src/read/open-graph.js';
import { csvField } from './helpers/seeded-csv.js';

interface Person { id: bigint; name: string | null; n: bigint | null; d: number | null; b: boolean | null }
interface Edge { src: number; dst: number; w: number | null }

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// Text that exercises the CSV writer: delimiters, quotes, line ends, unicode, and the empty string.
const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', 'é', '漢', '🙂', ';', '|'), maxLength: 12 });

const graphArb = fc.uniqueArray(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), { minLength: 1, maxLength: 40 }).chain((ids) =>
  fc.record({
    persons: fc.tuple(...ids.map((id) => fc.record({
      id: fc.constant(id),
      name: fc.option(text, { nil: null }),
      n: fc.option(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), { nil: null }),
      d: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
      b: fc.option(fc.boolean(), { nil: null }),
    }))),
    edges: fc.array(fc.record({
      src: fc.nat(ids.length - 1), dst: fc.nat(ids.length - 1), w: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    }), { maxLength: 80 }),
  }));

function num(v: number | bigint | boolean | null): string {
  if (v === null) return '';
  return Object.is(v, -0) ? '-0' : String(v);
}

describe('property: random graphs import exactly', () => {
  it('every node, property and edge reads back as generated', async () => {
    const work = await mkdtemp(join(tmpdir(), 'gi-prop-'));
    let run = 0;
    await fc.assert(fc.asyncProperty(graphArb, async ({ persons, edges }: { persons: Person[]; edges: Edge[] }) => {
      const dir = join(work, String(run++));
      const nodesCsv = ['pid:ID(P),name:string,n:long,d:double,b:boolean',
        ...persons.map((p) => [String(p.id), csvField(p.name), num(p.n), num(p.d), num(p.b)].join(','))].join('\n');
      const edgesCsv = [':START_ID(P),:END_ID(P),w:double',
        ...edges.map((e) => [String(persons[e.src].id), String(persons[e.dst].id), num(e.w)].join(','))].join('\r\n');
      await writeFile(`${dir}-p.csv`, `${nodesCsv}\n`);
      await writeFile(`${dir}-e.csv`, edgesCsv);
      await runImport(normalizeConfig({
        inputs: [{ kind: 'node', name: 'P', files: [`${dir}-p.csv`] }, { kind: 'relationship', name: 'E', files: [`${dir}-e.csv`] }],
        into: `${dir}.db`, batchSize: 7,
      }));
      const g = await openGraph(`${dir}.db`);
      const t = await g.nodeTable('P')!.load();
      expect(t.count).toBe(persons.length);
      for (const p of persons) {
        const row = t.row(t.lookup(p.id));
        expect(row).toEqual({ _id: p.id, name: p.name, n: p.n, d: p.d, b: p.b });
      }
      const got: string[] = [];
      if (edges.length > 0) {
        const r = await g.relationshipTables[0].load();
        const ids = t.ids()!;
        for (const e of r.edges()) got.push(`${ids[e.src]}>${ids[e.dst]}:${num(r.edgeProperties(e.edge).w as number | null)}`);
        // Neighbor lists, both directions, seen from each node: the same edges as generated.
        const out: string[] = [];
        const inc: string[] = [];
        for (let row = 0; row < t.count; row++) {
          for (const n of r.outNeighbors(row)) out.push(`${ids[row]}>${ids[n.node]}:${num(r.edgeProperties(n.edge).w as number | null)}`);
          for (const n of r.inNeighbors(row)) inc.push(`${ids[n.node]}>${ids[row]}:${num(r.edgeProperties(n.edge).w as number | null)}`);
        }
        expect(out.sort()).toEqual([...got].sort());
        expect(inc.sort()).toEqual([...got].sort());
      }
      expect(got.sort()).toEqual(edges.map((e) => `${persons[e.src].id}>${persons[e.dst].id}:${num(e.w)}`).sort());
      await rm(`${dir}.db`, { recursive: true });
    }), { numRuns: 40 });
    await rm(work, { recursive: true, force: true });
  });
});
