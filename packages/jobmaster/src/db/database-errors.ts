import {
  CodeScheduleError,
  InvalidArgumentsError,
  isJobMasterError,
  JobKeyConflictError,
  JobMasterError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  SchemaNotDeployedError,
  UnknownTaskError,
} from '../errors.js';

interface PgError {
  code?: string;
  message?: string;
  detail?: string;
}

/** The JSON object JobMaster's SQL puts in an error's detail, or {} when there is none. */
function detailOf(err: PgError): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(err.detail ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * Maps errors raised by JobMaster's own SQL (SQLSTATE JM0xx) and a missing schema to typed
 * errors; anything else is returned unchanged.
 */
export function translateDatabaseError(error: unknown, context: { schema: string; typeKey?: string; taskKey?: string }): unknown {
  // Already typed (thrown inside the same try): its code starts with JM too, but it is no SQLSTATE.
  if (isJobMasterError(error)) return error;
  const err = error as PgError;
  switch (err?.code) {
    case 'JM001':
      return context.typeKey !== undefined && context.taskKey !== undefined
        ? new UnknownTaskError(context.typeKey, context.taskKey)
        : new JobMasterError(err.message ?? 'Unknown task', { cause: error });
    case 'JM002':
      return new InvalidArgumentsError(err.message ?? 'Invalid arguments', { cause: error });
    case 'JM004': {
      const d = detailOf(err);
      return new JobKeyConflictError(d.task ?? '?', d.job_key ?? '?', d.job_id ?? '?', d.status ?? '?');
    }
    case 'JM005': {
      const d = detailOf(err);
      return new ScheduleExistsError(d.name ?? '?', d.source ?? 'runtime');
    }
    case 'JM006':
      return new ScheduleNotFoundError(detailOf(err).name ?? '?');
    case 'JM007':
      return new CodeScheduleError(detailOf(err).name ?? '?');
    case '3F000': // schema does not exist
    case '42883': // function does not exist (schema present but not deployed)
    case '42P01': // relation does not exist
      return new SchemaNotDeployedError(context.schema);
    default:
      if (err?.code?.startsWith('JM')) return new JobMasterError(err.message ?? 'JobMaster error', { cause: error });
      return error;
  }
}
