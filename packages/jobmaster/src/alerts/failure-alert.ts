import type { JsonValue } from '../registry/task-definition.js';

/**
 * Why a job failed:
 * - `error`: the task threw (or returned a value JSON cannot hold);
 * - `lease`: its worker stopped renewing the lease (killed, machine lost) while it ran;
 * - `dependency`: a job it waited for failed for good;
 * - `claim`: it could not be prepared to run (its dependencies stayed unmet, a fan-out failed);
 * - `next`: it completed, but its next task (`@task({ next })`) refused its result.
 */
export type AlertCause = 'error' | 'lease' | 'dependency' | 'claim' | 'next';

/** Which failures a worker delivers alerts for: final failures only, or every failed attempt too. */
export type AlertOn = 'final' | 'attempt';

/** The alerts' values of `--alert-on` / `alerts.on`. */
export const ALERT_ON_VALUES: readonly AlertOn[] = ['final', 'attempt'];

/**
 * One failure alert, as the TypeScript handlers receive it and, as JSON (times as ISO
 * strings), as the webhook's body and the alert command's standard input.
 */
export interface FailureAlert {
  /** `job.failed` when the job failed for good; `job.attempt_failed` when it will be retried. */
  event: 'job.failed' | 'job.attempt_failed';
  /** The alert's id: the same on every delivery attempt of this alert (receivers can deduplicate on it). */
  alertId: string;
  /** Schema the job lives in. */
  schema: string;
  jobId: string;
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
  /** The job's arguments; null when the job was pruned before the alert was delivered. */
  arguments: Record<string, JsonValue> | null;
  /** True when the job failed for good (no attempts left, or it failed without running). */
  final: boolean;
  /** The attempt that failed (0 for a job that failed before its first attempt). */
  attempt: number;
  maxAttempts: number;
  cause: AlertCause;
  /** What went wrong: the error's message and, when the task threw an Error, its stack. */
  error: { message: string; stack: string | null };
  /** The node the job ran on, when known. */
  node: string | null;
  /** When the failure was recorded (the database's clock). */
  failedAt: Date;
  /** This delivery attempt, from 1. */
  delivery: number;
}

/** An alert row as claim_alerts returns it. */
export interface AlertRow {
  id: string;
  job_id: string;
  type_key: string;
  task_key: string;
  final: boolean;
  attempt: number;
  max_attempts: number;
  cause: AlertCause;
  message: string;
  stack: string | null;
  node: string | null;
  failed_at: Date;
  deliveries: number;
  delivered_to: string[];
  arguments: Record<string, JsonValue> | null;
}

/** The alert handlers and destinations receive, from its row. */
export function toFailureAlert(schema: string, row: AlertRow): FailureAlert {
  return {
    event: row.final ? 'job.failed' : 'job.attempt_failed',
    alertId: String(row.id),
    schema,
    jobId: String(row.job_id),
    task: `${row.type_key}.${row.task_key}`,
    typeKey: row.type_key,
    taskKey: row.task_key,
    arguments: row.arguments,
    final: row.final,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    cause: row.cause,
    error: { message: row.message, stack: row.stack },
    node: row.node,
    failedAt: row.failed_at,
    delivery: row.deliveries,
  };
}
