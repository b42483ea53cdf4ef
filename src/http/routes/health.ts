import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnyKysely } from '../../db/schema.js';
import type { PoolFigures } from '../../db/database.js';
import { checkReadiness } from '../../db/readiness.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  engine: Type.String(),
  databaseReachable: Type.Boolean(),
  appliedMigrations: Type.Integer(),
  pendingMigrations: Type.Array(Type.String()),
  problem: Type.Optional(Type.String()),
  pool: Type.Optional(
    Type.Object({
      total: Type.Integer(),
      idle: Type.Integer(),
      waiting: Type.Integer(),
      max: Type.Integer(),
    }),
  ),
});

export interface HealthRoutesOptions {
  readonly db: AnyKysely;
  readonly engine: string;
  readonly shippedMigrations: readonly string[];
  readonly pool?: (() => PoolFigures) | undefined;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (
  app,
  options,
) => {
  app.get(
    '/api/health',
    {
      config: { queryBudget: 0 },
      schema: {
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/api/health/ready',
    {
      config: { queryBudget: 2 },
      schema: {
        summary: 'Readiness: the database is reachable and every migration is applied',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const readiness = await checkReadiness(options.db, options.shippedMigrations);
      return reply.status(readiness.ready ? 200 : 503).send({
        status: readiness.ready ? 'ready' : 'not_ready',
        engine: options.engine,
        databaseReachable: readiness.databaseReachable,
        appliedMigrations: readiness.appliedMigrations,
        pendingMigrations: [...readiness.pendingMigrations],
        ...(readiness.problem ? { problem: readiness.problem } : {}),
        ...(options.pool ? { pool: options.pool() } : {}),
      });
    },
  );
  return Promise.resolve();
};
