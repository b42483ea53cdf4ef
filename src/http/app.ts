import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import { BUILT_IN_MIGRATIONS_DIR, readMigrationFiles } from '../db/migrator/index.js';
import { registerErrorHandling } from './error-handler.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { chamaRoutes } from './routes/chamas.js';
import { healthRoutes } from './routes/health.js';
import { memberRoutes } from './routes/members.js';
import { moneyRoutes } from './routes/money.js';
import { InspectorStore } from './inspector/inspector-store.js';
import { registerRequestInspection } from './inspector/request-inspection.js';
import { inspectorRoutes } from './routes/inspector.js';
import { ErrorResponse } from './schemas.js';
import { createServices } from './services.js';
import { validatorCompiler } from './validation.js';

export interface AppDependencies {
  readonly config: Pick<
    Config,
    'logLevel' | 'auth' | 'trustProxy' | 'migrationsDir' | 'env' | 'inspector'
  > &
    Partial<Pick<Config, 'adminToken'>>;
  /** Where log lines go (stdout by default); tests read them. */
  readonly logStream?: NodeJS.WritableStream;
  readonly database: Database;
}

/** Builds the HTTP application; `serve` listens with it, tests drive it with inject(). */
export async function buildApp({
  config,
  database,
  logStream,
}: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel, ...(logStream ? { stream: logStream } : {}) },
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);

  registerErrorHandling(app);
  const inspectorStore = new InspectorStore();
  registerRequestInspection(app, {
    ...config.inspector,
    store: inspectorStore,
    exposeProblems: config.env === 'test',
  });
  app.addSchema(ErrorResponse);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ChamaHub API',
        version: '1',
        description:
          'Savings groups (chamas): members, contributions, wallets and transfers. ' +
          'Money is a decimal string with two places; errors are {"error":{"code","message"}}.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const services = createServices(database.db, config);
  await app.register(healthRoutes, {
    db: database.db,
    engine: database.engine,
    pool: database.pool,
    shippedMigrations: (
      await readMigrationFiles(config.migrationsDir ?? BUILT_IN_MIGRATIONS_DIR)
    ).map((file) => file.name),
  });
  await app.register(authRoutes, { services });
  await app.register(chamaRoutes, { services });
  await app.register(memberRoutes, { services });
  await app.register(moneyRoutes, { services });
  await app.register(adminRoutes, { database, adminToken: config.adminToken });
  await app.register(inspectorRoutes, {
    db: database.db,
    store: inspectorStore,
    env: config.env,
    adminToken: config.adminToken,
  });
  return app;
}
