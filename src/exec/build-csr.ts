/** Compressed sparse row adjacency of one relationship table, in both directions. */
export interface Csr {
  /** fwdOffsets[u] .. fwdOffsets[u+1] are the forward positions of node u's outgoing edges (length nSrc + 1). */
  fwdOffsets: Float64Array;
  /** Destination row of each edge, in forward order. */
  fwdNeighbors: Uint32Array;
  /** Input edge index of each forward position: gather edge properties through it. */
  fwdPerm: Uint32Array;
  /** bwdOffsets[v] .. bwdOffsets[v+1] are the backward positions of node v's incoming edges (length nDst + 1). */
  bwdOffsets: Float64Array;
  /** Source row of each edge, in backward order. */
  bwdNeighbors: Uint32Array;
  /** Forward position (the edge id) of each backward position. */
  bwdEdge: Uint32Array;
}

/**
 * Builds both CSR directions from edge endpoint rows by two stable counting sorts: O(edges + nodes), no
 * comparisons. Stability keeps the input order among a node's edges, so the store is deterministic.
 */
export function buildCsr(src: Uint32Array, dst: Uint32Array, nSrc: number, nDst: number): Csr {
  const m = src.length;
  const fwdOffsets = countingOffsets(src, nSrc);
  const fwdPerm = new Uint32Array(m);
  const cursor = fwdOffsets.slice(0, nSrc);
  for (let e = 0; e < m; e++) fwdPerm[cursor[src[e]]++] = e;
  const fwdNeighbors = new Uint32Array(m);
  for (let p = 0; p < m; p++) fwdNeighbors[p] = dst[fwdPerm[p]];

  const bwdOffsets = countingOffsets(fwdNeighbors, nDst);
  const bwdEdge = new Uint32Array(m);
  const bwdNeighbors = new Uint32Array(m);
  const bwdCursor = bwdOffsets.slice(0, nDst);
  // Walking forward positions in order keeps each node's incoming edges sorted by (source, input order).
  for (let u = 0; u < nSrc; u++) {
    for (let p = fwdOffsets[u]; p < fwdOffsets[u + 1]; p++) {
      const q = bwdCursor[fwdNeighbors[p]]++;
      bwdEdge[q] = p;
      bwdNeighbors[q] = u;
    }
  }
  return { fwdOffsets, fwdNeighbors, fwdPerm, bwdOffsets, bwdNeighbors, bwdEdge };
}

function countingOffsets(keys: Uint32Array, n: number): Float64Array {
  const offsets = new Float64Array(n + 1);
  for (let i = 0; i < keys.length; i++) offsets[keys[i] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  return offsets;
}
