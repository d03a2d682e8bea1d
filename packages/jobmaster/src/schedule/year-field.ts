/** The years a 7-field expression may name, as in Quartz (which NUTS follows). */
export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2099;

/**
 * Reads the year field of a 7-field cron expression: `*` or `?` (any year), a year, a range
 * `2026-2030`, a step `*\/2`, `2026/4` or `2026-2040/2`, or a comma-separated list of these.
 * Returns the allowed years in ascending order, or a reason the field is invalid.
 */
export function parseYearField(field: string): { years: number[] } | { problem: string } {
  const allowed = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\?|\d{4}(?:-\d{4})?)(?:\/(\d{1,3}))?$/.exec(part);
    if (!match) return { problem: `year field "${field}" must be *, a year such as 2027, a range 2026-2030 or a step */2, 2026/4` };
    const [, base, stepText] = match;
    let from = FIRST_YEAR;
    let to = LAST_YEAR;
    if (base !== '*' && base !== '?') {
      const [a, b] = base!.split('-').map(Number);
      from = a!;
      to = b ?? (stepText === undefined ? a! : LAST_YEAR);
    }
    if (from < FIRST_YEAR || to > LAST_YEAR)
      return { problem: `year ${from < FIRST_YEAR ? from : to} is out of range ${FIRST_YEAR}-${LAST_YEAR}` };
    if (from > to) return { problem: `year range ${from}-${to} runs backwards` };
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return { problem: `year step must be at least 1, got ${stepText}` };
    for (let year = from; year <= to; year += step) allowed.add(year);
  }
  return { years: [...allowed].sort((x, y) => x - y) };
}
