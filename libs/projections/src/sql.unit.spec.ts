import { toPostgresPlaceholders } from './sql';

describe('toPostgresPlaceholders', () => {
  it('numbers ? placeholders in order', () => {
    expect(toPostgresPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe('SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)');
  });

  it('leaves SQL without placeholders alone', () => {
    const sql = 'SELECT 1';
    expect(toPostgresPlaceholders(sql)).toBe(sql);
  });

  it('skips question marks inside string literals, with doubled quotes', () => {
    expect(toPostgresPlaceholders("SELECT 'what?', 'it''s ?', ? FROM t")).toBe("SELECT 'what?', 'it''s ?', $1 FROM t");
  });

  it('skips E-strings with backslash escapes', () => {
    expect(toPostgresPlaceholders("SELECT E'a\\'?', ?")).toBe("SELECT E'a\\'?', $1");
  });

  it('skips quoted identifiers', () => {
    expect(toPostgresPlaceholders('SELECT "odd?name", "a""?" FROM t WHERE x = ?')).toBe('SELECT "odd?name", "a""?" FROM t WHERE x = $1');
  });

  it('skips line and (nested) block comments', () => {
    expect(toPostgresPlaceholders('SELECT ? -- really?\n, /* a /* b? */ c? */ ?')).toBe('SELECT $1 -- really?\n, /* a /* b? */ c? */ $2');
  });

  it('skips dollar-quoted strings', () => {
    expect(toPostgresPlaceholders('SELECT $$x?$$, $tag$ ? $$ ? $tag$, ?')).toBe('SELECT $$x?$$, $tag$ ? $$ ? $tag$, $1');
  });

  it('keeps existing $n and identifiers containing $', () => {
    expect(toPostgresPlaceholders('SELECT a$b, ? FROM t')).toBe('SELECT a$b, $1 FROM t');
  });

  it('answers the same for the same statement (cached)', () => {
    const sql = 'UPDATE t SET a = ? WHERE id = ?';
    expect(toPostgresPlaceholders(sql)).toBe(toPostgresPlaceholders(sql));
    expect(toPostgresPlaceholders(sql)).toBe('UPDATE t SET a = $1 WHERE id = $2');
  });
});
