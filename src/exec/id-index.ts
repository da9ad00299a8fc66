import { ImportError } from '../errors/import-error.js';

/**
 * Maps the original node IDs of one ID space to node ordinals (0, 1, 2, ... in insertion order), and ordinals to
 * (table, row). Open addressing with linear probing over typed arrays: no JS objects per node, so the index costs
 * a fixed number of bytes per node and the GC never walks it.
 *
 * Cost per node at the target load (0.75): integer keys 12 B/slot (lo, hi, ordinal+1) = 16 B/node; string keys
 * 12 B/slot (hash, key offset, ordinal+1) = 16 B/node + the key bytes and a length byte; spaces with more than one
 * node table add 6 B/node (table, row).
 * Probing an int slot touches one cache line, which is why int keys live in the slots and not behind the ordinal;
 * a string slot points straight at its key, so a lookup costs two cache misses (slot, key), not three.
 *
 * Every array lives in a SharedArrayBuffer: the main thread builds the index while loading nodes, then worker
 * threads resolve relationship endpoints through the same memory (`share()` / `fromShared()`), read-only.
 */

const EMPTY = 0;
/** Int32s per slot: int keys [lo, hi, ordinal + 1], string keys [hash, key offset, ordinal + 1]. */
const STRIDE = 3;
// Tables are sized for this load from the expected node count (any size, not a power of two: a 20M-node space takes
// 300 MB, not the 400 MB of the next power of two). Linear probing averages about 2.5 probes a hit here, mostly in
// the same cache line, and the endpoint lookups are bound by the first cache miss, not by the probes.
export const TARGET_LOAD = 0.75;
/** The densest load the memory plan may ask for when the budget is tight: probes get longer, memory 17% smaller. */
export const TIGHT_LOAD = 0.9;
/** Past this load (when the expected count was too low) the table doubles. */
const MAX_LOAD = 0.95;

/** Which kind of key a space holds: exact 64-bit integers, or UTF-8 byte strings. */
export type IdKind = 'int' | 'string';

/**
 * How integer keys are found once the nodes are loaded (`freeze`). Many real files number their nodes 0..n-1 or
 * k..k+n-1, or nearly so, and then a hash table is wasted memory and a cache miss per endpoint:
 * - SEQUENTIAL: every ID was the previous plus one, in insertion order: ordinal = id - base, no memory at all.
 *   While IDs keep arriving that way they are not even hashed; the first one that breaks the run moves the run
 *   into the hash table.
 * - DIRECT: the IDs cover at least half of [min, max]: one Int32 per possible ID (ordinal + 1), at most 8 B/node,
 *   half the hash table's 16, and one memory access a lookup.
 * - HASH: anything else (and every string space).
 */
export const LOOKUP_HASH = 0;
export const LOOKUP_SEQUENTIAL = 1;
export const LOOKUP_DIRECT = 2;
/** DIRECT is chosen when max - min + 1 <= this many times the node count. */
const DIRECT_MAX_SPREAD = 2;
const TWO_32 = 4294967296;
/** insertIntBatch sorts keys into this many table regions by the top bits of their hash (slot order). */
const REGION_SHIFT = 22;
const REGIONS = 1 << (32 - REGION_SHIFT);
/** Batches smaller than this are inserted key by key. */
const BATCH_MIN = 4096;

function shared<T>(make: new (buffer: SharedArrayBuffer) => T, bytesPer: number, n: number): T {
  return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}
const int32s = (n: number): Int32Array => shared(Int32Array, 4, n);
const uint16s = (n: number): Uint16Array => shared(Uint16Array, 2, n);
const uint32s = (n: number): Uint32Array => shared(Uint32Array, 4, n);
const uint8s = (n: number): Uint8Array => shared(Uint8Array, 1, n);

/** The index's memory, as posted to worker threads (typed arrays over SharedArrayBuffers are shared, not copied). */
export interface SharedIdIndex {
  kind: IdKind;
  fixedTable: number;
  slotCount: number;
  count: number;
  slots: Int32Array;
  tables: Uint16Array;
  rows: Uint32Array;
  arena: Uint8Array;
  lookup: number;
  base: number;
  direct: Int32Array;
}

