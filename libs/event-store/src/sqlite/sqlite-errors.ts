import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError, type UnavailableReason } from '../errors';

/** SQLite codes that mean the database cannot work right now (retry later), not that the caller erred. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PERM|CORRUPT|NOTADB|PROTOCOL)/;
/** What opening a file in a directory one may not write answers (Node's recursive mkdir says ENOENT on a read-only file system). */
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOENT']);

/**
 * A SQLite (or file system) error as StoreUnavailableError, with the reason an operator acts on;
 * anything else unchanged. `filename` is the database file, when the error came from opening it:
 * SQLite says only "unable to open database file" (SQLITE_CANTOPEN), so its directory is looked at
 * to tell a read-only data dir from the rest.
 */
export function sqliteUnavailable(error: unknown, what: string, filename?: string): Error {
  const code = (error as { code?: string })?.code ?? '';
  const unwritable = filename && filename !== ':memory:' && (NOT_WRITABLE.has(code) || code.startsWith('SQLITE_CANTOPEN')) ? unwritableDir(filename) : null;
  if (unwritable)
    return new StoreUnavailableError(`${what}: its directory ${unwritable.dir} is read-only (${unwritable.code}; ${code}: ${(error as Error).message})`, error, 'read_only');
  if (UNAVAILABLE.test(code)) return new StoreUnavailableError(`${what} (${code}: ${(error as Error).message})`, error, sqliteReason(code));
  // Creating the data dir failed for another reason (a file in the way, too many links...).
  if (filename && (error as NodeJS.ErrnoException)?.syscall) return new StoreUnavailableError(`${what}: ${(error as Error).message}`, error);
  return error instanceof Error ? error : new Error(String(error));
}

function sqliteReason(code: string): UnavailableReason {
  if (code.startsWith('SQLITE_FULL')) return 'disk_full';
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
