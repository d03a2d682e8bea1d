import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ServerContext, ServerEnv } from '../server-env.js';

/** How often a comment line keeps idle connections (and proxies) open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /api/v1/events`: a Server-Sent Events stream. It sends `event: ready` once, then one
 * `event: job` per job state change (`{"jobId","task","status","at","message"}`: a job created
 * as waiting, each start as running, each completion, and each other status change from its history; `runId` names the
 * workflow run of a step's job), oldest first; one `event: run` per workflow run state change (`{"runId","workflow","status",
 * "steps": {step: status},"createdAt","finishedAt"}`: a new run, a step's status, the run's status); and a comment line every 15 s. Changes are read about once a second (the handler's pollIntervalMs).
 */
export function eventStream(c: Context<ServerEnv>, ctx: ServerContext): Response {
  return streamSSE(c, async (stream) => {
    let wake: (() => void) | undefined;
    const queue: { event: 'job' | 'run'; data: string }[] = [];
    const unsubscribe = await ctx.feed.subscribe(({ jobs, runs }) => {
      for (const change of jobs) queue.push({ event: 'job', data: JSON.stringify(change) });
      for (const run of runs) queue.push({ event: 'run', data: JSON.stringify(run) });
      wake?.();
    });
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      wake?.();
    });
    try {
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ schema: ctx.schema }) });
      while (!closed) {
        while (queue.length) await stream.writeSSE(queue.shift()!);
        const idle = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEP_ALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (idle && !closed) await stream.write(': keep-alive\n\n');
      }
    } finally {
      unsubscribe();
    }
  });
}
