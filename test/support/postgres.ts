// PostgreSQL for the store tests: the local server in CI, a loud skip on a
// laptop without one. Under CI=true a missing server fails the run.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.MESH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true but ${PG_URL} is unreachable: ${(err as Error).message}`);
      process.stderr.write(
        `\n*** PostgreSQL not reachable at ${PG_URL}: the PostgreSQL store tests are SKIPPED (${(err as Error).message}) ***\n\n`,
      );
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/** A store URL on a fresh table, so test files never see each other's keys. */
export function freshPgStoreUrl(): string {
  return `${PG_URL}?table=mesh_test_${randomBytes(5).toString('hex')}`;
}

export async function dropTable(url: string): Promise<void> {
  const table = new URL(url).searchParams.get('table');
  if (!table) return;
  const u = new URL(url);
  u.searchParams.delete('table');
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  await client.query(`drop table if exists ${table}`);
  await client.end();
}
