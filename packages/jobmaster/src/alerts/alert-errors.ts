import { JobMasterError } from '../errors.js';

/** An alert option (`alerts` of the worker, or a `jm run --alert-*` flag) that cannot be used as given. */
export class InvalidAlertOptionError extends JobMasterError {
  override readonly code = 'JM_INVALID_ALERT_OPTION';
  constructor(
    /** The option or flag as the caller named it, e.g. `--alert-webhook` or `alerts.webhook`. */
    readonly option: string,
    /** What was given. */
    readonly value: unknown,
    /** What it must be. */
    readonly problem: string,
  ) {
    super(`${option} ${problem}, got ${shown(value)}`);
  }
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
