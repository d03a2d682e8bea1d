import { InvalidArgumentsError, parseJobStatus, parseTaskName, type JobStatus } from 'jobmaster';
import { parseAge } from './parse.js';

/** Reads `--task type.task`, naming the flag when it is malformed. */
export function parseTaskFlag(text: string, flag = '--task'): { typeKey: string; taskKey: string } {
  try {
    return parseTaskName(text);
  } catch (error) {
    if (error instanceof InvalidArgumentsError) throw new InvalidArgumentsError(`${flag}: ${error.message}`);
    throw error;
  }
}

/** Reads `--status`, naming the flag when it is not a job status. */
export function parseStatusFlag(text: string, flag = '--status'): JobStatus {
  return parseJobStatus(text, flag);
}

/** Reads `--since 1h` as the time that long ago. */
export function parseSinceFlag(text: string, now = Date.now(), flag = '--since'): Date {
  return new Date(now - parseAge(text, flag, now));
}
