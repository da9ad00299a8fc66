/** Property value types a column can hold, as written in headers (`age:int`) and stored in the manifest. */
export const BASE_TYPES = ['int', 'long', 'float', 'double', 'boolean', 'string', 'date', 'datetime'] as const;
export type BaseType = (typeof BASE_TYPES)[number];

/** A property's type: a base type, or an array (`type[]`) of one. */
export interface PropertyType {
  base: BaseType;
  array: boolean;
}

/** Header spellings accepted for each base type (neo4j-admin's names plus common aliases), lower case. */
const TYPE_ALIASES: Record<string, BaseType> = {
  int: 'int', integer: 'int', short: 'int', byte: 'int', int32: 'int', int16: 'int', int8: 'int',
  long: 'long', int64: 'long', bigint: 'long',
  float: 'float', float32: 'float',
  double: 'double', float64: 'double',
  boolean: 'boolean', bool: 'boolean',
  string: 'string', char: 'string', str: 'string', text: 'string',
  date: 'date',
  datetime: 'datetime', localdatetime: 'datetime', timestamp: 'datetime',
};

/** Looks up a header type name (case-insensitive); undefined when it is not one we store. */
export function lookupBaseType(name: string): BaseType | undefined {
  return TYPE_ALIASES[name.toLowerCase()];
}

/** The header spelling of a type, e.g. `long[]`; parsing it gives the type back. */
export function formatType(t: PropertyType): string {
  return t.array ? `${t.base}[]` : t.base;
}
