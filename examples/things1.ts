// The task from the JobMaster README, so its SQL works verbatim:
//   call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/tmp/sum.txt", "number": 2}'::json)
// Registered as type key "things1" (this module's name) and task key "foo".
import { writeFileSync } from 'node:fs';
import { task } from 'jobmaster';

// Python wrote `number: [1, 2, 3]`; TypeScript erases `1 | 2 | 3` at run time, so the
// select-from values are declared in the decorator.
export class Things1 {
  /**
   * Write a number to a file.
   *
   * @param file_path the file to write to
   * @param number the number to write
   */
  @task({ params: { number: { type: 'integer', selectFrom: [1, 2, 3] } } })
  static foo(file_path: string, number: 1 | 2 | 3): void {
    writeFileSync(file_path, String(number));
  }
}
