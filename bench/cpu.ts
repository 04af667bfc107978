/** Where the machine's CPU went during a benchmark, from Linux /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Names for processes of this run; every other process is counted under its command name. */
export const LABELS = new Map<string, string>([[String(process.pid), 'bench']]);

/** CPU seconds used so far by every process on the machine, summed by label or command name (Linux /proc). */
export function cpuByCommand(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const command = LABELS.get(pid) ?? stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    totals.set(command, (totals.get(command) ?? 0) + seconds);
    if (LABELS.has(pid)) totals.set(`${command}: its main thread`, threadSeconds(pid));
  }
  return totals;
}

function threadSeconds(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU µs per completed operation, by command, between two {@link cpuByCommand} readings. */
export function cpuPerOperation(before: Map<string, number>, after: Map<string, number>, operations: number) {
  return [...after]
    .map(([command, seconds]) => [command, ((seconds - (before.get(command) ?? 0)) * 1e6) / operations] as const)
    .filter(([, micros]) => micros >= 1)
    .sort((a, b) => b[1] - a[1]);
}
