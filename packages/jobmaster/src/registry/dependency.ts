import { TaskRegistrationError } from '../errors.js';
import type { ArithmeticStep, JsonValue } from './task-definition.js';

// Brands (not instanceof) so values made by another copy of this module are recognised.
/** @internal */
export const SAME_BRAND: unique symbol = Symbol.for('jobmaster.same') as never;
/** @internal */
export const DEPENDENCY_BRAND: unique symbol = Symbol.for('jobmaster.Dependency') as never;

/** Freshness window bounds and default, in hours. */
export const DEPENDENCY_HOURS = { min: 2 / 60, max: 30 * 24, default: 30 * 24 } as const;

/**
 * "The dependent job's own value" in dependency arguments, optionally transformed:
 * `same` takes the dependent's parameter of the same name, `same.of('n')` its parameter
 * `n`; `.plus(x)`, `.minus(x)`, `.times(x)`, `.dividedBy(x)` chain arithmetic applied in
 * order (numeric parameters only). Values are immutable: each call returns a new one.
 */
export class SameValue {
  readonly [SAME_BRAND] = true;
  constructor(
    /** Parameter of the dependent to read, or null for the parameter of the same name. */
    readonly parameter: string | null = null,
    /** Arithmetic applied to the value, in order. */
    readonly ops: readonly ArithmeticStep[] = [],
  ) {}

  /** Takes the dependent's parameter `parameter` instead of the one of the same name. */
  of(parameter: string): SameValue {
    return new SameValue(parameter, this.ops);
  }
  /** Adds `n`. */
  plus(n: number): SameValue {
    return this.step('+', n);
  }
  /** Subtracts `n`. */
  minus(n: number): SameValue {
    return this.step('-', n);
  }
  /** Multiplies by `n`. */
  times(n: number): SameValue {
    return this.step('*', n);
  }
  /** Divides by `n` (not zero). */
  dividedBy(n: number): SameValue {
    if (n === 0) throw new RangeError('same.dividedBy(0): cannot divide by zero');
    return this.step('/', n);
  }

  private step(op: ArithmeticStep['op'], operand: number): SameValue {
    if (typeof operand !== 'number' || !Number.isFinite(operand)) {
      throw new RangeError(`same arithmetic needs a finite number, got ${String(operand)}`);
    }
    return new SameValue(this.parameter, [...this.ops, { op, operand }]);
  }

  /** True for a SameValue from any copy of this module. */
  static isSameValue(value: unknown): value is SameValue {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SAME_BRAND] === true;
  }
}

/**
 * In dependency arguments, the dependent job's value of the parameter with the same name;
 * `same.of('n')` takes its parameter `n` instead, and `.plus(x)`, `.minus(x)`, `.times(x)`,
 * `.dividedBy(x)` chain arithmetic on numeric values, applied in order.
 */
export const same: SameValue = new SameValue();

/**
 * How a dependency names its task: a registered method or function (`Reports.build`),
 * a thunk returning one (`() => Reports.build`, for references to methods of the class
 * being declared), or a string `'typeKey.taskKey'` or `'taskKey'` (same type key as the
 * dependent). Resolved when the registry is validated, so order of declaration is free.
 */
export type TaskReference = string | Function | (() => Function | string);

/** An argument of a dependency job: a JSON literal or {@link same}. */
export type DependencyArgumentValue = JsonValue | SameValue;

/** A dependency as declared, before the registry resolves it. See {@link Dependency}. */
export interface DependencyDeclaration {
  readonly [DEPENDENCY_BRAND]: true;
  readonly task: TaskReference;
  /** Freshness window in hours, already clamped. */
  readonly hours: number;
  readonly args: Readonly<Record<string, DependencyArgumentValue>>;
}

/**
 * Declares that a task needs a recent completed job of another task before it runs.
 *
 * @param task - The task depended on. See {@link TaskReference}.
 * @param hours - How recently the dependency job must have completed, clamped to
 *   [2 minutes, 30 days]. Must be positive. (Default: 720, i.e. 30 days)
 * @param args - Arguments the dependency job must have: JSON literals or {@link same}.
 *   (Default: {})
 *
 * @example
 * ```ts
 * @task({ dependencies: [Dependency(Files.fetch, 6, { path: same, retries: 3 })] })
 * ```
 */
export function Dependency(
  task: TaskReference,
  hours: number = DEPENDENCY_HOURS.default,
  args: Record<string, DependencyArgumentValue> = {},
): DependencyDeclaration {
  const described = typeof task === 'string' ? task : task.name || 'a task';
  if (typeof hours !== 'number' || Number.isNaN(hours) || hours <= 0) {
    throw new TaskRegistrationError(`dependency on ${described}`, `hours must be a positive number, got ${String(hours)}`);
  }
  if (typeof task !== 'string' && typeof task !== 'function') {
    throw new TaskRegistrationError('dependency', 'task must be a task function, a thunk returning one, or a "type.task" string');
  }
  const clamped = Math.min(DEPENDENCY_HOURS.max, Math.max(DEPENDENCY_HOURS.min, hours));
  return Object.freeze({ [DEPENDENCY_BRAND]: true as const, task, hours: clamped, args: Object.freeze({ ...args }) });
}

/** True for a value returned by {@link Dependency} (from any copy of this module). */
export function isDependencyDeclaration(value: unknown): value is DependencyDeclaration {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEPENDENCY_BRAND] === true;
}
