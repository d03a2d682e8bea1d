import chalk, { Chalk, type ChalkInstance } from 'chalk';

/** Where a command writes, and whether it may use colour. */
export interface Output {
  write(text: string): void;
  error(text: string): void;
  color: ChalkInstance;
  isTTY: boolean;
}

/** Standard output, coloured only on a TTY and when NO_COLOR is unset. */
export function terminalOutput(): Output {
  const isTTY = Boolean(process.stdout.isTTY);
  const useColor = isTTY && !('NO_COLOR' in process.env) && chalk.level > 0;
  return {
    write: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    error: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: new Chalk({ level: useColor ? chalk.level || 1 : 0 }),
    isTTY,
  };
}

/** Prints a value as one JSON document. */
export function printJson(out: Output, value: unknown): void {
  out.write(JSON.stringify(value, null, 2));
}

/** Pads columns to their widest cell; `colors` styles whole columns. */
export function formatTable(headers: string[], rows: string[][], style?: (column: number, cell: string) => string): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[], styled: boolean): string =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        return (styled && style ? style(i, cell) : cell) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, false), ...rows.map((r) => line(r, true))].join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}
