import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError, type UnavailableReason } from '../errors';

/** SQLite codes that mean the database cannot work right now (retry later), not that the caller erred. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PERM|CORRUPT|NOTADB|PROTOCOL)/;
/** What opening a file in a directory one may not write answers (Node's recursive mkdir says ENOENT on a read-only file system). */
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOENT']);

/**
 * A SQLite (or file system) error as StoreUnavailableError, with the reason an operator acts on;
 * anything else unchanged. `filename` is the database file: SQLite says only "unable to open
 * database file" (SQLITE_CANTOPEN) or "disk I/O error" (SQLITE_IOERR_*) where a full disk or a
 * read-only directory is the cause, so the file system is looked at to tell. `opening`: the error
 * came from opening the file (a directory that cannot be written is then why).
 */
export function sqliteUnavailable(error: unknown, what: string, filename?: string, opening = false): Error {
  const code = (error as { code?: string })?.code ?? '';
  const file = filename && filename !== ':memory:' ? filename : null;
  const unwritable = file && opening && (NOT_WRITABLE.has(code) || code.startsWith('SQLITE_CANTOPEN')) ? unwritableDir(file) : null;
  if (unwritable)
    return new StoreUnavailableError(`${what}: its directory ${unwritable.dir} is read-only (${unwritable.code}; ${code}: ${(error as Error).message})`, error, 'read_only');
  if (UNAVAILABLE.test(code) || code === 'ENOSPC') {
    const reason = sqliteReason(code);
    return new StoreUnavailableError(`${what} (${code}: ${(error as Error).message})`, error, reason === 'unknown' && file && diskFull(file) ? 'disk_full' : reason);
  }
  // Creating the data dir failed for another reason (a file in the way, too many links...).
  if (file && opening && (error as NodeJS.ErrnoException)?.syscall) return new StoreUnavailableError(`${what}: ${(error as Error).message}`, error);
  return error instanceof Error ? error : new Error(String(error));
}

function sqliteReason(code: string): UnavailableReason {
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') return 'disk_full';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) return 'read_only';
  return 'unknown';
}

/** The nearest existing directory of the file, and why it cannot be written; null when it can. */
function unwritableDir(filename: string): { dir: string; code: string } | null {
  for (let dir = dirname(filename); ; dir = dirname(dir)) {
    try {
      accessSync(dir, constants.W_OK);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
      if (code !== 'ENOENT') return { dir, code };
      if (dir === dirname(dir)) return null;
    }
  }
}

/** No block left for the file's directory: a write failing there failed for want of space. */
function diskFull(filename: string): boolean {
  try {
    return statfsSync(dirname(filename)).bavail === 0;
  } catch {
    return false;
  }
}
