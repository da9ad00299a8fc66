/** Shared number formats of the reporters and the summary. */

const MiB = 1024 * 1024;

/** 1234567 -> "1,234,567". */
export const count = (x: number): string => Math.round(x).toLocaleString('en-US');
/** Bytes as MB with one decimal (MiB, as the rest of the tool). */
export const mb = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MB`;
/** Milliseconds as seconds with two decimals. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** A rate per second from an amount and milliseconds. */
export const perSecond = (amount: number, ms: number): number => amount / Math.max(ms / 1000, 1e-3);
/** Seconds as "1m05s" / "42s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
