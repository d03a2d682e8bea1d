/**
 * A data directory the embedded database cannot use (a file, a path under a file, a place
 * the user may not write) is refused in one line naming it and the reason, exit 1, and
 * nothing is created.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runJm } from '../support/run-jm.js';

const scratch = mkdtempSync(join(tmpdir(), 'jm-data-dir-'));
const aFile = join(scratch, 'afile');
writeFileSync(aFile, 'not a directory\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `jm status` on the embedded database in `dataDir` (JM_DATA_DIR), or in `cwd`'s `.jm`. */
const status = (options: { dataDir?: string; cwd?: string }) =>
  runJm(['status'], { env: { JM_DATA_DIR: options.dataDir }, ...(options.cwd && { cwd: options.cwd }) });

const refusal = (dataDir: string, reason: string): string =>
  `jm: Cannot use ${dataDir} for the embedded database: ${reason} (set JM_DATA_DIR to a directory you can write, or DATABASE_URL to use a server)\n`;

// sysfs refuses new directories to everyone, root included; procfs answers mkdir with ENOENT,
// on which Node's recursive mkdir loops forever.
const linuxOnly = it.skipIf(!statSync('/sys', { throwIfNoEntry: false })?.isDirectory() || !existsSync('/proc/self'));

describe('an unusable data directory for the embedded database', () => {
  it('a regular file is refused, and left as it was', async () => {
    expect(await status({ dataDir: aFile })).toEqual({ code: 1, stdout: '', stderr: refusal(aFile, 'it is a file') });
    expect(readFileSync(aFile, 'utf8')).toBe('not a directory\n');
  });

  it('a path under a regular file is refused, naming the file', async () => {
    const under = join(aFile, 'sub');
    expect(await status({ dataDir: under })).toEqual({ code: 1, stdout: '', stderr: refusal(under, `${aFile} is a file`) });
  });

  linuxOnly('a place where no directory may be created is refused without hanging', async () => {
    expect(await status({ dataDir: '/sys/jm-nope' })).toEqual({
      code: 1,
      stdout: '',
      stderr: refusal('/sys/jm-nope', 'permission denied'),
    });
    const underProc = await status({ dataDir: '/proc/jm-nope/data' });
    expect(underProc).toEqual({ code: 1, stdout: '', stderr: refusal('/proc/jm-nope/data', 'no directory can be created there') });
  });

  linuxOnly('the default .jm in a working directory that cannot hold it is refused the same way', async () => {
    expect(await status({ cwd: '/sys' })).toEqual({ code: 1, stdout: '', stderr: refusal('/sys/.jm', 'permission denied') });
  });
});
