import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** The local PostgreSQL the integration tests use (trust auth). */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name of its own for one test file, so runs never see each other's events. */
export function freshSchemaName(label: string): string {
  return `es_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
