import {
  addSchedule,
  listSchedules,
  parseCatchUp,
  parseTaskName,
  pauseSchedule,
  removeSchedule,
  resumeSchedule,
  type JsonValue,
} from 'jobmaster';
import { scheduleSchema } from './schemas.js';
import type { Endpoint } from './endpoint.js';

interface ScheduleBody {
  name: string;
  task: string;
  cron: string;
  args?: Record<string, JsonValue>;
  timeZone?: string;
  catchUp?: string;
}

export const scheduleEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/schedules',
    scope: 'read',
    summary: 'Cron schedules with their last and next ticks',
    returns: '{ schedules: ScheduleInfo[] }',
    async handle({ c, ctx }) {
      return c.json({ schedules: await listSchedules(ctx.pool, ctx.schema) });
    },
  },
  {
    method: 'post',
    path: '/schedules',
    scope: 'operate',
    summary: 'Add a run-time schedule (its arguments validated like any enqueue)',
    body: scheduleSchema,
    status: 201,
    returns: 'ScheduleInfo',
    async handle({ c, ctx, body }) {
      const b = body as ScheduleBody;
      const { typeKey, taskKey } = parseTaskName(b.task);
      const info = await addSchedule(ctx.pool, ctx.schema, {
        name: b.name,
        typeKey,
        taskKey,
        args: b.args ?? {},
        cron: b.cron,
        timeZone: b.timeZone ?? null,
        catchUp: parseCatchUp(b.catchUp ?? 'latest'),
      });
      return c.json(info, 201);
    },
  },
  {
    method: 'post',
    path: '/schedules/:name/pause',
    scope: 'operate',
    summary: 'Pause a schedule',
    returns: 'ScheduleInfo',
    async handle({ c, ctx }) {
      return c.json(await pauseSchedule(ctx.pool, ctx.schema, c.req.param('name')!));
    },
  },
  {
    method: 'post',
    path: '/schedules/:name/resume',
    scope: 'operate',
    summary: 'Resume a paused schedule',
    returns: 'ScheduleInfo',
    async handle({ c, ctx }) {
      return c.json(await resumeSchedule(ctx.pool, ctx.schema, c.req.param('name')!));
    },
  },
  {
    method: 'delete',
    path: '/schedules/:name',
    scope: 'operate',
    summary: 'Remove a run-time schedule (one declared in code is removed from the code)',
    returns: 'ScheduleInfo (as it was)',
    async handle({ c, ctx }) {
      return c.json(await removeSchedule(ctx.pool, ctx.schema, c.req.param('name')!));
    },
  },
];
