import { hostname } from 'node:os';
import { translateDatabaseError } from '../db/database-errors.js';
import { JobNotFoundError } from '../errors.js';

/** Who performs an operation, as recorded in the jobs' history. */
export interface Operator {
  /** (Default: this machine's hostname) */
  node?: string;
  /** (Default: this process's id) */
  pid?: number;
  /**
   * Who acted through this node, such as an API token (`token:ops`); recorded in the
   * history's node column as `BY@NODE`. (Default: nobody named)
   */
  by?: string;
}

/** The node and pid to record for an operation. */
export function operatorValues(operator: Operator = {}): [string, number] {
  const node = operator.node ?? hostname();
  return [operator.by ? `${operator.by}@${node}` : node, operator.pid ?? process.pid];
}

/** Turns SQLSTATE JM003 (raised by cancel_jobs / retry_jobs for a missing id) into `JobNotFoundError`. */
export function translateOperationError(error: unknown, schema: string): unknown {
  const err = error as { code?: string; detail?: string };
  if (err?.code === 'JM003') return new JobNotFoundError(err.detail ?? '?');
  return translateDatabaseError(error, { schema });
}
