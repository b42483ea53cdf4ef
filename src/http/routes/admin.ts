import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Database } from '../../db/database.js';
import { usersWantingNotification } from '../../domain/users/user-repository.js';
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
      config: { queryBudget: 6 },
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

  app.get(
    '/api/admin/users/notify',
    {
      config: { queryBudget: 1 },
      preHandler: requireAdmin(options.adminToken),
      schema: {
        summary: 'Users who want reminders by this channel (for an SMS or email run)',
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            channel: Type.Union([Type.Literal('sms'), Type.Literal('email'), Type.Literal('push')]),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                email: Type.String(),
                phone: Type.Union([Type.String(), Type.Null()]),
                firstName: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const rows = await usersWantingNotification(
        options.database.db,
        request.query.channel,
        request.query.limit,
      );
      return {
        items: rows.map((row) => ({
          id: Number(row.id),
          email: row.email,
          phone: row.phone,
          firstName: row.first_name,
        })),
      };
    },
  );
  return Promise.resolve();
};
