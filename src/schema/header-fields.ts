import { ImportError } from '../errors/import-error.js';
import { BASE_TYPES, type PropertyType, lookupBaseType } from './types.js';

/** The name of the default ID space, used by `:ID`, `:START_ID` and `:END_ID` without a `(Space)`. */
export const DEFAULT_SPACE = '';

/** Human name of an ID space, for messages. */
export function spaceName(space: string): string {
  return space === DEFAULT_SPACE ? '(default)' : `"${space}"`;
}

/** What one header field means. */
export type ColumnSpec =
  | { kind: 'id'; name: string; space: string; type?: PropertyType }
  | { kind: 'start'; space: string }
  | { kind: 'end'; space: string }
  | { kind: 'label' }
  | { kind: 'type' }
  | { kind: 'ignore' }
  /** `type` undefined: not given in the header (inferred for plain headers, string for neo4j-style ones). */
  | { kind: 'property'; name: string; type?: PropertyType };

// name : TYPE ( Space ) {options} — name may be empty; the TYPE part may end in [] for arrays.
const FIELD_RE = /^(.*?):([A-Za-z_][A-Za-z0-9_]*)(\[\])?(?:\(([^()]*)\))?(\{[^{}]*\})?$/s;

/** Parses one header field, e.g. `id:ID(Person)`, `age:int`, `tags:string[]`, `:IGNORE`, `name`. */
export function parseHeaderField(raw: string, at: { file: string; column: number }): ColumnSpec {
  const field = raw.trim();
  const match = FIELD_RE.exec(field);
  if (!field.includes(':') || match === null) {
    if (field.includes(':') || field.includes('(')) throw malformed(raw, at, 'expected name:type, :ID(Space) or a plain name');
    if (field === '') throw malformed(raw, at, 'a header field has no name');
    return { kind: 'property', name: field };
  }
  const [, name, typeName, arraySuffix, spaceArg, options] = match;
  const keyword = typeName.toUpperCase();
  if (options !== undefined && keyword !== 'ID') throw malformed(raw, at, 'options in {} are only read on :ID fields');
  const space = spaceArg?.trim() ?? DEFAULT_SPACE;
  switch (keyword) {
    case 'ID':
      return { kind: 'id', name, space, type: options === undefined ? undefined : parseIdOptions(options, raw, at) };
    case 'START_ID':
      return { kind: 'start', space };
    case 'END_ID':
      return { kind: 'end', space };
    case 'LABEL':
      return { kind: 'label' };
    case 'TYPE':
      return { kind: 'type' };
    case 'IGNORE':
      return { kind: 'ignore' };
  }
  // An unknown type is named as such even with arguments (`varchar(20)`, `UNION(...)`): that is the real problem.
  const base = lookupBaseType(typeName);
  if (base !== undefined && spaceArg !== undefined) throw malformed(raw, at, `only ID fields take a (Space); "${typeName}" does not`);
  if (name.trim() === '') throw malformed(raw, at, 'a property field needs a name before the colon');
  if (base === undefined) {
    throw new ImportError('GI_HEADER_UNKNOWN_TYPE', `unknown type "${typeName}" in header field "${raw}"`, {
      file: at.file, line: 1, column: at.column, raw,
      hint: `use one of ${BASE_TYPES.join(', ')} (append [] for arrays), or :IGNORE to skip the column`,
    });
  }
  return { kind: 'property', name: name.trim(), type: { base, array: arraySuffix !== undefined } };
}

function parseIdOptions(options: string, raw: string, at: { file: string; column: number }): PropertyType {
  const m = /^\{\s*id-type\s*:\s*['"]?([A-Za-z]+)['"]?\s*\}$/i.exec(options);
  const idType = m?.[1]?.toLowerCase();
  if (idType === 'string') return { base: 'string', array: false };
  if (idType === 'int' || idType === 'integer' || idType === 'long') return { base: 'long', array: false };
  throw malformed(raw, at, 'the only :ID option is {id-type: string|int}');
}

function malformed(raw: string, at: { file: string; column: number }, reason: string): ImportError {
  return new ImportError('GI_HEADER_MALFORMED', `${reason} (header field "${raw}")`, { file: at.file, line: 1, column: at.column, raw });
}
