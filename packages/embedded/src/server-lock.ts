import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// One process at a time may open an embedded data directory: PGlite has no lock of its own
// and two instances on one directory lose writes. The process serving it holds
// `server.lock`, created atomically (hard link of a complete temporary file, which fails
// when the lock exists), naming its pid and where it listens.

/** What the lock file says about the process serving the directory. */
export interface ServerLock {
  pid: number;
  /** The Unix socket directory (`host` for pg), or `127.0.0.1` when serving over TCP. */
  host: string;
  port: number;
  /** The command line of the serving process, for messages. */
  command: string;
  startedAt: string;
  /** Set once the database is open and the socket accepts connections. */
  ready?: boolean;
  /** True when this server created the database (its directory was empty). */
  created?: boolean;
  /** The first transaction id (xid8, as text) this server hands out; see `embeddedServerFirstXid`. */
  firstXid?: string;
}

export const LOCK_FILE = 'server.lock';
const TAKEOVER_FILE = 'server.lock.takeover';
/** A takeover marker older than this was left by a process that died while taking over. */
const STALE_TAKEOVER_MS = 30_000;

/** True when a process with this pid exists (it may belong to another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the lock; undefined when there is none. A lock that cannot be parsed reads as held by pid 0. */
export function readServerLock(dataDir: string): ServerLock | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as ServerLock;
  } catch {
    return { pid: 0, host: '', port: 0, command: '(unreadable lock file)', startedAt: '' };
  }
}

/** Creates the lock atomically; false when another process holds it. */
export function tryCreateServerLock(dataDir: string, lock: ServerLock): boolean {
  const temporary = join(dataDir, `${LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(temporary, JSON.stringify(lock));
  try {
    linkSync(temporary, join(dataDir, LOCK_FILE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Replaces the content of the lock this process holds (atomically: readers see old or new). */
export function updateServerLock(dataDir: string, lock: ServerLock): void {
  const temporary = join(dataDir, `${LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(temporary, JSON.stringify(lock));
  renameSync(temporary, join(dataDir, LOCK_FILE));
}

/** Removes the lock if this process holds it. */
export function releaseServerLock(dataDir: string, pid = process.pid): void {
  if (readServerLock(dataDir)?.pid === pid) unlinkSync(join(dataDir, LOCK_FILE));
}

/**
 * Removes a lock whose process is dead. Two processes finding the same stale lock must not
 * both remove it (the second would remove the first one's fresh lock), so removal happens
 * under a takeover marker created exclusively, after reading the lock again.
 */
export function removeStaleServerLock(dataDir: string, stale: ServerLock): void {
  const marker = join(dataDir, TAKEOVER_FILE);
  try {
    writeFileSync(marker, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(marker).mtimeMs > STALE_TAKEOVER_MS) unlinkSync(marker);
    } catch {
      // Gone meanwhile: the other process finished its takeover.
    }
    return;
  }
  try {
    const current = readServerLock(dataDir);
    if (current && current.pid === stale.pid && current.startedAt === stale.startedAt && !isAlive(current.pid)) {
      unlinkSync(join(dataDir, LOCK_FILE));
    }
  } finally {
    unlinkSync(marker);
  }
}