/** Slot count for `n` keys at `load`. */
export function slotsFor(n: number, load = TARGET_LOAD): number {
  return Math.max(16, Math.ceil(n / load) + 1);
}

function mixInt(lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi ^ 0xc2b2ae35, 0x27d4eb2d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * MurmurHash3 (x86, 32-bit) of `buf[s, e)`: four bytes a step, where a byte-at-a-time hash was a chain of one
 * multiply per byte on every endpoint lookup of a string ID space.
 */
export function hashBytes(buf: Uint8Array, s: number, e: number): number {
  let h = 0x9747b28c;
  let i = s;
  for (; i + 4 <= e; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = e - i;
  if (rest > 0) {
    let k = buf[i];
    if (rest > 1) k |= buf[i + 1] << 8;
    if (rest > 2) k |= buf[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= e - s;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Arena bytes of a key's length prefix (LEB128: one byte below 128). */
function lengthBytes(len: number): number {
  let n = 1;
  while (len >= 128) {
    len = Math.floor(len / 128);
    n++;
  }
  return n;
}

/** True when the arena key at `at` (length prefix, then bytes) is `buf[s, s + len)`. */
function keyAt(arena: Uint8Array, at: number, buf: Uint8Array, s: number, len: number): boolean {
  let n = arena[at++];
  if (n >= 128) {
    // Long keys: the rest of the LEB128 length.
    let shift = 128;
    n &= 127;
    for (;;) {
      const b = arena[at++];
      n += (b & 127) * shift;
      if (b < 128) break;
      shift *= 128;
    }
  }
  if (n !== len) return false;
  for (let k = 0; k < len; k++) if (arena[at + k] !== buf[s + k]) return false;
  return true;
}

/** Largest arena offset a slot holds (unsigned 32 bits). */
const MAX_ARENA = 0xffffffff;

/** An ID index for one ID space. `insert*` returns the existing ordinal on a duplicate, else -1. */
export class IdIndex {
  /** Number of slots; a hash maps to slot floor(hash * slotCount / 2^32) (multiply-shift, any size). */
  slotCount: number;
  private scale: number;
  slots: Int32Array; // int: [lo, hi, ord+1] per slot; string: [hash, key offset, ord+1]
  private count = 0;
  private tables = uint16s(1024);
  private rows = uint32s(1024);
  // string keys, back to back in insertion order: each one's length (LEB128), then its bytes
  private arena = uint8s(0);
  private arenaEnd = 0;
  /** LOOKUP_*: decided by `freeze`; HASH until then. */
  private lookup = LOOKUP_HASH;
  /** SEQUENTIAL: the first ID; DIRECT: the smallest. */
  private base = 0;
  private direct = int32s(0);
  /** While true (int keys), every ID so far was `base + ordinal` and none is in the hash table yet. */
  private inRun: boolean;
  /** Smallest and largest ID, while every ID is a safe integer (else NaN). */
  private min = Infinity;
  private max = -Infinity;
  private frozen = false;
  /** insertIntBatch's scratch: each key's hash, and the keys in region order. */
  private batchHash = new Uint32Array(0);
  private batchOrder = new Uint32Array(0);

  /**
   * `fixedTable` >= 0 when the space has one node table: then an ordinal is the row itself and the per-node
   * (table, row) arrays are not kept, which saves memory and, in endpoint lookups, two cache misses per edge.
   */
  constructor(readonly kind: IdKind, expectedNodes = 0, readonly fixedTable = -1, load = TARGET_LOAD) {
    this.inRun = kind === 'int';
    if (fixedTable >= 0) {
      this.tables = uint16s(0);
      this.rows = uint32s(0);
    }
    const slots = slotsFor(expectedNodes, load);
    this.slotCount = slots;
    this.scale = slots / 4294967296;
    this.slots = int32s(slots * STRIDE);
    if (kind === 'string') this.arena = uint8s(Math.max(1024, expectedNodes * 9));
  }

  /** The index's shared memory, to hand to worker threads; freezes it, since workers read it without locks. */
  share(): SharedIdIndex {
    this.freeze();
    return {
      kind: this.kind, fixedTable: this.fixedTable, slotCount: this.slotCount, count: this.count, slots: this.slots, tables: this.tables, rows: this.rows,
      arena: this.arena, lookup: this.lookup, base: this.base, direct: this.direct,
    };
  }

  /** A read-only view of an index built in another thread. */
  static fromShared(s: SharedIdIndex): IdIndex {
    const index = new IdIndex(s.kind, 0, s.fixedTable);
    index.slotCount = s.slotCount;
    index.scale = s.slotCount / TWO_32;
    index.count = s.count;
    index.slots = s.slots;
    index.tables = s.tables;
    index.rows = s.rows;
    index.arena = s.arena;
    index.lookup = s.lookup;
    index.base = s.base;
    index.direct = s.direct;
    index.inRun = false;
    index.frozen = true;
    return index;
  }

  /** How lookups work (LOOKUP_*), once frozen. */
  get lookupKind(): number {
    return this.lookup;
  }

  /**
   * Ends loading: picks the cheapest lookup the IDs allow (see LOOKUP_*) and releases what it does not need.
   * Called once every node is in; the index is read-only from then on.
   */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    this.batchHash = new Uint32Array(0);
    this.batchOrder = new Uint32Array(0);
    if (this.kind !== 'int' || this.count === 0) return;
    if (this.inRun) {
      this.lookup = LOOKUP_SEQUENTIAL;
      this.inRun = false;
      this.releaseSlots();
      return;
    }
    const spread = this.max - this.min + 1;
    if (!(spread <= DIRECT_MAX_SPREAD * this.count)) return; // NaN (an unsafe ID) fails too
    const direct = int32s(spread);
    const slots = this.slots;
    const base = this.min;
    for (let at = 0; at < slots.length; at += STRIDE) {
      const ord1 = slots[at + 2];
      if (ord1 !== EMPTY) direct[slots[at + 1] * TWO_32 + (slots[at] >>> 0) - base] = ord1;
    }
    this.direct = direct;
    this.base = base;
    this.lookup = LOOKUP_DIRECT;
    this.releaseSlots();
  }

  private releaseSlots(): void {
    this.slots = int32s(0);
    this.slotCount = 0;
  }

  /** Number of IDs held. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the index's arrays. */
  get byteLength(): number {
    return this.slots.byteLength + this.direct.byteLength + this.tables.byteLength + this.rows.byteLength + this.arena.byteLength;
  }

  /** Table index of ordinal `ord`. */
  tableOf(ord: number): number {
    return this.fixedTable >= 0 ? this.fixedTable : this.tables[ord];
  }

  /** Row within its table of ordinal `ord`. */
  rowOf(ord: number): number {
    return this.fixedTable >= 0 ? ord : this.rows[ord];
  }

  /** Adds an integer key for (table, row); returns the existing ordinal if the key is already present, else -1. */
  insertInt(lo: number, hi: number, table: number, row: number): number {
    if (this.frozen) throw new Error('IdIndex: insert after freeze');
    const v = hi * TWO_32 + (lo >>> 0);
    const safe = this.trackRange(v);
    if (this.inRun) {
      if (safe && (this.count === 0 || v === this.base + this.count)) {
        if (this.count === 0) this.base = v;
        this.add(table, row);
        return -1;
      }
      if (this.count > 0) this.endRun();
      else this.inRun = false;
    }
    return this.hashInsert(lo, hi, table, row);
  }

  /**
   * Adds `n` integer keys, (lo, hi) halves back to back (as an int64 column holds them), for rows firstRow,
   * firstRow + 1, ... of the space's one table, as `n` insertInt calls in
   * order would, and returns the first k whose key was already present (in the index or earlier in the batch), or
   * -1. After a duplicate the index is not fit for use: the caller fails the import.
   *
   * Keys are inserted in the order of the table region they hash to, not in row order: a large table is mostly
   * cache and TLB misses, and inserts that walk the table from one end to the other miss far less (2.9 -> 1.8 s
   * for 10M keys, scratch benchmark). Equal keys hash alike and keep their row order, so the later one is the duplicate.
   */
  insertIntBatch(halves: Int32Array, n: number, table: number, firstRow: number): number {
    if (this.fixedTable < 0 || n < BATCH_MIN) {
      for (let k = 0; k < n; k++) if (this.insertInt(halves[2 * k], halves[2 * k + 1], table, firstRow + k) >= 0) return k;
      return -1;
    }
    if (this.inRun) {
      // Key by key while the IDs run on (they are not hashed at all); the rest of the batch after the run breaks.
      let k = 0;
      while (k < n && this.inRun) if (this.insertInt(halves[2 * k], halves[2 * k + 1], table, firstRow + k++) >= 0) return k - 1;
      if (k === n) return -1;
      const rest = this.insertIntBatch(halves.subarray(2 * k), n - k, table, firstRow + k);
      return rest < 0 ? -1 : k + rest;
    }
    if (this.frozen) throw new Error('IdIndex: insert after freeze');
    if (table !== this.fixedTable || firstRow !== this.count) throw new Error(`IdIndex: rows from ${firstRow} of table ${table} out of order in a one-table space`);
    while (this.count + n > this.slotCount * MAX_LOAD) this.rehash();
    for (let k = 0; k < n; k++) this.trackRange(halves[2 * k + 1] * TWO_32 + (halves[2 * k] >>> 0));
    if (this.batchHash.length < n) {
      this.batchHash = new Uint32Array(n);
      this.batchOrder = new Uint32Array(n);
    }
    const hash = this.batchHash;
    const order = this.batchOrder;
    const counts = new Uint32Array(REGIONS + 1);
    for (let k = 0; k < n; k++) {
      const h = mixInt(halves[2 * k], halves[2 * k + 1]);
      hash[k] = h;
      counts[(h >>> REGION_SHIFT) + 1]++;
    }
    for (let r = 0; r < REGIONS; r++) counts[r + 1] += counts[r];
    for (let k = 0; k < n; k++) order[counts[hash[k] >>> REGION_SHIFT]++] = k;
    const slots = this.slots;
    const slotCount = this.slotCount;
    let first = n;
    for (let j = 0; j < n; j++) {
      const k = order[j];
      const l = halves[2 * k];
      const h = halves[2 * k + 1];
      let i = Math.floor(hash[k] * this.scale);
      for (;;) {
        const at = i * STRIDE;
        if (slots[at + 2] === EMPTY) {
          slots[at] = l;
          slots[at + 1] = h;
          slots[at + 2] = firstRow + k + 1;
          break;
        }
        if (slots[at] === l && slots[at + 1] === h) {
          if (k < first) first = k;
          break;
        }
        if (++i === slotCount) i = 0;
      }
    }
    this.count += n;
    return first < n ? first : -1;
  }

  /** Widens [min, max] to ID `v` (both NaN for good once an ID is not a safe integer); true when `v` is safe. */
  private trackRange(v: number): boolean {
    if (!Number.isSafeInteger(v)) {
      this.min = this.max = NaN;
      return false;
    }
    // Comparisons with NaN are false: a range already given up stays NaN.
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    return true;
  }

  /** The IDs so far were base, base+1, ...: put them into the hash table, which holds every later ID too. */
  private endRun(): void {
    this.inRun = false;
    for (let ord = 0; ord < this.count; ord++) {
      const v = this.base + ord;
      const hi = Math.floor(v / TWO_32);
      this.placeInt(v - hi * TWO_32, hi, ord);
    }
  }

  /** Stores a key known to be absent with ordinal `ord` (no load check: callers ensured room). */
  private placeInt(lo: number, hi: number, ord: number): void {
    if (this.count + 1 > this.slotCount * MAX_LOAD) this.rehash();
    const slots = this.slots;
    lo |= 0;
    hi |= 0;
    let i = Math.floor(mixInt(lo, hi) * this.scale);
    while (slots[i * STRIDE + 2] !== EMPTY) if (++i === this.slotCount) i = 0;
    slots[i * STRIDE] = lo;
    slots[i * STRIDE + 1] = hi;
    slots[i * STRIDE + 2] = ord + 1;
  }

  private hashInsert(lo: number, hi: number, table: number, row: number): number {
    if (this.count + 1 > this.slotCount * MAX_LOAD) this.rehash();
    const slots = this.slots;
    let i = Math.floor(mixInt(lo, hi) * this.scale);
    for (;;) {
      const at = i * STRIDE;
      const ord1 = slots[at + 2];
      if (ord1 === EMPTY) {
        slots[at] = lo;
        slots[at + 1] = hi;
        slots[at + 2] = this.add(table, row) + 1;
        return -1;
      }
      if (slots[at] === lo && slots[at + 1] === hi) return ord1 - 1;
      if (++i === this.slotCount) i = 0;
    }
  }

  /** Ordinal of an integer key, or -1. */
  lookupInt(lo: number, hi: number): number {
    if (this.lookup !== LOOKUP_HASH) {
      // Exact: the stored IDs are safe integers, and an unsafe query rounds to a value outside their range.
      const d = hi * TWO_32 + (lo >>> 0) - this.base;
      if (this.lookup === LOOKUP_SEQUENTIAL) return d >= 0 && d < this.count ? d : -1;
      return d >= 0 && d < this.direct.length ? this.direct[d] - 1 : -1;
    }
    if (this.inRun) {
      const d = hi * TWO_32 + (lo >>> 0) - this.base;
      return d >= 0 && d < this.count ? d : -1;
    }
    return this.hashLookup(lo, hi);
  }

  /**
   * Ordinals of `n` integer keys into `out` (-1 when absent). One tight loop over independent lookups lets the
   * CPU overlap their cache misses, which a lookup interleaved with parsing cannot.
   */
  lookupInts(lo: Int32Array, hi: Int32Array, n: number, out: Int32Array): void {
    if (this.lookup === LOOKUP_HASH && !this.inRun) {
      for (let r = 0; r < n; r++) out[r] = this.hashLookup(lo[r], hi[r]);
    } else {
      for (let r = 0; r < n; r++) out[r] = this.lookupInt(lo[r], hi[r]);
    }
  }

  private hashLookup(lo: number, hi: number): number {
    const slots = this.slots;
    let i = Math.floor(mixInt(lo, hi) * this.scale);
    for (;;) {
      const at = i * STRIDE;
      const ord1 = slots[at + 2];
      if (ord1 === EMPTY) return -1;
      if (slots[at] === lo && slots[at + 1] === hi) return ord1 - 1;
      if (++i === this.slotCount) i = 0;
    }
  }

  /** Adds the string key `buf[s, e)` (already unescaped); returns the existing ordinal on a duplicate, else -1. */
  insertString(buf: Uint8Array, s: number, e: number, table: number, row: number): number {
    if (this.frozen) throw new Error('IdIndex: insert after freeze');
    if (this.count + 1 > this.slotCount * MAX_LOAD) this.rehash();
    const h = hashBytes(buf, s, e);
    const found = this.findString(buf, s, e, h);
    if (found >= 0) return this.slots[found * STRIDE + 2] - 1;
    const slot = -found - 1;
    const at = this.appendKey(buf, s, e);
    const ord = this.add(table, row);
    this.slots[slot * STRIDE] = h;
    this.slots[slot * STRIDE + 1] = at;
    this.slots[slot * STRIDE + 2] = ord + 1;
    return -1;
  }

  /** Ordinal of the string key `buf[s, e)`, or -1. */
  lookupString(buf: Uint8Array, s: number, e: number): number {
    const found = this.findString(buf, s, e, hashBytes(buf, s, e));
    return found >= 0 ? this.slots[found * STRIDE + 2] - 1 : -1;
  }

  /**
   * Ordinals of `n` string keys `buf[start[r], end[r])` into `out` (-1 when absent, and for rows with start[r] < 0,
   * which are not looked up); `hash` and `keyOffset` are scratch. All keys are hashed, then all probed, then all
   * compared: each pass is a loop of independent work (the probes' and comparisons' cache misses overlap), where one
   * lookup at a time waits for its slot, then for its key. The probe notes each candidate's ordinal and key offset,
   * so the comparisons do not read the slots again.
   */
  lookupStrings(buf: Uint8Array, start: Int32Array, end: Int32Array, n: number, out: Int32Array, hash: Uint32Array, keyOffset: Int32Array): void {
    for (let r = 0; r < n; r++) if (start[r] >= 0) hash[r] = hashBytes(buf, start[r], end[r]);
    const slots = this.slots;
    const slotCount = this.slotCount;
    for (let r = 0; r < n; r++) {
      out[r] = -1;
      if (start[r] < 0) continue;
      const h = hash[r] | 0;
      let i = Math.floor(hash[r] * this.scale);
      for (;;) {
        const at = i * STRIDE;
        const ord1 = slots[at + 2];
        if (ord1 === EMPTY) break;
        if (slots[at] === h) {
          out[r] = ord1 - 1;
          keyOffset[r] = slots[at + 1];
          break;
        }
        if (++i === slotCount) i = 0;
      }
    }
    const arena = this.arena;
    for (let r = 0; r < n; r++) {
      // Another key with the same 32-bit hash: the full probe.
      if (out[r] >= 0 && !keyAt(arena, keyOffset[r] >>> 0, buf, start[r], end[r] - start[r])) out[r] = this.lookupString(buf, start[r], end[r]);
    }
  }

  /** Slot holding the key (>= 0), or -(free slot) - 1. */
  private findString(buf: Uint8Array, s: number, e: number, h: number): number {
    const slots = this.slots;
    const len = e - s;
    let i = Math.floor(h * this.scale);
    for (;;) {
      const at = i * STRIDE;
      if (slots[at + 2] === EMPTY) return -i - 1;
      if (slots[at] === (h | 0) && keyAt(this.arena, slots[at + 1] >>> 0, buf, s, len)) return i;
      if (++i === this.slotCount) i = 0;
    }
  }

  /** Appends a key to the arena (length prefix, then bytes) and returns where it starts. */
  private appendKey(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    const at = this.arenaEnd;
    const need = at + lengthBytes(len) + len;
    if (need > MAX_ARENA) {
      throw new ImportError('GI_MEMORY_BUDGET', `the string IDs of one ID space take more than ${MAX_ARENA} bytes`, { hint: 'use integer IDs, or split the nodes into several ID spaces' });
    }
    if (need > this.arena.length) {
      const bigger = uint8s(Math.min(MAX_ARENA, Math.max(this.arena.length * 2, need)));
      bigger.set(this.arena.subarray(0, at));
      this.arena = bigger;
    }
    let w = at;
    let n = len;
    while (n >= 128) {
      this.arena[w++] = (n & 127) | 128;
      n = Math.floor(n / 128);
    }
    this.arena[w++] = n;
    this.arena.set(buf.subarray(s, e), w);
    this.arenaEnd = need;
    return at;
  }

  private add(table: number, row: number): number {
    const ord = this.count;
    if (this.fixedTable >= 0) {
      if (table !== this.fixedTable || row !== ord) throw new Error(`IdIndex: row ${row} of table ${table} out of order in a one-table space`);
    } else if (ord >= this.rows.length) {
      const n = this.rows.length * 2;
      const t = uint16s(n);
      t.set(this.tables);
      this.tables = t;
      const r = uint32s(n);
      r.set(this.rows);
      this.rows = r;
    }
    if (this.fixedTable < 0) {
      this.tables[ord] = table;
      this.rows[ord] = row;
    }
    this.count++;
    return ord;
  }

  private rehash(): void {
    const old = this.slots;
    const slotCount = this.slotCount * 2;
    this.slotCount = slotCount;
    this.scale = slotCount / 4294967296;
    this.slots = int32s(slotCount * STRIDE);
    for (let at = 0; at < old.length; at += STRIDE) {
      const ord1 = old[at + STRIDE - 1];
      if (ord1 === EMPTY) continue;
      let i = Math.floor((this.kind === 'int' ? mixInt(old[at], old[at + 1]) : old[at] >>> 0) * this.scale);
      while (this.slots[i * STRIDE + STRIDE - 1] !== EMPTY) if (++i === slotCount) i = 0;
      this.slots.set(old.subarray(at, at + STRIDE), i * STRIDE);
    }
  }
}
