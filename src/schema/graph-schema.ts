import { ImportError } from '../errors/import-error.js';
import type { IdKind } from '../exec/id-index.js';
import { closestName } from './closest-name.js';
import { DEFAULT_SPACE, spaceName } from './header-fields.js';
import { type InferredKind, baseTypeOf, joinKinds } from './infer-types.js';
import { idColumnSpec } from './file-layout.js';
import type { InputFile } from './resolve-inputs.js';
import type { PropertyType } from './types.js';

/** A named, typed property column of a table. */
export interface PropertySchema {
  name: string;
  type: PropertyType;
  /** True when the type was inferred from data (such columns widen when files disagree). */
  inferred: boolean;
}

/** One node table: all nodes of one label. */
export interface NodeTableSchema {
  label: string;
  /** The ID space its IDs live in; null for nodes without an ID column. */
  space: string | null;
  /** The header name of the ID column (`personId` in `personId:ID`), '' when unnamed. */
  idName: string;
  properties: PropertySchema[];
  /** True when a :LABEL column fed the table: the full label list of each node is kept. */
  hasLabels: boolean;
}

/** One ID space: the node IDs relationships can refer to. */
export interface SpaceSchema {
  name: string;
  kind: IdKind;
  tables: number[];
}

/** Per node file: the table of its rows (fixed, or chosen per row by the first :LABEL value). */
export interface NodeFileRouting {
  fixedTable: number;
  /** First label -> table, when the file has a :LABEL column and no fixed label. */
  byLabel?: Map<string, number>;
}

/** The graph's shape as decided before any row is loaded. */
export interface GraphSchema {
  nodeTables: NodeTableSchema[];
  spaces: SpaceSchema[];
  /** Per input file (same index): resolved property types of its columns (undefined for non-property columns). */
  columnTypes: (PropertyType | undefined)[][];
  /** Per input file: routing for node files, undefined for relationship files. */
  nodeRouting: (NodeFileRouting | undefined)[];
}

/** Facts from the data pass a schema needs (see sniffFile). */
export interface SniffedFacts {
  kinds: InferredKind[];
  labels: string[];
  unlabeledRows: number;
}

/** Decides tables, ID spaces and column types from the files' headers and (where needed) sniffed facts. */
export function buildGraphSchema(files: InputFile[], facts: (SniffedFacts | undefined)[], idType: 'auto' | 'string' | 'integer'): GraphSchema {
  const columnTypes = files.map((f, i) => resolveColumnTypes(f, facts[i]));
  const spaces = resolveSpaces(files, facts, idType);
  const nodeTables: NodeTableSchema[] = [];
  const byLabel = new Map<string, number>();
  const tableFor = (label: string, file: InputFile, fileIndex: number): number => {
    const idSpec = idColumnSpec(file.layout);
    const space = idSpec?.space ?? null;
    let t = byLabel.get(label);
    if (t === undefined) {
      t = nodeTables.length;
      byLabel.set(label, t);
      nodeTables.push({ label, space, idName: idSpec?.name ?? '', properties: [], hasLabels: false });
      if (space !== null) spaces.get(space)!.tables.push(t);
    } else if (nodeTables[t].space !== space) {
      throw new ImportError('GI_SCHEMA_CONFLICT', `label "${label}" is given nodes from two ID spaces (${spaceLabel(nodeTables[t].space)} and ${spaceLabel(space)})`, {
        file: file.path, line: 1, hint: 'use one ID space per label, or distinct labels',
      });
    }
    mergeProperties(nodeTables[t], file, columnTypes[fileIndex]);
    if (file.layout.labelColumn >= 0) nodeTables[t].hasLabels = true;
    return t;
  };
  const nodeRouting = files.map((file, i): NodeFileRouting | undefined => {
    if (file.kind !== 'node') return undefined;
    const idSpec = idColumnSpec(file.layout);
    const fallback = file.fixedName ?? (idSpec !== undefined && idSpec.space !== '' ? idSpec.space : file.stem);
    if (file.fixedName !== undefined || file.layout.labelColumn < 0) return { fixedTable: tableFor(fallback, file, i) };
    const routes = new Map<string, number>();
    for (const label of facts[i]?.labels ?? []) routes.set(label, tableFor(label, file, i));
    const fixedTable = (facts[i]?.unlabeledRows ?? 0) > 0 || routes.size === 0 ? tableFor(fallback, file, i) : -1;
    return { fixedTable, byLabel: routes };
  });
  checkRelationshipSpaces(files, spaces);
  return { nodeTables, spaces: [...spaces.values()], columnTypes, nodeRouting };
}

