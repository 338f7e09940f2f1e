// @keyv/postgres with a pool of its own that survives the server going away.
// The stock adapter keeps one module-wide pg.Pool with no 'error' listener:
// when PostgreSQL stops (restart, failover, an admin ending sessions), every
// idle connection errors, the pool re-emits that as 'error', and Node ends the
// process for an unhandled 'error' event; the hub died with its store. Here
// each adapter owns a pool that drops broken connections quietly (the next
// query opens a new one, or fails with STORE_UNAVAILABLE at its call site),
// and bounded timeouts keep a hung server from hanging callers.
import KeyvPostgres, { type KeyvPostgresOptions } from '@keyv/postgres';
import pg from 'pg';

/** Waiting for a connection, ms: a server that accepts nothing is an outage, not a slow call. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** One query, ms (client side): a server that stopped answering mid-query must not hang a write. */
export const QUERY_TIMEOUT_MS = 15_000;

type Query = (sql: string, values?: unknown) => Promise<any[]>;

export class ResilientKeyvPostgres extends KeyvPostgres {
  // Set from connect(), which the base constructor calls before this class's
  // field initializers would run: declared only, so no initializer resets it.
  declare private ownPool: pg.Pool | undefined;
  /** Idle connections lost since start (a server restart, an ended session). */
  declare lostConnections: number;

  constructor(options: KeyvPostgresOptions, onConnectionLost: (err: Error) => void = () => {}) {
    super(options);
    this.ownPool!.on('error', (err) => {
      this.lostConnections = (this.lostConnections ?? 0) + 1;
      onConnectionLost(err);
    });
  }

  override async connect(): Promise<Query> {
    // Called from the base constructor: create the pool synchronously so the constructor above can listen on it.
    this.ownPool ??= new pg.Pool({
      ...this.opts,
      connectionString: this.opts.uri,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    const pool = this.ownPool;
    return async (sql, values) => (await pool.query(sql as string, values as unknown[])).rows;
  }

  override async disconnect(): Promise<void> {
    await this.ownPool?.end();
  }
}
