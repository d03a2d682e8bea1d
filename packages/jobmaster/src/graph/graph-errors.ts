import { JobMasterError } from '../errors.js';

/** `jm graph --task` (or the dashboard's graph page) named a task the graph does not hold. */
export class TaskNotInGraphError extends JobMasterError {
  override readonly code = 'JM_UNKNOWN_TASK';
  constructor(
    readonly task: string,
    readonly source: 'code' | 'deployed',
  ) {
    super(
      source === 'code'
        ? `No task ${JSON.stringify(task.slice(0, 200))} in the task modules loaded ("jm tasks" lists them; name it as type_key.task_key)`
        : `No task ${JSON.stringify(task.slice(0, 200))} is deployed ("jm deploy" syncs the tasks in code; name it as type_key.task_key)`,
    );
  }
}