function spaceLabel(space: string | null): string {
  return space === null ? 'none' : spaceName(space);
}

function resolveColumnTypes(file: InputFile, facts: SniffedFacts | undefined): (PropertyType | undefined)[] {
  return file.layout.columns.map((c, i) => {
    if (c.kind !== 'property') return undefined;
    if (c.type !== undefined) return c.type;
    if (file.layout.style === 'neo4j') return { base: 'string', array: false };
    return { base: baseTypeOf(facts?.kinds[i] ?? 'empty'), array: false };
  });
}

function mergeProperties(table: NodeTableSchema, file: InputFile, types: (PropertyType | undefined)[]): void {
  file.layout.columns.forEach((c, i) => {
    const type = types[i];
    if (c.kind !== 'property' || type === undefined) return;
    const inferred = c.type === undefined && file.layout.style === 'plain';
    mergeProperty(table.properties, { name: c.name, type, inferred }, table.label, file.path);
  });
}

/** Adds `prop` to `props`, widening an inferred type when two files disagree; a declared conflict is an error. */
export function mergeProperty(props: PropertySchema[], prop: PropertySchema, owner: string, file: string): void {
  const existing = props.find((p) => p.name === prop.name);
  if (existing === undefined) {
    props.push({ ...prop });
    return;
  }
  const same = existing.type.base === prop.type.base && existing.type.array === prop.type.array;
  if (same) return;
  if (existing.inferred && prop.inferred && !existing.type.array && !prop.type.array) {
    existing.type = { base: baseTypeOf(joinKinds(existing.type.base as InferredKind, prop.type.base as InferredKind)), array: false };
    return;
  }
  throw new ImportError('GI_SCHEMA_CONFLICT', `property "${prop.name}" of ${owner} is ${fmt(existing.type)} in one file and ${fmt(prop.type)} here`, {
    file, line: 1, hint: 'declare the same type for the property in every file of the label or type',
  });
}

function fmt(t: PropertyType): string {
  return t.array ? `${t.base}[]` : t.base;
}

function resolveSpaces(files: InputFile[], facts: (SniffedFacts | undefined)[], idType: 'auto' | 'string' | 'integer'): Map<string, SpaceSchema> {
  const spaces = new Map<string, SpaceSchema>();
  files.forEach((file, i) => {
    const c = idColumnSpec(file.layout);
    if (file.kind !== 'node' || c === undefined) return;
    let kind: IdKind;
    if (idType !== 'auto') kind = idType === 'integer' ? 'int' : 'string';
    else if (c.type !== undefined) kind = c.type.base === 'string' ? 'string' : 'int';
    else kind = facts[i]?.kinds[file.layout.idColumn] === 'long' || facts[i]?.kinds[file.layout.idColumn] === 'empty' ? 'int' : 'string';
    const prev = spaces.get(c.space);
    if (prev === undefined) spaces.set(c.space, { name: c.space, kind, tables: [] });
    else if (prev.kind !== kind) prev.kind = 'string';
  });
  return spaces;
}

function checkRelationshipSpaces(files: InputFile[], spaces: Map<string, SpaceSchema>): void {
  for (const file of files) {
    if (file.kind !== 'relationship') continue;
    for (const col of [file.layout.startColumn, file.layout.endColumn]) {
      const spec = file.layout.columns[col];
      if ((spec.kind !== 'start' && spec.kind !== 'end') || spaces.has(spec.space)) continue;
      const names = [...spaces.keys()].filter((n) => n !== DEFAULT_SPACE);
      const near = spec.space === DEFAULT_SPACE ? undefined : closestName(spec.space, names);
      const reason = spec.space === DEFAULT_SPACE
        ? 'the default ID space has no nodes: no node file has a plain :ID column'
        : `unknown ID space "${spec.space}"${near === undefined ? '' : `; did you mean "${near}"?`}`;
      throw new ImportError('GI_UNKNOWN_ID_SPACE', reason, {
        file: file.path, line: 1, column: col + 1,
        hint: names.length === 0 ? 'import the node files this relationship file refers to' : `ID spaces declared by node files: ${names.join(', ')}`,
      });
    }
  }
}
