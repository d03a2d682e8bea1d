import { InvalidArgumentsError } from '../errors.js';

/** Splits `type.task` into its keys. */
export function parseTaskName(name: string): { typeKey: string; taskKey: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) {
    throw new InvalidArgumentsError(
      `Task name ${JSON.stringify(name.slice(0, 80))} must be written as type_key.task_key, e.g. things1.foo`,
    );
  }
  return { typeKey: name.slice(0, dot), taskKey: name.slice(dot + 1) };
}
