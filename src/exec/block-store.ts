import type { BlockMeta } from './rel-range-task.js';

/** Fields of a block row in a BlockStore. */
const RANGE = 0;
const FILE = 1;
const GROUP = 2;
const BUCKET = 3;
const FIRST_ROW = 4;
const COUNT = 5;
const SPILL = 6;
const OFFSET = 7;
const LENGTH = 8;
const ALIVE = 9;
const SEQ = 10;
const PROPS = 11;

/** A (type, source table, target table): one relationship table. */
export interface BlockGroup {
  type: string;
  srcTable: number;
  dstTable: number;
}

/**
 * Where every block of the relationship phase is, as rows of numbers: a streaming import makes ranges x partitions
 * blocks (hundreds of thousands on large inputs), and as objects their metadata would grow the main thread's memory
 * with the input. A re-read range replaces its blocks (the old rows are marked dead).
 */
export class BlockStore {
  readonly groups: BlockGroup[] = [];
  private readonly groupIds = new Map<string, number>();
  private rows: Float64Array;
  private readonly rangeRows = new Map<number, [number, number]>();
  /** Bytes of blocks kept in (shared) memory, by row; undefined for spilled blocks. */
  readonly bytes: (Uint8Array | undefined)[] = [];
  count = 0;

  constructor(readonly maxProps: number) {
    this.rows = new Float64Array(1024 * this.stride);
  }

  /** Numbers per row. */
  get stride(): number {
    return PROPS + this.maxProps;
  }

  /** Records the blocks of one range (replacing any earlier report of the same range). */
  addRange(range: number, blocks: BlockMeta[]): void {
    const old = this.rangeRows.get(range);
    if (old !== undefined) for (let i = old[0]; i < old[1]; i++) this.rows[i * this.stride + ALIVE] = 0;
    const start = this.count;
    for (const b of blocks) this.add(b);
    this.rangeRows.set(range, [start, this.count]);
  }

  private add(b: BlockMeta): void {
    const key = `${b.type}\u0000${b.srcTable}\u0000${b.dstTable}`;
    let group = this.groupIds.get(key);
    if (group === undefined) {
      group = this.groups.length;
      this.groups.push({ type: b.type, srcTable: b.srcTable, dstTable: b.dstTable });
      this.groupIds.set(key, group);
    }
    const s = this.stride;
    if ((this.count + 1) * s > this.rows.length) {
      const bigger = new Float64Array(this.rows.length * 2);
      bigger.set(this.rows);
      this.rows = bigger;
    }
    const at = this.count * s;
    const r = this.rows;
    r[at + RANGE] = b.range;
    r[at + FILE] = b.fileIndex;
    r[at + GROUP] = group;
    r[at + BUCKET] = b.bucket;
    r[at + FIRST_ROW] = b.firstRow;
    r[at + COUNT] = b.count;
    r[at + SPILL] = b.spill ?? -1;
    r[at + OFFSET] = b.offset ?? 0;
    r[at + LENGTH] = b.length;
    r[at + ALIVE] = 1;
    r[at + SEQ] = b.seq;
    b.propBytes.forEach((len, k) => (r[at + PROPS + k] = len));
    if (b.bytes !== undefined) this.bytes[this.count] = b.bytes;
    this.count++;
  }

  alive(i: number): boolean {
    return this.rows[i * this.stride + ALIVE] === 1;
  }
  range(i: number): number {
    return this.rows[i * this.stride + RANGE];
  }
  fileIndex(i: number): number {
    return this.rows[i * this.stride + FILE];
  }
  group(i: number): number {
    return this.rows[i * this.stride + GROUP];
  }
  bucket(i: number): number {
    return this.rows[i * this.stride + BUCKET];
  }
  firstRow(i: number): number {
    return this.rows[i * this.stride + FIRST_ROW];
  }
  seq(i: number): number {
    return this.rows[i * this.stride + SEQ];
  }
  edges(i: number): number {
    return this.rows[i * this.stride + COUNT];
  }

  /**
   * Drops every row: once the CSR has its table (see `table`) the store is not read again, and at 125M edges its
   * rows are ~17 MB the CSR build can use.
   */
  release(): void {
    this.rows = new Float64Array(0);
    this.bytes.length = 0;
    this.rangeRows.clear();
    this.count = 0;
  }

  /** The CSR's view of blocks `order` (in that order): file, count, spill, offset, length, property lengths. */
  table(order: number[]): { meta: Float64Array; stride: number; bytes?: (Uint8Array | undefined)[] } {
    const stride = 5 + this.maxProps;
    const meta = new Float64Array(new SharedArrayBuffer(Math.max(1, order.length * stride) * 8));
    const kept = this.bytes.length > 0;
    order.forEach((i, j) => {
      const from = i * this.stride;
      const at = j * stride;
      meta[at] = this.rows[from + FILE];
      meta[at + 1] = this.rows[from + COUNT];
      meta[at + 2] = this.rows[from + SPILL];
      meta[at + 3] = this.rows[from + OFFSET];
      meta[at + 4] = this.rows[from + LENGTH];
      for (let k = 0; k < this.maxProps; k++) meta[at + 5 + k] = this.rows[from + PROPS + k];
    });
    return { meta, stride, bytes: kept ? order.map((i) => this.bytes[i]) : undefined };
  }
}
