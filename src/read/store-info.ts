import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from '../store/manifest.js';

/** The `info --json` document. Scripts depend on these names: add fields, never rename them. */
export interface StoreInfo {
  store: string;
  formatVersion: number;
  createdBy: string;
  nodeTables: { label: string; count: number; idSpace: string | null; idType: string | null; properties: { name: string; type: string }[] }[];
  relationshipTables: { type: string; from: string; to: string; count: number; properties: { name: string; type: string }[] }[];
  nodes: number;
  relationships: number;
  bytes: number;
}

/** Schema and counts of the store at `dir`, from its manifest. */
export async function storeInfo(dir: string): Promise<StoreInfo> {
  const m = await readManifest(dir);
  const manifestBytes = (await stat(join(dir, 'manifest.json'))).size;
  return {
    store: dir,
    formatVersion: m.formatVersion,
    createdBy: m.createdBy,
    nodeTables: m.nodeTables.map((t) => ({ label: t.label, count: t.count, idSpace: t.idSpace, idType: t.idType, properties: t.properties })),
    relationshipTables: m.relationshipTables.map((r) => ({ type: r.type, from: r.from, to: r.to, count: r.count, properties: r.properties })),
    nodes: m.nodeTables.reduce((n, t) => n + t.count, 0),
    relationships: m.relationshipTables.reduce((n, r) => n + r.count, 0),
    bytes: m.files.reduce((n, f) => n + f.bytes, manifestBytes),
  };
}
