import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Database } from '../../db/database.js';
import { collectStats } from '../../ops/monitoring/stats.js';
import { requireAdmin } from '../authentication.js';

export interface AdminRoutesOptions {
  readonly database: Database;
  readonly adminToken: string | undefined;
}

/** Operator endpoints, behind ADMIN_TOKEN. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  app.get(
    '/api/admin/db/stats',
    {
      preHandler: requireAdmin(options.adminToken),
      schema: {
        summary:
          'Database statistics: connections, sizes, cache hit rate, heaviest statements, pool',
        security: [{ bearerAuth: [] }],
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    () => collectStats(options.database.db, options.database.engine, options.database.pool),
  );
  return Promise.resolve();
};
