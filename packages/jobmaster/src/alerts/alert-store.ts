import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { AlertOn, AlertRow } from './failure-alert.js';

/** What one deliverer takes: final failures or every failed attempt, of every task or some. */
export interface DelivererScope {
  workerId: string;
  on: AlertOn;
  /** `type.task` names; null for every task. */
  tasks: string[] | null;
}

/** How delivering one claimed alert went. */
export interface AlertOutcome {
  id: string;
  /** Destinations that took it during this attempt. */
  deliveredTo: string[];
  /** Null when every destination took it; otherwise what went wrong. */
  error: string | null;
  /** Seconds before the next attempt, when `error` is set. */
  retrySeconds: number;
}

/**
 * The alert outbox as one deliverer sees it (`job_alerts`, migration 0014): claims due
 * alerts, records outcomes, and tells what is left for it.
 */
export class AlertStore {
  readonly #s: string;

  constructor(
    private readonly db: Queryable,
    private readonly scope: DelivererScope,
    schema: string,
  ) {
    this.#s = quoteSchema(schema);
  }

  /** Marks the worker's row as delivering alerts, for `jm status`. */
  async announce(): Promise<void> {
    await this.db.query(`update ${this.#s}.workers set alerts = $2 where worker_id = $1`, [this.scope.workerId, this.scope.on]);
  }

  /** Claims up to `limit` due alerts (the SQL `claim_alerts`), holding them for `lockSeconds`. */
  async claim(limit: number, lockSeconds: number): Promise<AlertRow[]> {
    const { rows } = await this.db.query<AlertRow>(`select * from ${this.#s}.claim_alerts($1, $2, $3, $4, $5)`, [
      this.scope.workerId,
      limit,
      lockSeconds,
      this.scope.on === 'attempt',
      this.scope.tasks,
    ]);
    return rows.map((r) => ({ ...r, id: String(r.id), job_id: String(r.job_id) }));
  }

  /** Records outcomes (the SQL `settle_alerts`); returns the ids now delivered. */
  async settle(outcomes: AlertOutcome[]): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const payload = outcomes.map((o) => ({ id: o.id, delivered_to: o.deliveredTo, error: o.error, retry_seconds: o.retrySeconds }));
    const { rows } = await this.db.query<{ id: string; delivered: boolean }>(
      `select id, delivered from ${this.#s}.settle_alerts($1, $2::jsonb)`,
      [this.scope.workerId, JSON.stringify(payload)],
    );
    return new Set(rows.filter((r) => r.delivered).map((r) => String(r.id)));
  }

  /** Undelivered alerts this deliverer would take, and the milliseconds until the next is due (0: due now). */
  async pending(): Promise<{ count: number; dueInMs: number | null; lastError: string | null }> {
    const { rows } = await this.db.query<{ count: number; due_in_ms: number | null; last_error: string | null }>(
      `select count(*)::int as count,
              greatest(0, extract(epoch from min(a.next_attempt_at) - now()) * 1000)::float8 as due_in_ms,
              (array_agg(a.last_error order by a.attempted_at desc) filter (where a.last_error is not null))[1] as last_error
         from ${this.#s}.job_alerts a
        where a.delivered_at is null and a.final >= not $1
          and ($2::text[] is null or a.type_key || '.' || a.task_key = any ($2))`,
      [this.scope.on === 'attempt', this.scope.tasks],
    );
    const row = rows[0]!;
    return { count: row.count, dueInMs: row.due_in_ms, lastError: row.last_error };
  }
}
