import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ImportError, toImportError } from '../errors/import-error.js';
import { type Graph, type RelTable, openGraph } from './open-graph.js';

/** The outcome of `verify`: every check run, and the problems found (empty when the store is sound). */
export interface VerifyReport {
  ok: boolean;
  checks: number;
  problems: ImportError[];
}

/** Checks a store: file sizes and checksums, row counts, and the CSR invariants of every relationship table. */
export async function verifyStore(dir: string): Promise<VerifyReport> {
  const graph = await openGraph(dir);
  const problems: ImportError[] = [];
  let checks = 0;
  const check = (ok: boolean, reason: string, file?: string): void => {
    checks++;
    if (!ok) problems.push(new ImportError('GI_STORE_CORRUPT', reason, { file }));
  };
  for (const f of graph.manifest.files) {
    const path = join(dir, f.path);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      problems.push(toImportError(err, 'GI_STORE_CORRUPT', { file: path }));
      continue;
    }
    check(bytes.length === f.bytes, `size ${bytes.length} differs from the manifest's ${f.bytes}`, path);
    check(crc32(bytes) === f.crc32, `CRC32 ${crc32(bytes)} differs from the manifest's ${f.crc32}`, path);
  }
  if (problems.length > 0) return { ok: false, checks, problems };
  for (const t of graph.nodeTables) {
    await t.load();
    check(t.storedRows === t.count, `node table ${t.label}: ${t.storedRows} rows stored, the manifest says ${t.count}`, t.meta.file);
  }
  for (const r of graph.relationshipTables) {
    await r.load();
    checks += checkCsr(graph, r, (reason) => problems.push(new ImportError('GI_STORE_CORRUPT', `relationship table ${r.type} (${r.from} -> ${r.to}): ${reason}`, { file: r.meta.files.fwd })));
  }
  return { ok: problems.length === 0, checks, problems };
}

/** Checks offsets (start 0, monotonic, end = count), neighbor ranges, and that backward edges mirror forward ones. */
function checkCsr(graph: Graph, r: RelTable, fail: (reason: string) => void): number {
  const nFrom = graph.nodeTable(r.from)?.count ?? -1;
  const nTo = graph.nodeTable(r.to)?.count ?? -1;
  let checks = 0;
  const expect = (ok: boolean, reason: string): boolean => {
    checks++;
    if (!ok) fail(reason);
    return ok;
  };
  const sides = [
    { name: 'forward', offsets: r.fwdOffsets, neighbors: r.fwdNeighbors, nodes: nFrom, targets: nTo },
    { name: 'backward', offsets: r.bwdOffsets, neighbors: r.bwdNeighbors, nodes: nTo, targets: nFrom },
  ];
  for (const s of sides) {
    if (!expect(s.offsets.length === s.nodes + 1, `${s.name} offsets have ${s.offsets.length} entries, expected ${s.nodes + 1}`)) return checks;
    expect(s.offsets[0] === 0n, `${s.name} offsets do not start at 0`);
    expect(Number(s.offsets[s.nodes]) === r.count, `${s.name} offsets end at ${s.offsets[s.nodes]}, expected ${r.count}`);
    let monotonic = true;
    for (let i = 0; i < s.nodes && monotonic; i++) monotonic = s.offsets[i] <= s.offsets[i + 1];
    expect(monotonic, `${s.name} offsets are not monotonic`);
    expect(s.neighbors.length === r.count, `${s.name} has ${s.neighbors.length} neighbors, expected ${r.count}`);
    let inRange = true;
    for (let i = 0; i < s.neighbors.length && inRange; i++) inRange = s.neighbors[i] < s.targets;
    expect(inRange, `${s.name} neighbors out of range`);
  }
  const seen = new Uint8Array(r.count);
  let mirrored = true;
  for (let v = 0; v < nTo && mirrored; v++) {
    for (let q = Number(r.bwdOffsets[v]); q < Number(r.bwdOffsets[v + 1]) && mirrored; q++) {
      const e = r.bwdEdges[q];
      const u = r.bwdNeighbors[q];
      mirrored = e < r.count && seen[e] === 0 && r.fwdNeighbors[e] === v && Number(r.fwdOffsets[u]) <= e && e < Number(r.fwdOffsets[u + 1]);
      seen[e] = 1;
    }
  }
  expect(mirrored, 'backward adjacency does not mirror forward adjacency (edge ids, sources or targets disagree)');
  return checks;
}
