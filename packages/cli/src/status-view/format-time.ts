/** A duration in seconds as `45s`, `5m 07s`, `2h 03m` or `3d 04h`. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** How long before `now` a time was, e.g. `5m 07s ago`. */
export function formatAgo(at: Date | null, now: Date): string {
  if (!at) return '-';
  return `${formatSeconds((now.getTime() - at.getTime()) / 1000)} ago`;
}

/** A time as `2026-05-01 12:34:56Z` (UTC, second precision). */
export function formatTime(at: Date | null): string {
  return at
    ? at
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}
