export { CronSchedule, isTimeZone } from './cron-expression.js';
export { parseYearField, FIRST_YEAR, LAST_YEAR } from './year-field.js';
export {
  parseCatchUp,
  formatCatchUp,
  validateScheduleName,
  resolveScheduleDeclaration,
  ON_TIME_GRACE_MS,
  MAX_BACKFILL,
  SCHEDULE_NAME_PATTERN,
  type CatchUp,
  type CatchUpText,
  type ScheduleOption,
  type ScheduleDeclaration,
  type ScheduleDefinition,
} from './schedule-definition.js';
export { planTicks, type TickPlan } from './tick-plan.js';
export { fireDueSchedules, type FireResult, type FiredTick } from './fire-schedules.js';
export { nextWake, type NextWake } from './next-wake.js';
export {
  addSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  removeSchedule,
  databaseNow,
  type ScheduleInfo,
  type NewSchedule,
} from './schedule-store.js';
export { ScheduleTicker, SCHEDULE_CHECK_INTERVAL_MS, type ScheduleTickerOptions } from './schedule-ticker.js';
