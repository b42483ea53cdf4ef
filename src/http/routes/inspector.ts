import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RuntimeEnv } from '../../config/config.js';
import type { AnyKysely } from '../../db/schema.js';
import { explain } from '../../db/inspector/explain.js';
import { notFound } from '../../domain/errors.js';
import { requireAdmin } from '../authentication.js';
import type { InspectorStore } from '../inspector/inspector-store.js';
import { INSPECTOR_PAGE } from '../inspector/page.js';

export interface InspectorRoutesOptions {
  readonly db: AnyKysely;
  readonly store: InspectorStore;
  readonly env: RuntimeEnv;
  readonly adminToken: string | undefined;
}

/**
 * The development page at /_inspector: open outside production; in
 * production only with ADMIN_TOKEN (as a bearer token, or ?token= for a browser).
 */
export const inspectorRoutes: FastifyPluginAsyncTypebox<InspectorRoutesOptions> = async (
  app,
  options,
) => {
  const admin = requireAdmin(options.adminToken);
  const access = async (request: FastifyRequest) => {
    if (options.env !== 'production') return;
    const token = (request.query as { token?: string } | undefined)?.token;
    if (token && !request.headers.authorization) request.headers.authorization = `Bearer ${token}`;
    await admin(request);
  };
  const hidden = { hide: true };

  app.get('/_inspector', { preHandler: access, schema: hidden }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(INSPECTOR_PAGE),
  );

  app.get('/_inspector/requests', { preHandler: access, schema: hidden }, (_request, reply) =>
    reply
      .type('application/json; charset=utf-8')
      .send(
        JSON.stringify(options.store.list(), (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value,
        ),
      ),
  );

  app.post(
    '/_inspector/explain',
    {
      preHandler: access,
      schema: {
        hide: true,
        body: Type.Object(
          {
            requestId: Type.String({ maxLength: 64 }),
            index: Type.Integer({ minimum: 0, maximum: 10_000 }),
            analyze: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { requestId, index, analyze } = request.body;
      const statement = options.store.find(requestId)?.statements[index];
      if (!statement)
        throw notFound(
          'statement_not_found',
          'That request or statement is no longer in the inspector',
        );
      const result = await explain(options.db, statement.sql, statement.parameters, {
        analyze: analyze ?? false,
      });
      return { sql: statement.sql, plan: result.plan, verdict: result.verdict };
    },
  );
  return Promise.resolve();
};
