/**
 * How a node table's rows are cut into CSR partitions. Partitions are runs of row blocks, chosen so that each holds
 * about the same number of edges: real graphs are skewed (a few hubs hold a large share of the edges), and equal
 * row ranges would put most of the edges into one partition and the memory peak with it.
 */
export interface Partitioning {
  /** Row block of a row: `row >>> blockShift` (at most MAX_BLOCKS blocks). */
  blockShift: number;
  /** Partition of each row block. */
  partOf: Uint16Array;
  /** First row of each partition, then the table's row count. */
  bounds: number[];
}

/** Row blocks per table: fine enough to balance partitions, small enough (128 KiB of lookup) to stay in cache. */
export const MAX_BLOCKS = 1 << 16;
/** Partitions per table at most (partition numbers are 16-bit). */
export const MAX_PARTITIONS = 1 << 15;

/** One partition holding every row. */
export function singlePartition(rows: number): Partitioning {
  const blockShift = shiftFor(rows);
  return { blockShift, partOf: new Uint16Array(blockCount(rows, blockShift)), bounds: [0, rows] };
}

/**
 * About `parts` partitions whose expected edge counts are equal, given the rows of a sample of edges (sources, or
 * targets). A small uniform share keeps rows the sample missed from piling into one partition.
 */
export function balancedPartitioning(rows: number, parts: number, sampleRows: ArrayLike<number>): Partitioning {
  if (parts <= 1 || rows === 0) return singlePartition(rows);
  const blockShift = shiftFor(rows);
  const blocks = blockCount(rows, blockShift);
  parts = Math.min(parts, blocks, MAX_PARTITIONS);
  const weight = new Float64Array(blocks);
  for (let i = 0; i < sampleRows.length; i++) {
    const b = sampleRows[i] >>> blockShift;
    if (b < blocks) weight[b]++;
  }
  const floor = Math.max(1, sampleRows.length) * 0.05 / blocks;
  let total = 0;
  for (let b = 0; b < blocks; b++) total += (weight[b] += floor);
  const partOf = new Uint16Array(blocks);
  const bounds = [0];
  let acc = 0;
  let part = 0;
  for (let b = 0; b < blocks; b++) {
    // Start the next partition once this one has its share, keeping at least one block for each partition left.
    if (part < parts - 1 && acc >= (total * (part + 1)) / parts && blocks - b >= parts - part - 1) {
      part++;
      bounds.push(b * 2 ** blockShift);
    }
    partOf[b] = part;
    acc += weight[b];
  }
  bounds.push(rows);
  return { blockShift, partOf, bounds };
}

function shiftFor(rows: number): number {
  let shift = 0;
  while (Math.ceil(rows / 2 ** shift) > MAX_BLOCKS) shift++;
  return shift;
}

function blockCount(rows: number, shift: number): number {
  return Math.max(1, Math.ceil(rows / 2 ** shift));
}
