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
  UnknownWorkflowError,
  WorkflowRunKeyConflictError,
  WorkflowRunNotFoundError,
} from '../errors.js';

/** "things1.foo: " when the task is known. */
function subject(context: { typeKey?: string; taskKey?: string }): string {
  return context.typeKey !== undefined && context.taskKey !== undefined ? `${context.typeKey}.${context.taskKey}: ` : '';
}

function taskFact(context: { typeKey?: string; taskKey?: string }): { task?: string } {
  return context.typeKey !== undefined && context.taskKey !== undefined ? { task: `${context.typeKey}.${context.taskKey}` } : {};
}

/** What PostgreSQL refused in the input, in JobMaster's words. */
function inputProblem(err: PgError): string {
  switch (err.code) {
    case '22P05':
    case '22021':
      return 'the input holds a NUL character (\\u0000), which PostgreSQL cannot store';
    case '22008':
      return 'a date is beyond what PostgreSQL holds (4713 BC to 294276 AD)';
    default:
      return `PostgreSQL refused the input: ${err.message ?? 'invalid input'}`;
  }
}

interface PgError {
  code?: string;
  message?: string;
  detail?: string;
}

/** The JSON object JobMaster's SQL puts in an error's detail, or {} when there is none. */
function detailOf(err: PgError): Record<string, string> {
  return detailValues(err) as Record<string, string>;
}

function detailValues(err: PgError): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(err.detail ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
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
    case 'JM002': {
      const d = detailValues(err);
      return new InvalidArgumentsError(err.message ?? 'Invalid arguments', {
        cause: error,
        ...(typeof d.task === 'string' && { task: d.task }),
        ...(typeof d.parameter === 'string' && { parameter: d.parameter }),
        ...('value' in d && { value: d.value }),
      });
    }
    // Input PostgreSQL itself refuses before JobMaster's rules see it.
    case '22P05': // a NUL character (\u0000) in JSON text
    case '22P02': // text that is not JSON, or not a number or date
    case '22007': // a malformed date
    case '22008': // a date beyond what PostgreSQL holds
    case '22021': // a NUL byte in a text value (a task name, a job key)
      return new InvalidArgumentsError(`${subject(context)}${inputProblem(err)}`, { cause: error, ...taskFact(context) });
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
    case 'JM008': // workflows (sql/functions/start_workflow_run.sql and the run operations)
      return new UnknownWorkflowError(err.detail ?? '?');
    case 'JM009':
      return new WorkflowRunNotFoundError(err.detail ?? '?');
    case 'JM010': {
      const d = detailOf(err);
      return new WorkflowRunKeyConflictError(d.workflow ?? '?', d.run_key ?? '?', d.run_id ?? '?');
    }
    case '3F000': // schema does not exist
    case '42883': // function does not exist (schema present but not deployed)
    case '42P01': // relation does not exist
      return new SchemaNotDeployedError(context.schema);
    default:
      if (err?.code?.startsWith('JM')) return new JobMasterError(err.message ?? 'JobMaster error', { cause: error });
      return error;
  }
}
