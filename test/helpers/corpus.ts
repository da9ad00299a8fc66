import { resolve } from 'node:path';

/** A path inside the shared corpus: `shared/` beside the repo (as CI lays it out), or $GRAPH_IMPORT_SHARED. */
export function corpusPath(...parts: string[]): string {
  return resolve(process.env.GRAPH_IMPORT_SHARED ?? resolve(__dirname, '../../../shared'), 'corpus', ...parts);
}
