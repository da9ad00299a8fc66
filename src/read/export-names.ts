import { fileStem } from '../schema/resolve-inputs.js';
import type { NodeTable } from './open-graph.js';

/** `(Space)` after :ID, :START_ID or :END_ID; nothing for the default space. */
export function spaceSuffix(space: string | null): string {
  return space === null || space === '' ? '' : `(${space})`;
}

/** The ID column's name in exported files: `personId:ID(Person){id-type:int}`, so a re-import keeps the ID type. */
export function idColumnName(t: NodeTable): string {
  const m = t.meta;
  return `${m.idName}:ID${spaceSuffix(m.idSpace)}{id-type:${m.idType === 'int64' ? 'int' : 'string'}}`;
}

/**
 * The importer takes a label from :LABEL, else a named ID space, else the file name: a :LABEL column is written
 * when those would not give the label back, and for nodes without IDs (a file without role columns would be read
 * as a plain one, its first column taken for the ID).
 */
export function needsLabelColumn(t: NodeTable, fileName: string): boolean {
  const derived = t.meta.idSpace !== null && t.meta.idSpace !== '' ? t.meta.idSpace : fileStem(`${fileName}.csv`);
  return t.meta.hasLabels || t.meta.idSpace === null || derived !== t.label;
}

/** True when a relationship file named `fileName` would not give its type back from the name alone. */
export function needsTypeColumn(type: string, fileName: string): boolean {
  return fileStem(`${fileName}.csv`) !== type;
}

/** File names (without extension) for tables, safe on every file system and distinct ignoring case. */
export function uniqueNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    // A leading dot would make a hidden file, which `dir/*` globs (the documented re-import) leave out.
    const base = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\./, '_') || 'table';
    let candidate = base;
    for (let k = 2; used.has(candidate.toLowerCase()); k++) candidate = `${base}.${k}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}
