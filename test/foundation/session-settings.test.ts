// JobMaster's own connections never pay for JIT compilation or parallel workers: its queries
// read a few rows through indexes, or count through one, and on a large table the planner's
// estimate would otherwise cross jit_above_cost (a jm status count over 100,000 jobs: 251 ms
// with JIT, 31 ms without) or the parallel thresholds (the status API over 1,000,000 jobs on
// 2 cores: 192 ms with two workers started, 50 ms without).
import { createPool } from 'jobmaster';
import { expect, test } from 'vitest';
import { runJm, dbFlags } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('session');

test('a JobMaster pool runs its sessions with JIT and parallel query off', async () => {
  const pool = createPool(db.url);
  try {
    const { rows } = await pool.query<{ jit: string; workers: string }>(
      "select current_setting('jit') as jit, current_setting('max_parallel_workers_per_gather') as workers",
    );
    expect(rows[0]).toEqual({ jit: 'off', workers: '0' });
  } finally {
    await pool.end();
  }
});

test('jm sql runs with JIT off, as every jm command does', async () => {
  const result = await runJm(['sql', 'show jit', ...dbFlags(db)]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('off');
});

test("settings in PGOPTIONS (libpq's variable) still reach a JobMaster pool's sessions", async () => {
  const before = process.env.PGOPTIONS;
  process.env.PGOPTIONS = '-c statement_timeout=4321';
  try {
    const pool = createPool(db.url);
    try {
      const { rows } = await pool.query<{ timeout: string; jit: string }>(
        "select current_setting('statement_timeout') as timeout, current_setting('jit') as jit",
      );
      expect(rows[0]).toEqual({ timeout: '4321ms', jit: 'off' });
    } finally {
      await pool.end();
    }
  } finally {
    if (before === undefined) delete process.env.PGOPTIONS;
    else process.env.PGOPTIONS = before;
  }
});
