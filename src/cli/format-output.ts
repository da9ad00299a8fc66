import type { ImportResult, TableCount } from '../exec/events.js';
import type { ImportPlan } from '../plan/plan-import.js';
import type { StoreInfo } from '../read/store-info.js';
import { count as n, mb, secs } from './reporters/format-units.js';

const props = (t: { properties: { name: string; type: string }[] }): string => t.properties.map((p) => `${p.name}:${p.type}`).join(', ');

function skippedText(t: TableCount): string {
  const reasons = Object.entries(t.skipped);
  if (reasons.length === 0) return '0';
  return reasons.map(([code, k]) => `${n(k)} ${code}`).join(', ');
}

/** Aligns rows of cells into columns (two spaces apart), the last column left ragged. */
function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** The human summary printed after an import. */
export function formatSummary(r: ImportResult): string {
  const lines = [`Imported ${n(r.nodes)} nodes and ${n(r.relationships)} relationships into ${r.store} in ${secs(r.durationMs)}`];
  const rows: string[][] = [['table', 'rows', 'skipped', 'properties']];
  for (const t of r.nodeTables) rows.push([`(:${t.label})`, n(t.count), skippedText(t), props(t)]);
  for (const t of r.relationshipTables) rows.push([`(:${t.from})-[:${t.type}]->(:${t.to})`, n(t.count), skippedText(t), props(t)]);
  lines.push(...table(rows));
  if (r.skipped.rows > 0) {
    const reasons = Object.entries(r.skipped.byReason).map(([code, k]) => `${n(k)} ${code}`).join(', ');
    lines.push(`  skipped ${n(r.skipped.rows)} bad row(s): ${reasons}${r.rejectsReport !== undefined ? `; every one is in ${r.rejectsReport}` : ''}`);
  }
  if (r.repeatedHeadersSkipped > 0) lines.push(`  passed over ${n(r.repeatedHeadersSkipped)} line(s) repeating a header (--auto-skip-subsequent-headers)`);
  const phases = Object.entries(r.phaseMs).map(([p, ms]) => `${p} ${secs(ms)}`).join(', ');
  lines.push(`  phases: ${phases}`);
  lines.push(`  throughput: ${n(r.throughput.rowsPerSecond)} rows/s, ${mb(r.throughput.bytesPerSecond)}/s of ${mb(r.bytesRead)} read; peak RSS ${mb(r.peakRssBytes)}; store ${mb(r.storeBytes)}`);
  lines.push(`  engine: ${r.engine.path} path, ${r.engine.threads} worker thread(s), ${r.engine.partitions} CSR partition(s)`);
  return `${lines.join('\n')}\n`;
}

/** The human form of `--dry-run`: what would be read, how, and what it would cost. */
export function formatPlan(plan: ImportPlan): string {
  const lines = ['Plan (dry run: nothing was written)'];
  lines.push(`  store: ${plan.into}${plan.overwrite ? ' (replacing an existing store once the new one is complete)' : ''}`);
  lines.push(`  quote: ${JSON.stringify(plan.quote)} (${plan.quoteSource}); batch size ${n(plan.batchSize)} rows; input ${mb(plan.totalBytes)}`);
  lines.push('  files:');
  for (const f of plan.files) {
    const rows = f.rows !== undefined ? `, ${n(f.rows)} rows` : '';
    const read = f.readInPlace === true ? 'Arrow record batches read in place' : `delimiter ${JSON.stringify(f.delimiter)} (${f.delimiterSource})`;
    lines.push(`    ${f.path}  ${mb(f.bytes)}${rows}  ${f.kind} -> ${f.target}  ${read}`);
    const cols = f.columns.map((c) => (c.role === 'property' ? `${c.name}: ${c.type ?? '?'} (${c.typeSource})` : `${c.name || ''}:${c.role.toUpperCase()}`));
    lines.push(`      ${cols.join(', ')}`);
  }
  lines.push('  node tables:');
  for (const t of plan.nodeTables) lines.push(`    (:${t.label}) ID space ${t.idSpace === null ? '(none)' : t.idSpace || '(default)'}${t.properties.length > 0 ? `  {${props(t)}}` : ''}`);
  for (const s of plan.idSpaces) lines.push(`    ID space ${s.name || '(default)'}: ${s.kind} IDs, tables ${s.tables.join(', ')}`);
  const e = plan.engine;
  if (e !== undefined) {
    lines.push(`  engine: ${e.path} path (${e.pathReason}), ${e.threads} worker thread(s), ${e.partitions} CSR partition(s)`);
    lines.push(`  estimates: ~${n(e.estimatedNodes)} nodes, ~${n(e.estimatedRelationships)} relationships; peak memory up to ~${mb(e.estimatedPeakBytes)} of a ${mb(e.memoryBudget)} budget (ID index up to ${mb(e.idIndexBytes)}); store ~${mb(e.estimatedStoreBytes)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The human form of `info`. */
export function formatInfo(info: StoreInfo): string {
  const lines = [`${info.store}: ${n(info.nodes)} nodes, ${n(info.relationships)} relationships, ${mb(info.bytes)} (format v${info.formatVersion}, ${info.createdBy})`];
  lines.push('Node tables:');
  for (const t of info.nodeTables) {
    lines.push(`  ${t.label}  ${n(t.count)} rows  id ${t.idType ?? 'none'}${t.idSpace ? ` (space ${t.idSpace})` : ''}${t.properties.length > 0 ? `  {${props(t)}}` : ''}`);
  }
  lines.push('Relationship tables:');
  for (const r of info.relationshipTables) {
    lines.push(`  (:${r.from})-[:${r.type}]->(:${r.to})  ${n(r.count)} rows${r.properties.length > 0 ? `  {${props(r)}}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
