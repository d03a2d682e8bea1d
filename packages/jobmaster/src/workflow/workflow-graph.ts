import type { WorkflowStep } from './workflow-definition.js';

/**
 * A cycle among the steps' requirements, as step ids from one step back to itself
 * (`a -> b -> a`), or null. Iterative, so 1,000 chained steps cannot exhaust the stack.
 */
export function findCycle(steps: Pick<WorkflowStep, 'id' | 'requires'>[]): string[] | null {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'open' | 'done'>();
  for (const start of steps) {
    if (state.has(start.id)) continue;
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, 'open');
    path.push(start.id);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const requires = byId.get(top.id)?.requires ?? [];
      if (top.next >= requires.length) {
        state.set(top.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const child = requires[top.next++]!;
      if (!byId.has(child)) continue;
      const seen = state.get(child);
      if (seen === 'open') return [...path.slice(path.indexOf(child)), child];
      if (seen === undefined) {
        state.set(child, 'open');
        path.push(child);
        stack.push({ id: child, next: 0 });
      }
    }
  }
  return null;
}

/** Steps in an order where every step comes after the steps it requires (the steps must have no cycle). */
export function topologicalOrder<T extends Pick<WorkflowStep, 'id' | 'requires'>>(steps: T[]): T[] {
  const done = new Set<string>();
  const ordered: T[] = [];
  let remaining = [...steps];
  while (remaining.length > 0) {
    const ready = remaining.filter((s) => s.requires.every((r) => done.has(r)));
    if (ready.length === 0) return [...ordered, ...remaining];
    for (const s of ready) {
      done.add(s.id);
      ordered.push(s);
    }
    remaining = remaining.filter((s) => !done.has(s.id));
  }
  return ordered;
}
