import type { ScheduleInfo } from 'jobmaster';
import { formatTable, type Output } from '../output.js';
import { formatTime } from './format-time.js';
import { oneLine } from './table-cells.js';

/** The schedules as a table: name, task, expression, state, last and next fire times. */
export function formatSchedules(out: Output, schedules: ScheduleInfo[]): string {
  const c = out.color;
  const rows = schedules.map((s) => [
    s.name,
    s.task,
    s.timeZone ? `${s.cron} (${s.timeZone})` : s.cron,
    s.source,
    s.paused ? 'paused' : s.lastError ? 'error' : 'active',
    s.catchUp,
    formatTime(s.lastTickAt),
    s.paused ? '-' : formatTime(s.nextFireAt),
    s.lastError ? oneLine(s.lastError, 60) : s.lastJobId ? `job ${s.lastJobId}` : '-',
  ]);
  return formatTable(
    ['SCHEDULE', 'TASK', 'CRON', 'SOURCE', 'STATE', 'CATCH-UP', 'LAST TICK', 'NEXT TICK', 'LAST RESULT'],
    rows,
    (column, cell) => (column === 4 ? (cell === 'active' ? c.green(cell) : cell === 'error' ? c.red(cell) : c.yellow(cell)) : cell),
  );
}
