import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImportError, toImportError } from '../errors/import-error.js';
import type { PropertyType } from '../schema/types.js';

/** Name of the manifest file in a store directory. */
export const MANIFEST_FILE = 'manifest.json';
export const STORE_FORMAT = 'graph-import-store';
export const STORE_FORMAT_VERSION = 1;

/** A property column as recorded in the manifest. */
export interface ManifestProperty {
  name: string;
  /** Header spelling of the type: `long`, `string[]`, ... */
  type: string;
}

/** A node table in the manifest. */
export interface ManifestNodeTable {
  label: string;
  count: number;
  /** ID space name ('' is the default space); null when the nodes have no ID. */
  idSpace: string | null;
  /** Header name of the ID column ('' when unnamed). */
  idName: string;
  /** `int64` or `string`; null when the nodes have no ID. */
  idType: 'int64' | 'string' | null;
  properties: ManifestProperty[];
  /** True when the table has a `_labels` column with each node's full label list. */
  hasLabels: boolean;
  /** Arrow IPC file holding `_id`, the properties and `_labels`, relative to the store. */
  file: string;
}

/** The files of one relationship table's CSR, relative to the store. */
export interface ManifestCsrFiles {
  fwdOffsets: string;
  fwd: string;
  bwdOffsets: string;
  bwd: string;
}

/** A relationship table in the manifest: one type between one source table and one target table. */
export interface ManifestRelTable {
  type: string;
  from: string;
  to: string;
  count: number;
  properties: ManifestProperty[];
  files: ManifestCsrFiles;
}

/** A data file with its size and CRC32 (zlib polynomial, as unsigned decimal). */
export interface ManifestFile {
  path: string;
  bytes: number;
  crc32: number;
}

/** The whole manifest; see docs/FORMAT.md. */
export interface Manifest {
  format: typeof STORE_FORMAT;
  formatVersion: number;
  createdBy: string;
  nodeTables: ManifestNodeTable[];
  relationshipTables: ManifestRelTable[];
  files: ManifestFile[];
}

/** Converts a property type to its manifest spelling. */
export function typeToManifest(type: PropertyType): string {
  return type.array ? `${type.base}[]` : type.base;
}

/** Reads and checks the manifest of the store at `dir`. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = toImportError(err, 'GI_STORE_NOT_FOUND', { file: path });
    throw e.code === 'GI_FILE_NOT_FOUND' ? new ImportError('GI_STORE_NOT_FOUND', `no graph store at ${dir} (no ${MANIFEST_FILE})`, { file: dir, cause: err }) : e;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new ImportError('GI_STORE_CORRUPT', 'manifest.json is not valid JSON', { file: path, cause: err });
  }
  if (manifest.format !== STORE_FORMAT || typeof manifest.formatVersion !== 'number') {
    throw new ImportError('GI_STORE_CORRUPT', `not a ${STORE_FORMAT} manifest`, { file: path });
  }
  if (manifest.formatVersion > STORE_FORMAT_VERSION) {
    throw new ImportError('GI_STORE_CORRUPT', `store format version ${manifest.formatVersion} is newer than this graph-import reads (${STORE_FORMAT_VERSION})`, { file: path });
  }
  return manifest;
}
