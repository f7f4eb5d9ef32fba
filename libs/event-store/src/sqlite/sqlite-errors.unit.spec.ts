import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../errors';
import { sqliteUnavailable } from './sqlite-errors';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('sqliteUnavailable', () => {
  it('names the reason an operator acts on', () => {
    const full = sqliteUnavailable(sqliteError('SQLITE_FULL', 'database or disk is full'), 'append failed');
    expect(full).toBeInstanceOf(StoreUnavailableError);
    expect(full).toMatchObject({ reason: 'disk_full', message: 'Event store temporarily unavailable: append failed (SQLITE_FULL: database or disk is full)' });
    expect(sqliteUnavailable(sqliteError('SQLITE_READONLY_DBMOVED', 'x'), 'append failed')).toMatchObject({ reason: 'read_only' });
    expect(sqliteUnavailable(sqliteError('SQLITE_BUSY', 'database is locked'), 'read failed')).toMatchObject({ reason: 'unknown' });
  });

  it('a disk I/O error on a file system with space left is not called a full disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-sqlite-errors-'));
    expect(sqliteUnavailable(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), 'append failed', join(dir, 'events.db'))).toMatchObject({ reason: 'unknown' });
    expect(sqliteUnavailable(Object.assign(new Error('no space'), { code: 'ENOSPC' }), 'append failed')).toMatchObject({ reason: 'disk_full' });
  });

  it('leaves a programming error as it is', () => {
    const bug = new TypeError('x is not a function');
    expect(sqliteUnavailable(bug, 'read failed')).toBe(bug);
    expect(sqliteUnavailable(sqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE failed'), 'append failed')).not.toBeInstanceOf(StoreUnavailableError);
  });

  it('at open: a data dir that cannot be created is unavailable, with what the file system said', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'csmcp-sqlite-errors-')), 'a-file');
    writeFileSync(file, '');
    const error = Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${file}/data'`), { code: 'ENOTDIR', syscall: 'mkdir' });
    expect(sqliteUnavailable(error, `cannot open ${file}/data/events.db`, `${file}/data/events.db`, true)).toMatchObject({
      reason: 'unknown',
      message: `Event store temporarily unavailable: cannot open ${file}/data/events.db: ENOTDIR: not a directory, mkdir '${file}/data'`,
    });
  });

  it('at open: SQLITE_CANTOPEN in a writable directory is not called read-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-sqlite-errors-'));
    const error = sqliteUnavailable(sqliteError('SQLITE_CANTOPEN', 'unable to open database file'), 'cannot open', join(dir, 'events.db'), true);
    expect(error).toMatchObject({ reason: 'unknown', message: 'Event store temporarily unavailable: cannot open (SQLITE_CANTOPEN: unable to open database file)' });
  });
});
