#!/usr/bin/env node
// Seeded synthetic property graph: same (--nodes, --edges, --seed) -> same bytes.
//   nodes.csv  id,name,age,score,joined     sparse integer ids (i * 1000003 + 17), ~1% quoted names;
//                                           with --ids sequential: 0, 1, 2, ... (what many exports use);
//                                           with --ids string: user-<sparse id> (string keys, ~17 bytes)
//   edges.csv  src,dst,weight,since          skewed endpoints (rank = N * u^2), multigraph
// Usage: node scripts/gen-graph.mjs --nodes N --edges M --out DIR [--seed S] [--ids sparse|sequential|string]
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const N = Number(args.nodes);
const M = Number(args.edges);
const out = args.out;
if (!Number.isSafeInteger(N) || !Number.isSafeInteger(M) || out === undefined || N < 1) {
  process.stderr.write('usage: node scripts/gen-graph.mjs --nodes N --edges M --out DIR [--seed S]\n');
  process.exit(2);
}
let state = (Number(args.seed ?? 42) >>> 0) || 1;
// xorshift32: fast, deterministic, good enough for benchmark data
const rand = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
};
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Leslie', 'Margaret'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Lamport', 'Hamilton'];
if (args.ids !== undefined && !['sparse', 'sequential', 'string'].includes(args.ids)) {
  process.stderr.write('--ids must be sparse, sequential or string\n');
  process.exit(2);
}
const id = args.ids === 'sequential' ? (i) => i : args.ids === 'string' ? (i) => `user-${i * 1000003 + 17}` : (i) => i * 1000003 + 17;

async function writeLines(path, header, count, line) {
  const stream = createWriteStream(path);
  let chunk = `${header}\n`;
  for (let i = 0; i < count; i++) {
    chunk += line(i);
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  stream.end(chunk);
  await once(stream, 'finish');
}

mkdirSync(out, { recursive: true });
await writeLines(join(out, 'nodes.csv'), 'id,name,age,score,joined', N, (i) => {
  const f = FIRST[Math.floor(rand() * FIRST.length)];
  const l = LAST[Math.floor(rand() * LAST.length)];
  const q = rand();
  const name = q < 0.005 ? `"${l}, ${f}"` : q < 0.01 ? `"${f} ""Nick"" ${l}"` : `${f} ${l}`;
  const day = 1 + Math.floor(rand() * 28);
  const month = 1 + Math.floor(rand() * 12);
  const year = 2000 + Math.floor(rand() * 25);
  return `${id(i)},${name},${18 + Math.floor(rand() * 73)},${(rand() * 100).toFixed(3)},${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}\n`;
});
await writeLines(join(out, 'edges.csv'), 'src,dst,weight,since', M, () => {
  const u = rand();
  const v = rand();
  const s = Math.floor(N * u * u);
  let d = Math.floor(N * v * v * v);
  if (d === s) d = (d + 1) % N;
  return `${id(s)},${id(d)},${rand().toFixed(4)},${1990 + Math.floor(rand() * 35)}\n`;
});
