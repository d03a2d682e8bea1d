/** How deep a value is shown; every door refuses deeper arguments (unsafe_value), so only older jobs hold such. */
export const SHOWN_DEPTH = 100;

/**
 * A JSON value as it can be shown and printed: anything nested deeper than `maxDepth` levels
 * is replaced by a string saying so. A job stored before the doors refused such arguments
 * (10,000 levels deep, say) would otherwise crash JSON.stringify, and with it `jm status ID`.
 * The walk stops at `maxDepth`, so it never recurses deeper than that. (Default: 100)
 */
export function shownJson<T>(value: T, maxDepth = SHOWN_DEPTH): T {
  return cut(value, maxDepth) as T;
}

function cut(value: unknown, depthLeft: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depthLeft <= 0) return `(nested more than ${SHOWN_DEPTH} levels deep: not shown)`;
  if (Array.isArray(value)) return value.map((v) => cut(v, depthLeft - 1));
  // fromEntries defines own properties, so a key named __proto__ stays a key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, depthLeft - 1)]));
}
