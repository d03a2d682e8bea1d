// The dependency chain from the JobMaster README's "Simple example": baz needs foo and bar,
// bar needs foo. Enqueue baz alone and the worker inserts foo and bar first (at baz's
// priority + 1), runs them in order, then runs baz.
//
// The README's version could never run, so two things are fixed here:
// - bar's dependency on foo gave only file_path, but foo requires number: it now asks for
//   foo with number 10 (the value baz also expects foo to have written);
// - baz's dependency on bar gave only file_path, but bar requires number: it now passes 5;
// - `process_limit=3` was not an option: it is `processUnits: 3`.
import { readFileSync, writeFileSync } from 'node:fs';
import { Dependency, same, task } from 'jobmaster';

export class NiceTasks {
  /**
   * Write a number to a file.
   *
   * @param file_path the file to write to
   * @param number the number to write
   */
  @task({ params: { number: { type: 'integer' } } })
  static foo(file_path: string, number: number): void {
    writeFileSync(file_path, String(number));
  }

  /**
   * Add a number to the one in the file, then append a letter.
   *
   * @param file_path the file foo wrote
   * @param number the number to add
   * @param letter the letter to append
   */
  @task({
    dependencies: Dependency(() => NiceTasks.foo, 6, { file_path: same, number: 10 }),
    params: { number: { type: 'integer' }, letter: { selectFrom: ['A', 'B', 'C'] } },
  })
  static bar(file_path: string, number: number, letter = 'A'): string {
    const current = Number(readFileSync(file_path, 'utf8'));
    const written = `${number + current}${letter}`;
    writeFileSync(file_path, written);
    return written;
  }

  /**
   * Read what foo and bar left in the file.
   *
   * @param file_path the file to read
   */
  @task({
    processUnits: 3,
    dependencies: [
      Dependency(() => NiceTasks.foo, 2, { number: 10, file_path: same }),
      Dependency(() => NiceTasks.bar, 2, { file_path: same, number: 5 }),
    ],
  })
  static baz(file_path: string): string {
    return readFileSync(file_path, 'utf8');
  }
}
