import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { toImportError } from '../errors/import-error.js';
import { idColumnName, needsLabelColumn, needsTypeColumn, spaceSuffix, uniqueNames } from './export-names.js';
import type { Value } from './column-values.js';
import { type NodeTable, openGraph } from './open-graph.js';

/** CSV dialect of exported files. */
export interface ExportOptions {
  out: string;
  delimiter?: string;
  arrayDelimiter?: string;
}

/** What export wrote. */
export interface ExportResult {
  files: { path: string; kind: 'node' | 'relationship'; rows: number }[];
}

/**
 * Writes every table of the store as CSV in the neo4j-admin header format, so that importing the written files
 * (`graph-import OUT/nodes/*.csv OUT/relationships/*.csv`) gives the same graph back. A `:LABEL` or `:TYPE`
 * column is added exactly when the file name alone would not give the label or type back.
 */
export async function exportCsv(dir: string, options: ExportOptions): Promise<ExportResult> {
  const graph = await openGraph(dir);
  const d = options.delimiter ?? ',';
  const ad = options.arrayDelimiter ?? ';';
  const files: ExportResult['files'] = [];
  try {
    await mkdir(join(options.out, 'nodes'), { recursive: true });
    await mkdir(join(options.out, 'relationships'), { recursive: true });
  } catch (err) {
    throw toImportError(err, 'GI_OUTPUT_UNWRITABLE', { file: options.out });
  }
  const nodeNames = uniqueNames(graph.nodeTables.map((t) => t.label));
  for (const [i, t] of graph.nodeTables.entries()) {
    await t.load();
    const path = join(options.out, 'nodes', `${nodeNames[i]}.csv`);
    const withLabel = needsLabelColumn(t, nodeNames[i]);
    await writeCsv(path, nodeHeader(t, withLabel, d), t.count, (row) => nodeRow(t, row, withLabel, d, ad));
    files.push({ path, kind: 'node', rows: t.count });
  }
  const relNames = uniqueNames(graph.relationshipTables.map((r) => r.type));
  for (const [i, r] of graph.relationshipTables.entries()) {
    await r.load();
    const from = graph.nodeTable(r.from)!;
    const to = graph.nodeTable(r.to)!;
    await Promise.all([from.load(), to.load()]);
    const fromIds = from.ids() ?? [];
    const toIds = to.ids() ?? [];
    const withType = needsTypeColumn(r.type, relNames[i]);
    const header = [`:START_ID${spaceSuffix(from.meta.idSpace)}`, `:END_ID${spaceSuffix(to.meta.idSpace)}`, ...(withType ? [':TYPE'] : []),
      ...r.properties.map((p) => `${p.name}:${p.type}`)].map((h) => quoteField(h, d)).join(d);
    const columns = r.properties.map((p) => r.column(p.name));
    const edges = r.edges();
    const path = join(options.out, 'relationships', `${relNames[i]}.csv`);
    await writeCsv(path, header, r.count, () => {
      const { src, dst, edge } = edges.next().value as { src: number; dst: number; edge: number };
      const cells = [quoteField(fromIds[src], d), quoteField(toIds[dst], d), ...(withType ? [quoteField(r.type, d)] : []), ...columns.map((c) => formatValue(c(edge), d, ad))];
      return cells.join(d);
    });
    files.push({ path, kind: 'relationship', rows: r.count });
  }
  return { files };
}

function nodeHeader(t: NodeTable, withLabel: boolean, d: string): string {
  const id = t.meta.idSpace === null ? [] : [idColumnName(t)];
  return [...id, ...t.meta.properties.map((p) => `${p.name}:${p.type}`), ...(withLabel ? [':LABEL'] : [])]
    .map((h) => quoteField(h, d)).join(d);
}

function nodeRow(t: NodeTable, row: number, withLabel: boolean, d: string, ad: string): string {
  const cells: string[] = [];
  if (t.meta.idSpace !== null) cells.push(formatValue(t.column('_id')(row), d, ad));
  for (const p of t.properties) cells.push(formatValue(t.column(p.name)(row), d, ad));
  if (withLabel) {
    const labels = t.meta.hasLabels ? t.column('_labels')(row) : null;
    cells.push(formatValue(labels ?? [t.label], d, ad));
  }
  return cells.join(d);
}

/** Formats one value: null is an empty field, the empty string is `""`, arrays join with the array delimiter. */
export function formatValue(v: Value, d: string, ad: string): string {
  if (v === null) return '';
  if (Array.isArray(v)) return v.length === 0 ? '""' : quoteField(v.map((x) => (x === null ? '' : scalarText(x as Exclude<Value, null | Value[]>))).join(ad), d);
  if (v === '') return '""';
  return quoteField(scalarText(v), d);
}

function scalarText(v: Exclude<Value, null | Value[]>): string {
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** Quotes a field when it holds the delimiter, a quote or a line end (RFC 4180). */
export function quoteField(text: string, d: string): string {
  return text.includes(d) || text.includes('"') || text.includes('\n') || text.includes('\r') ? `"${text.replace(/"/g, '""')}"` : text;
}

async function writeCsv(path: string, header: string, rows: number, rowText: (row: number) => string): Promise<void> {
  const out = createWriteStream(path);
  try {
    let chunk = `${header}\n`;
    for (let r = 0; r < rows; r++) {
      chunk += `${rowText(r)}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    throw toImportError(err, 'GI_STORE_WRITE', { file: path });
  }
}
