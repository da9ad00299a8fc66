import type { ImportResult } from '../exec/events.js';
import type { StoreInfo } from '../read/store-info.js';

const n = (x: number): string => x.toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** The human summary printed after an import. */
export function formatSummary(r: ImportResult): string {
  const lines = [`Imported ${n(r.nodes)} nodes and ${n(r.relationships)} relationships into ${r.store} in ${(r.durationMs / 1000).toFixed(2)} s`];
  for (const t of r.nodeTables) lines.push(`  (:${t.label})  ${n(t.count)}`);
  for (const t of r.relationshipTables) lines.push(`  (:${t.from})-[:${t.type}]->(:${t.to})  ${n(t.count)}`);
  const phases = Object.entries(r.phaseMs).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)} s`).join(', ');
  lines.push(`  read ${mb(r.bytesRead)}, store ${mb(r.storeBytes)}; ${phases}`);
  return `${lines.join('\n')}\n`;
}

/** The human form of `info`. */
export function formatInfo(info: StoreInfo): string {
  const lines = [`${info.store}: ${n(info.nodes)} nodes, ${n(info.relationships)} relationships, ${mb(info.bytes)} (format v${info.formatVersion}, ${info.createdBy})`];
  lines.push('Node tables:');
  for (const t of info.nodeTables) {
    const props = t.properties.map((p) => `${p.name}:${p.type}`).join(', ');
    lines.push(`  ${t.label}  ${n(t.count)} rows  id ${t.idType ?? 'none'}${t.idSpace ? ` (space ${t.idSpace})` : ''}${props ? `  {${props}}` : ''}`);
  }
  lines.push('Relationship tables:');
  for (const r of info.relationshipTables) {
    const props = r.properties.map((p) => `${p.name}:${p.type}`).join(', ');
    lines.push(`  (:${r.from})-[:${r.type}]->(:${r.to})  ${n(r.count)} rows${props ? `  {${props}}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
