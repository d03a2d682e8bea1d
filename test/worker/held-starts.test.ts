// A job claimed ahead (held) counts its attempt when the worker reports its start. The report
// goes with the next claim or heartbeat; a held job that finished before then is left out of
// it, because its outcome (complete_jobs, fail_jobs, cancel_running_jobs) counts the attempt
// in the same write, so a quick job costs one row update fewer.
import { expect, test } from 'vitest';
import { ClaimedQueue } from '../../packages/jobmaster/src/worker/claimed-queue.js';
import { JobFlow } from '../../packages/jobmaster/src/worker/job-flow.js';
import type { OutcomeWriter } from '../../packages/jobmaster/src/worker/outcome-writer.js';
import type { RunningJob, RunningJobs } from '../../packages/jobmaster/src/worker/running-jobs.js';
import type { ClaimedJob } from '../../packages/jobmaster/src/worker/worker-events.js';
import { claimedJob as job, runningJob } from './claimed-job.js';

function flow(concurrency: number) {
  const started = new Map<string, RunningJob>();
  const written: string[] = [];
  const running = {
    get size() {
      return started.size;
    },
    start(j: ClaimedJob): RunningJob {
      const r = runningJob(j);
      started.set(j.id, r);
      return r;
    },
  } as unknown as RunningJobs;
  const writer = { add: (o: { job: RunningJob; kind: string }) => written.push(`${o.job.job.id}:${o.kind}`) } as unknown as OutcomeWriter;
  const jobFlow = new JobFlow({
    queue: new ClaimedQueue(concurrency, 1000),
    running,
    writer: () => writer,
    concurrency,
    onEvent: () => {},
    poke: () => {},
    retryDueAt: () => {},
    stopping: () => false,
    release: async () => new Set(),
    findTooLarge: async () => [],
    budget: 100,
  });
  const finish = (id: string, ok: boolean): void => {
    const r = started.get(id)!;
    started.delete(id);
    jobFlow.finished(r, ok ? { ok: true, json: 'null' } : { ok: false, message: 'boom', stack: null });
  };
  return { jobFlow, finish, written };
}

test('held jobs still running are reported as started; those already finished are left to their outcome', () => {
  const { jobFlow, finish, written } = flow(4);
  // Job 1 starts at the claim (its attempt counted there); 2, 3 and 4 were held ahead.
  jobFlow.accept({ run: [job(1), job(2), job(3), job(4)], held: new Set(['2', '3', '4']), handled: [] });
  finish('2', true);
  finish('3', false);
  expect(written).toEqual(['2:complete', '3:failed']);
  expect(jobFlow.takeStarts()).toEqual(['4']);
  expect(jobFlow.takeStarts()).toEqual([]);
});

test('starts a failed report gives back go with the next report', () => {
  const { jobFlow, finish } = flow(3);
  jobFlow.accept({ run: [job(5), job(6), job(7)], held: new Set(['5', '6', '7']), handled: [] });
  const sent = jobFlow.takeStarts();
  expect(sent.sort()).toEqual(['5', '6', '7']);
  finish('6', true);
  jobFlow.restoreStarts(sent);
  // 6 was given back after it finished: reporting it again is harmless (mark_started skips a
  // job no longer running), so the set does not need to tell the two apart.
  expect(jobFlow.takeStarts().sort()).toEqual(['5', '6', '7']);
});
