/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  // Loaded when a question is asked: only `deploy --reset` asks one.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
