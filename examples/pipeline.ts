// The tasks of the example workflow (examples/workflows/pipeline.yaml): extract -> transform
// and, in parallel, profile -> load. Each returns what its dependents read through
// ${{ steps.ID.result... }} references.
import { task } from 'jobmaster';

export class Pipeline {
  /**
   * Reads the day's orders (here: made up from the day, so the demo needs no data).
   * @param day the day to extract, e.g. 2026-12-03
   */
  @task()
  static extract(day: string): { day: string; orders: number[] } {
    const seed = [...day].reduce((sum, c) => sum + c.charCodeAt(0), 0);
    return { day, orders: Array.from({ length: 5 }, (_, i) => ((seed * (i + 7)) % 90) + 10) };
  }

  /**
   * Applies VAT to every order.
   * @param orders the order amounts
   * @param rate the VAT rate
   */
  @task()
  static transform(orders: number[], rate = 0.2): { total: number; count: number } {
    const total = orders.reduce((sum, o) => sum + o * (1 + rate), 0);
    return { total: Math.round(total * 100) / 100, count: orders.length };
  }

  /**
   * Finds the largest order, beside the main branch.
   * @param orders the order amounts
   */
  @task()
  static profile(orders: number[]): { largest: number } {
    return { largest: Math.max(...orders) };
  }

  /**
   * Loads the day's figures (here: prints them).
   * @param day the day
   * @param total the total with VAT
   * @param largest the largest order
   */
  @task()
  static load(day: string, total: number, largest: number): string {
    const line = `${day}: total ${total}, largest order ${largest}`;
    console.log(line);
    return line;
  }
}
