/**
 * Creating and dropping whole databases on a server (restores into a new
 * database, scratch databases for verification), over its maintenance
 * database `postgres`.
 */
import pg from 'pg';
import type { SslConfig } from '../config/config.js';
import { urlForDatabase } from './database.js';
import { connectionConfig } from './engines/postgres.js';

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A name ChamaHub creates (databases, roles): lower-case letters, digits and _, no quoting needed. */
export function isPlainIdentifier(name: string): boolean {
  return PLAIN_IDENTIFIER.test(name);
}

async function onMaintenanceDatabase(
  serverUrl: string,
  ssl: SslConfig | undefined,
  statement: string,
): Promise<void> {
  const client = new pg.Client(connectionConfig(urlForDatabase(serverUrl, 'postgres'), ssl));
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates `name` on the server of `serverUrl` and returns its URL. */
export async function createDatabase(
  serverUrl: string,
  name: string,
  ssl?: SslConfig,
): Promise<string> {
  if (!isPlainIdentifier(name)) throw new Error(`refusing to create a database named "${name}"`);
  await onMaintenanceDatabase(serverUrl, ssl, `CREATE DATABASE ${name} TEMPLATE template0`);
  return urlForDatabase(serverUrl, name);
}

export async function dropDatabase(
  serverUrl: string,
  name: string,
  ssl?: SslConfig,
): Promise<void> {
  if (!isPlainIdentifier(name)) throw new Error(`refusing to drop a database named "${name}"`);
  await onMaintenanceDatabase(serverUrl, ssl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
