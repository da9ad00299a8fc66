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

  /** The filled part (a view: valid until the next push). */
  view(): Uint32Array {
    return this.values.subarray(0, this.length);
  }
}
