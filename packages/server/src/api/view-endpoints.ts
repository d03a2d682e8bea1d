import { getQueueStatus, listRegisteredTasks, parseJobStatus, parseTaskName, type QueueStatusOptions } from 'jobmaster';
import { ApiError } from '../http/api-error.js';
import { eventStream } from './event-stream.js';
import { parseTime } from './job-filter-query.js';
import type { Endpoint } from './endpoint.js';

/** Like `jm status`: finished jobs of the last 24 hours unless asked otherwise, so the summary reads the recent past, not all history. */
const DEFAULT_SINCE_MS = 24 * 3600 * 1000;

const STATUS_PARAMETERS = {
  task: 'Only this task (type_key.task_key)',
  status: 'Only this status',
  since:
    'Finished jobs count when they finished at or after this ISO 8601 time; "all" for every one kept (Default: the last 24 hours, as jm status)',
};

export const viewEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/status',
    scope: 'read',
    summary: 'The status summary, as `jm status --output json` prints it',
    query: STATUS_PARAMETERS,
    returns: 'QueueStatus',
    async handle({ c, ctx }) {
      const query = new URL(c.req.url).searchParams;
      for (const key of query.keys()) {
        if (!(key in STATUS_PARAMETERS))
          throw new ApiError(
            400,
            'JM_INVALID_REQUEST',
            `Unknown query parameter ${JSON.stringify(key.slice(0, 40))} (use task, status, since)`,
          );
      }
      const options: QueueStatusOptions = {};
      const task = query.get('task');
      if (task) options.task = parseTaskName(task);
      const status = query.get('status');
      if (status) options.status = parseJobStatus(status);
      const since = query.get('since');
      if (since !== 'all') options.since = since ? parseTime(since, 'since') : new Date(Date.now() - DEFAULT_SINCE_MS);
      return c.json(await getQueueStatus(ctx.pool, ctx.schema, options));
    },
  },
  {
    method: 'get',
    path: '/tasks',
    scope: 'read',
    summary: 'The deployed tasks with their signatures and dependencies',
    returns: '{ tasks: RegisteredTask[] }',
    async handle({ c, ctx }) {
      return c.json({ tasks: await listRegisteredTasks(ctx.pool, ctx.schema) });
    },
  },
  {
    method: 'get',
    path: '/events',
    scope: 'read',
    summary:
      'Server-Sent Events: `ready` once, then `job` per state change ({jobId, task, status, at, message}: creation as waiting, then each history row), read about once a second; a comment every 15 s',
    returns: 'text/event-stream',
    stream: true,
    handle({ c, ctx }) {
      return eventStream(c, ctx);
    },
  },
];
