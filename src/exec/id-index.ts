/**
 * Maps the original node IDs of one ID space to node ordinals (0, 1, 2, ... in insertion order), and ordinals to
 * (table, row). Open addressing with linear probing over typed arrays: no JS objects per node, so the index costs
 * a fixed number of bytes per node and the GC never walks it.
 *
 * Cost per node at the default load factor (<= 0.5): integer keys 12 B/slot (lo, hi, ordinal+1) = 24-48 B/node;
 * string keys 8 B/slot (hash, ordinal+1) + 8 B/node (arena offset) + the key bytes; both + 6 B/node (table, row).
 * Probing an int slot touches one cache line, which is why int keys live in the slots and not behind the ordinal.
 */

const EMPTY = 0;
const MAX_LOAD = 0.5;

/** Which kind of key a space holds: exact 64-bit integers, or UTF-8 byte strings. */
export type IdKind = 'int' | 'string';

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

function mixInt(lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi ^ 0xc2b2ae35, 0x27d4eb2d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

function hashBytes(buf: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 ^ (e - s);
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** An ID index for one ID space. `insert*` returns the existing ordinal on a duplicate, else -1. */
export class IdIndex {
  private mask: number;
  private slots: Int32Array; // int: [lo, hi, ord+1] per slot; string: [hash, ord+1]
  private readonly stride: number;
  private count = 0;
  private tables = new Uint16Array(1024);
  private rows = new Uint32Array(1024);
  // string keys: bytes of all keys back to back, key k at arena[arenaStart[k], arenaStart[k+1])
  private arena = new Uint8Array(0);
  private arenaStart = new Float64Array(1);

  constructor(readonly kind: IdKind, expectedNodes = 0) {
    this.stride = kind === 'int' ? 3 : 2;
    const slots = nextPow2(Math.ceil(expectedNodes / MAX_LOAD) + 1);
    this.mask = slots - 1;
    this.slots = new Int32Array(slots * this.stride);
    if (kind === 'string') this.arena = new Uint8Array(Math.max(1024, expectedNodes * 8));
  }

  /** Number of IDs held. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the index's arrays. */
  get byteLength(): number {
    return this.slots.byteLength + this.tables.byteLength + this.rows.byteLength + this.arena.byteLength + this.arenaStart.byteLength;
  }

  /** Table index of ordinal `ord`. */
  tableOf(ord: number): number {
    return this.tables[ord];
  }

  /** Row within its table of ordinal `ord`. */
  rowOf(ord: number): number {
    return this.rows[ord];
  }

  /** Adds an integer key for (table, row); returns the existing ordinal if the key is already present, else -1. */
  insertInt(lo: number, hi: number, table: number, row: number): number {
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.rehash();
    const slots = this.slots;
    let i = mixInt(lo, hi) & this.mask;
    for (;;) {
      const at = i * 3;
      const ord1 = slots[at + 2];
      if (ord1 === EMPTY) {
        slots[at] = lo;
        slots[at + 1] = hi;
        slots[at + 2] = this.add(table, row) + 1;
        return -1;
      }
      if (slots[at] === lo && slots[at + 1] === hi) return ord1 - 1;
      i = (i + 1) & this.mask;
    }
  }

  /** Ordinal of an integer key, or -1. */
  lookupInt(lo: number, hi: number): number {
    const slots = this.slots;
    let i = mixInt(lo, hi) & this.mask;
    for (;;) {
      const at = i * 3;
      const ord1 = slots[at + 2];
      if (ord1 === EMPTY) return -1;
      if (slots[at] === lo && slots[at + 1] === hi) return ord1 - 1;
      i = (i + 1) & this.mask;
    }
  }

  /** Adds the string key `buf[s, e)` (already unescaped); returns the existing ordinal on a duplicate, else -1. */
  insertString(buf: Uint8Array, s: number, e: number, table: number, row: number): number {
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.rehash();
    const h = hashBytes(buf, s, e);
    const found = this.findString(buf, s, e, h);
    if (found >= 0) return this.slots[found * 2 + 1] - 1;
    const slot = -found - 1;
    const ord = this.add(table, row);
    this.appendKey(buf, s, e);
    this.slots[slot * 2] = h;
    this.slots[slot * 2 + 1] = ord + 1;
    return -1;
  }

  /** Ordinal of the string key `buf[s, e)`, or -1. */
  lookupString(buf: Uint8Array, s: number, e: number): number {
    const found = this.findString(buf, s, e, hashBytes(buf, s, e));
    return found >= 0 ? this.slots[found * 2 + 1] - 1 : -1;
  }

  /** Slot holding the key (>= 0), or -(free slot) - 1. */
  private findString(buf: Uint8Array, s: number, e: number, h: number): number {
    const slots = this.slots;
    const len = e - s;
    let i = h & this.mask;
    for (;;) {
      const ord1 = slots[i * 2 + 1];
      if (ord1 === EMPTY) return -i - 1;
      if (slots[i * 2] === (h | 0)) {
        const ks = this.arenaStart[ord1 - 1];
        if (this.arenaStart[ord1] - ks === len && bytesEqual(this.arena, ks, buf, s, len)) return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  private appendKey(buf: Uint8Array, s: number, e: number): void {
    const at = this.arenaStart[this.count - 1];
    if (at + (e - s) > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, at + (e - s)));
      bigger.set(this.arena.subarray(0, at));
      this.arena = bigger;
    }
    this.arena.set(buf.subarray(s, e), at);
    this.arenaStart[this.count] = at + (e - s);
  }

  private add(table: number, row: number): number {
    const ord = this.count;
    if (ord >= this.rows.length) {
      const n = this.rows.length * 2;
      const t = new Uint16Array(n);
      t.set(this.tables);
      this.tables = t;
      const r = new Uint32Array(n);
      r.set(this.rows);
      this.rows = r;
    }
    if (this.kind === 'string' && ord + 2 > this.arenaStart.length) {
      const a = new Float64Array(Math.max(1024, this.arenaStart.length * 2));
      a.set(this.arenaStart);
      this.arenaStart = a;
    }
    this.tables[ord] = table;
    this.rows[ord] = row;
    this.count++;
    return ord;
  }

  private rehash(): void {
    const old = this.slots;
    const stride = this.stride;
    const slotCount = (this.mask + 1) * 2;
    this.mask = slotCount - 1;
    this.slots = new Int32Array(slotCount * stride);
    for (let at = 0; at < old.length; at += stride) {
      const ord1 = old[at + stride - 1];
      if (ord1 === EMPTY) continue;
      let i = (stride === 3 ? mixInt(old[at], old[at + 1]) : old[at] >>> 0) & this.mask;
      while (this.slots[i * stride + stride - 1] !== EMPTY) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(at, at + stride), i * stride);
    }
  }
}

function bytesEqual(a: Uint8Array, as: number, b: Uint8Array, bs: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}
