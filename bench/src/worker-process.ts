import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ChildReport } from './worker-child.js';

const CHILD = fileURLToPath(new URL('./worker-child.js', import.meta.url));

/** How the parent follows a worker child. */
export interface ChildRunOptions {
  /** Report after this long since the worker became ready even if not every job was seen. */
  timeBoxMs: number;
  /** Runs once the worker is ready (e.g. to enqueue jobs one at a time). */
  whileRunning?: () => Promise<void>;
  /**
   * With `config.waitForFinish`: runs when the handler has started every expected job; the
   * child is told to stop once it resolves (the drain waits here for the last completion to commit).
   */
  afterSeenAll?: () => Promise<void>;
  /** Runs when the time box ends, before the child is told to stop (the drain counts what committed). */
  atTimeBox?: () => Promise<void>;
}

/**
 * Runs a worker in a child process until it has seen `config.expected` jobs (and, with
 * `waitForFinish`, until `afterSeenAll` resolves), or until `timeBoxMs` has passed since it
 * became ready (then it reports what it did in that time).
 */
export async function runWorkerChild(config: ChildConfig, options: ChildRunOptions): Promise<ChildReport> {
  const child = fork(CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return await new Promise<ChildReport>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    let finishSent = false;
    const settle = (error: Error | null, report?: ChildReport): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(report!);
    };
    const finishAfter = (step: (() => Promise<void>) | undefined): void => {
      if (finishSent) return;
      finishSent = true;
      if (timer) clearTimeout(timer);
      (step ?? (async () => {}))()
        .then(() => child.send({ type: 'finish' }))
        .catch((error: unknown) => settle(error as Error));
    };
    child.on('message', (message: { type: string; report?: ChildReport }) => {
      if (message.type === 'ready') {
        if (!finishSent) timer = setTimeout(() => finishAfter(options.atTimeBox), options.timeBoxMs);
        options.whileRunning?.().catch((error: unknown) => settle(error as Error));
      } else if (message.type === 'seen-all' && config.waitForFinish) finishAfter(options.afterSeenAll);
      else if (message.type === 'done') settle(null, message.report!);
    });
    child.on('exit', (code) => settle(new Error(`${config.system} worker process exited with code ${String(code)} before reporting`)));
    child.on('error', (error) => settle(error));
  });
}
