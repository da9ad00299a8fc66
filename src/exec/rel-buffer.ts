import { type PropertySchema, mergeProperty } from '../schema/graph-schema.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { ImportError } from '../errors/import-error.js';
import { type PropertyType, formatType } from '../schema/types.js';
import { type ColumnBuilder, createColumnBuilder } from '../store/column-builders.js';

/** A growable array of uint32 (rows) or uint16 (tables) values. */
class Growable<T extends Uint32Array | Uint16Array> {
  length = 0;
  constructor(public values: T, private readonly make: (n: number) => T) {}
  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = this.make(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = v;
  }
  /** The filled part. */
  view(): T {
    return this.values.subarray(0, this.length) as T;
  }
}

/** How a file's columns feed a relationship type's property columns. */
export interface RelColumnRoute {
  /** For each file column: index into `builders`, or -1. */
  target: Int32Array;
  /** Builder indexes the file does not feed. */
  missing: number[];
}

const INITIAL_EDGES = 4096;

/** All edges of one relationship type, in input order, before the CSR build. */
export class RelTypeBuffer {
  readonly srcTable = new Growable(new Uint16Array(INITIAL_EDGES), (n) => new Uint16Array(n));
  readonly srcRow = new Growable(new Uint32Array(INITIAL_EDGES), (n) => new Uint32Array(n));
  readonly dstTable = new Growable(new Uint16Array(INITIAL_EDGES), (n) => new Uint16Array(n));
  readonly dstRow = new Growable(new Uint32Array(INITIAL_EDGES), (n) => new Uint32Array(n));
  readonly properties: PropertySchema[] = [];
  readonly builders: ColumnBuilder[] = [];
  private readonly routes = new Map<number, RelColumnRoute>();
  private lastFile = -1;
  private lastRoute?: RelColumnRoute;

  constructor(readonly type: string, private readonly quote: number, private readonly arrayDelimiter: number) {}

  /** Number of edges held. */
  get count(): number {
    return this.srcRow.length;
  }

  /** The column route for a file, adding its properties as columns (null for edges already held) on first use. */
  routeFor(fileIndex: number, file: InputFile, types: (PropertyType | undefined)[]): RelColumnRoute {
    if (fileIndex === this.lastFile) return this.lastRoute!;
    const route = this.computeRoute(fileIndex, file, types);
    this.lastFile = fileIndex;
    this.lastRoute = route;
    return route;
  }

  private computeRoute(fileIndex: number, file: InputFile, types: (PropertyType | undefined)[]): RelColumnRoute {
    const known = this.routes.get(fileIndex);
    if (known !== undefined) return known;
    const target = new Int32Array(file.layout.columns.length).fill(-1);
    file.layout.columns.forEach((c, i) => {
      if (c.kind !== 'property') return;
      const inferred = c.type === undefined && file.layout.style === 'plain';
      const before = this.properties.length;
      const existing = this.properties.find((p) => p.name === c.name);
      const typeBefore = existing === undefined ? undefined : formatType(existing.type);
      mergeProperty(this.properties, { name: c.name, type: types[i]!, inferred }, `relationship type ${this.type}`, file.path);
      const at = this.properties.findIndex((p) => p.name === c.name);
      if (typeBefore !== undefined && typeBefore !== formatType(this.properties[at].type)) {
        // Edges already held were parsed as the narrower type; widening them in place is not supported.
        throw new ImportError('GI_SCHEMA_CONFLICT', `property "${c.name}" of relationship type ${this.type} was inferred as ${typeBefore} in an earlier file and ${formatType(types[i]!)} here`, {
          file: file.path, line: 1, hint: `declare the type in the headers, e.g. ${c.name}:${formatType(this.properties[at].type)}`,
        });
      }
      if (at === before) {
        const builder = createColumnBuilder(this.properties[at].type, this.quote, this.arrayDelimiter);
        builder.appendNulls(this.count);
        this.builders.push(builder);
      }
      target[i] = at;
    });
    const fed = new Set(target);
    const route = { target, missing: this.builders.map((_, i) => i).filter((i) => !fed.has(i)) };
    this.routes.set(fileIndex, route);
    // A column added later must reach files routed earlier: recompute their missing lists.
    for (const r of this.routes.values()) {
      const f = new Set(r.target);
      r.missing = this.builders.map((_, i) => i).filter((i) => !f.has(i));
    }
    return route;
  }

  /** Records an edge's endpoints; its properties are appended by the caller to `builders`. */
  addEdge(srcTable: number, srcRow: number, dstTable: number, dstRow: number): void {
    this.srcTable.push(srcTable);
    this.srcRow.push(srcRow);
    this.dstTable.push(dstTable);
    this.dstRow.push(dstRow);
  }

  /** Endpoint arrays of the edges held. */
  endpoints(): { srcTable: Uint16Array; srcRow: Uint32Array; dstTable: Uint16Array; dstRow: Uint32Array } {
    return { srcTable: this.srcTable.view(), srcRow: this.srcRow.view(), dstTable: this.dstTable.view(), dstRow: this.dstRow.view() };
  }
}
