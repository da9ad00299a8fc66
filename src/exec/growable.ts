/** A growable array of uint32 values over a typed array (doubling), for per-range edge endpoints. */
export class GrowableU32 {
  length = 0;
  values: Uint32Array;

  constructor(capacity = 1024) {
    this.values = new Uint32Array(capacity);
  }

  /** Appends one value. */
  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = new Uint32Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = v;
  }

  /** Appends `values[perm[from]], ..., values[perm[to - 1]]`: a batch's rows of one partition, in row order. */
  appendGathered(values: Int32Array, perm: Uint32Array, from: number, to: number): void {
    const need = this.length + to - from;
    if (need > this.values.length) {
      const bigger = new Uint32Array(Math.max(this.values.length * 2, need));
      bigger.set(this.values.subarray(0, this.length));
      this.values = bigger;
    }
    const out = this.values;
    for (let i = from, j = this.length; i < to; i++, j++) out[j] = values[perm[i]];
    this.length = need;
  }

  /** The filled part (a view: valid until the next push). */
  view(): Uint32Array {
    return this.values.subarray(0, this.length);
  }
}
