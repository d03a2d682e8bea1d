import type pg from 'pg';
import {
  START_OVERLAP_MS,
  currentChangeCursor,
  currentRunCursor,
  readJobChanges,
  readWorkflowRunStates,
  type ChangeCursor,
  type JobChange,
  type WorkflowRunState,
} from 'jobmaster';

/** What one poll found: job state changes, and workflow runs whose status or step states changed. */
export interface FeedBatch {
  jobs: JobChange[];
  runs: WorkflowRunState[];
}

type Listener = (batch: FeedBatch) => void;

/** What a follower compares to see that a run changed: its status and each step's. */
function runState(run: WorkflowRunState): string {
  return `${run.status}:${JSON.stringify(run.steps)}`;
}

/** Running runs re-read each poll (a cancel or a long step changes a run without a job change at once). */
const MAX_WATCHED_RUNS = 500;

/**
 * One poll of recent job changes shared by every open event stream of a handler: it runs
 * only while someone listens, reads the history rows and new jobs past its cursor (two
 * primary-key range reads) and the starts among running jobs, and hands each batch to every
 * listener once. Workflow runs are followed too: new runs, the runs of changed step jobs and
 * the running runs are re-read by id, and a run is handed on when its state changed.
 */
export class ChangeFeed {
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #cursor: ChangeCursor | undefined;
  #lastRunId = '0';
  /** When the feed started: job changes before it do not make run changes. */
  #since = new Date(0);
  /** Runs watched, by id: the state last handed on (status and step states). */
  readonly #runs = new Map<string, string>();
  #polling = false;
  /** Changes already sent, by job, status and time, kept while a re-read could repeat them. */
  readonly #sent = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly intervalMs: number,
  ) {}

  /** Starts listening; returns the function that stops. */
  async subscribe(listener: Listener): Promise<() => void> {
    if (this.#listeners.size === 0) {
      const [cursor, runs] = await Promise.all([
        currentChangeCursor(this.pool, this.schema),
        currentRunCursor(this.pool, this.schema, MAX_WATCHED_RUNS),
      ]);
      this.#cursor = cursor;
      this.#since = new Date(cursor.completedAt);
      this.#lastRunId = runs.lastRunId;
      this.#runs.clear();
      // The running runs' states now, so the first poll hands on only what changes after.
      const { runs: states } = await readWorkflowRunStates(this.pool, this.schema, runs.running, runs.lastRunId, 1);
      const watched = new Set(runs.running);
      for (const run of states) if (watched.has(run.runId) && run.status === 'running') this.#runs.set(run.runId, runState(run));
      this.#timer = setInterval(() => void this.#poll(), this.intervalMs);
      this.#timer.unref();
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops polling (listeners stay registered for a later start). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#polling || !this.#cursor) return;
    this.#polling = true;
    try {
      const { changes, cursor } = await readJobChanges(this.pool, this.schema, this.#cursor);
      const now = Date.now();
      for (const [key, at] of this.#sent) if (now - at > 2 * START_OVERLAP_MS) this.#sent.delete(key);
      const keys = new Set<string>();
      const fresh = changes.filter((change) => {
        const key = `${change.jobId}:${change.status}:${change.at.getTime()}`;
        if (this.#sent.has(key) || keys.has(key)) return false;
        keys.add(key);
        return true;
      });
      // Completions re-read from before the first subscriber came say nothing new about their runs.
      const runs = await this.#runChanges(fresh.filter((change) => change.at >= this.#since));
      this.#cursor = cursor;
      for (const key of keys) this.#sent.set(key, now);
      if (fresh.length || runs.length) for (const listener of this.#listeners) listener({ jobs: fresh, runs });
    } catch {
      // A failed poll (the database restarting) is retried at the next tick from the same cursor.
    } finally {
      this.#polling = false;
    }
  }

  /** The watched runs, new runs and the runs of these job changes whose state differs from what was last handed on. */
  async #runChanges(changes: JobChange[]): Promise<WorkflowRunState[]> {
    const ids = new Set(this.#runs.keys());
    for (const change of changes) if (change.runId !== null) ids.add(change.runId);
    const { runs, lastRunId } = await readWorkflowRunStates(this.pool, this.schema, [...ids], this.#lastRunId);
    this.#lastRunId = lastRunId;
    const changed: WorkflowRunState[] = [];
    for (const run of runs) {
      const state = runState(run);
      if (this.#runs.get(run.runId) !== state) changed.push(run);
      this.#runs.delete(run.runId);
      // A finished run is forgotten: a later change (a cancelled run's last step job ending) brings it back through its job.
      if (run.status === 'running') this.#runs.set(run.runId, state);
    }
    while (this.#runs.size > MAX_WATCHED_RUNS) this.#runs.delete(this.#runs.keys().next().value!);
    return changed;
  }
}
