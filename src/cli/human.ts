// Numbers for a person: sizes with binary units and durations in days/hours/minutes, shown on a terminal.
// Piped and JSON output keep the raw numbers (bytes, seconds) so scripts never parse units.

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** 45s, 12m 5s, 3h 12m, 2d 4h: the two largest units, as `uptime` and systemctl show them. */
export function humanSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  const parts: Array<[number, string]> = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']];
  const first = parts.findIndex(([v]) => v > 0);
  if (first < 0) return '0s';
  return parts.slice(first, first + 2).filter(([v], i) => i === 0 || v > 0).map(([v, u]) => `${v}${u}`).join(' ');
}
