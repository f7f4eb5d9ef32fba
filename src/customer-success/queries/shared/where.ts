import type { SqlParam } from '@csmcp/projections';

/**
 * Conditions of a read query, each with its own `?` parameters. Only conditions whose value is
 * given are added (PostgreSQL cannot type a parameter in `? IS NULL OR col = ?`), and column names
 * come from the handler's code, never from the input.
 */
export class Where {
  private readonly conditions: string[] = [];
  readonly params: SqlParam[] = [];

  add(condition: string | { sql: string; params: readonly SqlParam[] } | null, ...params: SqlParam[]): this {
    if (condition === null) return this;
    if (typeof condition === 'string') {
      this.conditions.push(condition);
      this.params.push(...params);
    } else {
      this.conditions.push(condition.sql);
      this.params.push(...condition.params);
    }
    return this;
  }

  /** `column IN (?, ...)` when a list is given. */
  in(column: string, values: readonly SqlParam[] | null): this {
    if (values === null) return this;
    if (values.length === 1) return this.add(`${column} = ?`, values[0]);
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  /** `column op ?` when the value is given. */
  compare(column: string, op: '=' | '<' | '<=' | '>' | '>=', value: SqlParam | undefined): this {
    if (value === null || value === undefined) return this;
    return this.add(`${column} ${op} ?`, value);
  }

  toSql(): string {
    return this.conditions.length === 0 ? '' : `WHERE ${this.conditions.join(' AND ')}`;
  }
}

/** A LIKE pattern matching `text` anywhere, with %, _ and \ taken literally (use with ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
