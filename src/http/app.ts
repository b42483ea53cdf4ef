import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import { shippedMigrationNames } from '../db/migrator.js';
import { registerErrorHandling } from './error-handler.js';
import { healthRoutes } from './routes/health.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'logLevel'>;
  readonly database: Database;
}

/** Builds the HTTP application; `serve` listens with it, tests drive it with inject(). */
export async function buildApp({ config, database }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    // Reject ambiguous input instead of guessing what the client meant.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  await app.register(healthRoutes, {
    db: database.db,
    engine: database.engine,
    shippedMigrations: await shippedMigrationNames(),
  });
  return app;
}
