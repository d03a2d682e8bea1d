import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ChildReport } from './worker-child.js';

const CHILD = fileURLToPath(new URL('./worker-child.js', import.meta.url));

/**
 * Runs a worker in a child process until it has seen `config.expected` jobs, or until
 * `timeBoxMs` has passed since it became ready (then it reports what it did in that time).
 * `whileRunning` runs once the worker is ready (e.g. to enqueue jobs one at a time).
 */
export async function runWorkerChild(
  config: ChildConfig,
  options: { timeBoxMs: number; whileRunning?: () => Promise<void> },
): Promise<ChildReport> {
  const child = fork(CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return await new Promise<ChildReport>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    const settle = (error: Error | null, report?: ChildReport): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(report!);
    };
    child.on('message', (message: { type: string; report?: ChildReport }) => {
      if (message.type === 'ready') {
        timer = setTimeout(() => child.send({ type: 'finish' }), options.timeBoxMs);
        options.whileRunning?.().catch((error: unknown) => settle(error as Error));
      } else if (message.type === 'done') settle(null, message.report!);
    });
    child.on('exit', (code) => settle(new Error(`${config.system} worker process exited with code ${String(code)} before reporting`)));
    child.on('error', (error) => settle(error));
  });
}
