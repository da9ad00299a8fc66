import { ImportError } from '../errors/import-error.js';
import { type ColumnSpec, DEFAULT_SPACE, parseHeaderField } from './header-fields.js';

/** Whether a file holds nodes or relationships. */
export type FileKind = 'node' | 'relationship';

/** The meaning of every column of a file, derived from its header. */
export interface FileLayout {
  kind: FileKind;
  /** `neo4j`: the header names roles (`:ID`, `:START_ID`, ...) and untyped properties are strings; `plain`: types are inferred. */
  style: 'neo4j' | 'plain';
  columns: ColumnSpec[];
  /** Column indexes of the role fields, -1 when absent. */
  idColumn: number;
  startColumn: number;
  endColumn: number;
  labelColumn: number;
  typeColumn: number;
}

/** The file's ID column spec, or undefined when it has none. */
export function idColumnSpec(layout: FileLayout): Extract<ColumnSpec, { kind: 'id' }> | undefined {
  const c = layout.idColumn >= 0 ? layout.columns[layout.idColumn] : undefined;
  return c?.kind === 'id' ? c : undefined;
}

/** Plain-header column pairs that make a file a relationship file (first is the start, second the end). */
export const PLAIN_ENDPOINT_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['src', 'dst'], ['source', 'target'], ['from', 'to'], ['start', 'end'],
];

/** Interprets a header: classifies the file (unless `forced`) and finds its role columns. */
export function layoutFile(fields: string[], file: string, forced?: FileKind): FileLayout {
  if (fields.length === 0) throw new ImportError('GI_HEADER_MISSING', 'the header line is empty', { file, line: 1 });
  const columns = fields.map((raw, i) => parseHeaderField(raw, { file, column: i + 1 }));
  // :IGNORE names no role: a plain header with an ignored column is still a plain header.
  const hasRoles = columns.some((c) => c.kind !== 'property' && c.kind !== 'ignore');
  const layout = hasRoles ? neo4jLayout(columns, file, forced) : plainLayout(columns, file, forced);
  checkUniqueNames(layout.columns, fields, file);
  return layout;
}

function neo4jLayout(columns: ColumnSpec[], file: string, forced?: FileKind): FileLayout {
  const layout = findRoles(columns, 'neo4j', file);
  const isRel = layout.startColumn >= 0 || layout.endColumn >= 0;
  layout.kind = forced ?? (isRel ? 'relationship' : 'node');
  if (layout.kind === 'relationship') {
    if (layout.startColumn < 0 || layout.endColumn < 0) {
      throw headerError(file, `a relationship file needs both :START_ID and :END_ID columns`);
    }
    if (layout.idColumn >= 0 || layout.labelColumn >= 0) throw headerError(file, 'a relationship file cannot have :ID or :LABEL columns');
  } else if (isRel || layout.typeColumn >= 0) {
    throw headerError(file, 'a node file cannot have :START_ID, :END_ID or :TYPE columns');
  }
  return layout;
}

function plainLayout(columns: ColumnSpec[], file: string, forced?: FileKind): FileLayout {
  const names = columns.map((c) => (c.kind === 'property' ? c.name.toLowerCase() : ''));
  const pair = PLAIN_ENDPOINT_PAIRS.find(([s, e]) => names.includes(s) && names.includes(e));
  const kind: FileKind = forced ?? (pair !== undefined ? 'relationship' : 'node');
  const roles = columns.slice();
  if (kind === 'relationship') {
    if (pair === undefined) {
      throw headerError(file, `a relationship file needs :START_ID/:END_ID or one of the column pairs ${PLAIN_ENDPOINT_PAIRS.map((p) => p.join('/')).join(', ')}`);
    }
    roles[names.indexOf(pair[0])] = { kind: 'start', space: DEFAULT_SPACE };
    roles[names.indexOf(pair[1])] = { kind: 'end', space: DEFAULT_SPACE };
  } else {
    const idAt = names.includes('id') ? names.indexOf('id') : 0;
    const idCol = columns[idAt];
    const name = idCol.kind === 'property' ? idCol.name : 'id';
    roles[idAt] = { kind: 'id', name, space: DEFAULT_SPACE, type: idCol.kind === 'property' ? idCol.type : undefined };
  }
  const layout = findRoles(roles, 'plain', file);
  layout.kind = kind;
  return layout;
}

function findRoles(columns: ColumnSpec[], style: FileLayout['style'], file: string): FileLayout {
  const layout: FileLayout = { kind: 'node', style, columns, idColumn: -1, startColumn: -1, endColumn: -1, labelColumn: -1, typeColumn: -1 };
  const slot = { id: 'idColumn', start: 'startColumn', end: 'endColumn', label: 'labelColumn', type: 'typeColumn' } as const;
  columns.forEach((c, i) => {
    if (c.kind === 'property' || c.kind === 'ignore') return;
    const key = slot[c.kind];
    if (layout[key] >= 0) throw headerError(file, `more than one :${c.kind.toUpperCase()} column`, i + 1);
    layout[key] = i;
  });
  return layout;
}

function checkUniqueNames(columns: ColumnSpec[], fields: string[], file: string): void {
  const seen = new Map<string, number>();
  columns.forEach((c, i) => {
    const name = c.kind === 'property' ? c.name : c.kind === 'id' && c.name !== '' ? c.name : undefined;
    if (name === undefined) return;
    if (seen.has(name)) throw headerError(file, `property "${name}" appears twice (fields ${seen.get(name)! + 1} and ${i + 1}: "${fields[i]}")`, i + 1);
    seen.set(name, i);
  });
}

function headerError(file: string, reason: string, column?: number): ImportError {
  return new ImportError('GI_HEADER_MALFORMED', reason, { file, line: 1, column });
}
