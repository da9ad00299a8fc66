import { openGraph } from '../../src/read/open-graph.js';
import type { Value } from '../../src/read/column-values.js';

/** JSON-safe text of a reader value (bigints as decimal text, NaN spelled out). */
function canon(v: Value): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (Array.isArray(v)) return v.map(canon);
  return v;
}

/**
 * The whole graph as sorted, comparable data: node rows by label with their original IDs, and edges by
 * (type, from, to) as [start ID, end ID, properties]. Row order and internal row numbers do not appear.
 */
export async function dumpGraph(dir: string): Promise<{ nodes: Record<string, string[]>; edges: Record<string, string[]> }> {
  const graph = await openGraph(dir);
  const nodes: Record<string, string[]> = {};
  const ids = new Map<string, string[]>();
  for (const t of graph.nodeTables) {
    await t.load();
    ids.set(t.label, t.ids() ?? []);
    nodes[t.label] = Array.from({ length: t.count }, (_, i) => {
      const row = t.row(i);
      return JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, canon(v)])));
    }).sort();
  }
  const edges: Record<string, string[]> = {};
  for (const r of graph.relationshipTables) {
    await r.load();
    const key = `${r.type}:${r.from}->${r.to}`;
    const rows: string[] = [];
    for (const { src, dst, edge } of r.edges()) {
      const props = Object.fromEntries(Object.entries(r.edgeProperties(edge)).map(([k, v]) => [k, canon(v)]));
      rows.push(JSON.stringify([ids.get(r.from)![src], ids.get(r.to)![dst], props]));
    }
    edges[key] = (edges[key] ?? []).concat(rows).sort();
  }
  return { nodes, edges };
}
