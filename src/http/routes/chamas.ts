import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { formatCents } from '../../domain/money.js';
import { callerOf, requireCaller } from '../authentication.js';
import { bearerAuth, Cursor, Id, limit, Page, withErrors } from '../schemas.js';
import type { Services } from '../services.js';
import { sendJsonText, sendRenderedPage } from '../rendered.js';

const Tag = Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' });
const Latitude = Type.Number({ minimum: -90, maximum: 90 });
const Longitude = Type.Number({ minimum: -180, maximum: 180 });
const Location = Type.Object({ lat: Latitude, lng: Longitude }, { additionalProperties: false });
const ChamaParams = Type.Object({ chamaId: Id });

const ChamaFields = {
  name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
  description: Type.String({ maxLength: 5000 }),
  tags: Type.Array(Tag, { maxItems: 20 }),
  meetingLocation: Location,
};

const ChamaDetail = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  currency: Type.String(),
  isActive: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  meetingLocation: Type.Union([Location, Type.Null()]),
  chairId: Id,
  walletAccountId: Type.Union([Id, Type.Null()]),
  balance: Type.Union([Type.String(), Type.Null()]),
  myRole: Type.String(),
  members: Type.Array(
    Type.Object({
      userId: Id,
      firstName: Type.String(),
      lastName: Type.String(),
      role: Type.String(),
      status: Type.String(),
      joinedAt: Type.String(),
    }),
  ),
});

export const chamaRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const authenticated = requireCaller(services.auth);
  const { chamas } = services;

  app.get(
    '/api/chamas',
    {
      // contract B1: one statement whatever the limit.
      config: { queryBudget: 1 },
      schema: {
        tags: ['chamas'],
        summary: 'Active chamas, newest first (contract B1)',
        querystring: Type.Object(
          { limit: limit(50, 100), cursor: Type.Optional(Cursor), tag: Type.Optional(Tag) },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Page(
            Type.Object({
              id: Id,
              name: Type.String(),
              tags: Type.Array(Type.String()),
              memberCount: Type.Integer(),
              chair: Type.Object({ id: Id, name: Type.String() }),
            }),
          ),
        }),
      },
    },
    async (request, reply) => {
      const { limit: size, cursor, tag } = request.query;
      const page = await chamas.list({ limit: size, cursor, tag: tag?.toLowerCase() });
      return sendRenderedPage(reply, page);
    },
  );

  app.get(
    '/api/chamas/search',
    {
      // contract B2.
      config: { queryBudget: 1 },
      schema: {
        tags: ['chamas'],
        summary: 'Full-text search, best match first (contract B2)',
        description: 'q takes web-search syntax: "table banking" -youth',
        querystring: Type.Object(
          { q: Type.String({ minLength: 1, maxLength: 200 }), limit: limit(20, 100) },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(Type.Object({ id: Id, name: Type.String(), rank: Type.Number() })),
          }),
        }),
      },
    },
    async (request, reply) => {
      const items = await chamas.search(request.query.q, request.query.limit);
      return sendJsonText(reply, `{"items":${items}}`);
    },
  );

  app.get(
    '/api/chamas/nearby',
    {
      config: { queryBudget: 1 },
      schema: {
        tags: ['chamas'],
        summary: 'Active chamas meeting nearest to a point, nearest first',
        querystring: Type.Object(
          { lat: Latitude, lng: Longitude, limit: limit(10, 50) },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Id,
                name: Type.String(),
                meetingLocation: Location,
                distanceKm: Type.Number(),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => {
      const origin = { lat: request.query.lat, lng: request.query.lng };
      const rows = await chamas.nearby(origin, request.query.limit);
      return {
        items: rows.map((row) => ({
          id: Number(row.id),
          name: row.name,
          meetingLocation: { lat: row.lat, lng: row.lng },
          distanceKm: Math.round(haversineKm(origin, row) * 10) / 10,
        })),
      };
    },
  );

  app.post(
    '/api/chamas',
    {
      config: { queryBudget: 7 },
      preHandler: authenticated,
      schema: {
        tags: ['chamas'],
        summary: 'Create a chama; you become its chair',
        security: bearerAuth,
        body: Type.Object(
          {
            name: ChamaFields.name,
            description: Type.Optional(ChamaFields.description),
            tags: Type.Optional(ChamaFields.tags),
            currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            meetingLocation: Type.Optional(ChamaFields.meetingLocation),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: ChamaDetail }, 401),
      },
    },
    async (request, reply) => {
      const callerId = callerOf(request).userId;
      const id = await chamas.create(callerId, request.body);
      return reply.status(201).send(toDetail(await chamas.detail(id, callerId)));
    },
  );

  app.get(
    '/api/chamas/:chamaId',
    {
      config: { queryBudget: 2 },
      preHandler: authenticated,
      schema: {
        tags: ['chamas'],
        summary: 'A chama with all its members (members only)',
        security: bearerAuth,
        params: ChamaParams,
        response: withErrors({ 200: ChamaDetail }, 401, 403, 404),
      },
    },
    async (request) =>
      toDetail(await chamas.detail(BigInt(request.params.chamaId), callerOf(request).userId)),
  );

  app.patch(
    '/api/chamas/:chamaId',
    {
      config: { queryBudget: 6 },
      preHandler: authenticated,
      schema: {
        tags: ['chamas'],
        summary: 'Change name, description, tags or meeting place (chair only)',
        security: bearerAuth,
        params: ChamaParams,
        body: Type.Object(
          {
            name: Type.Optional(ChamaFields.name),
            description: Type.Optional(ChamaFields.description),
            tags: Type.Optional(ChamaFields.tags),
            meetingLocation: Type.Optional(Type.Union([Location, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: withErrors({ 200: ChamaDetail }, 401, 403, 404),
      },
    },
    async (request) => {
      const chamaId = BigInt(request.params.chamaId);
      const callerId = callerOf(request).userId;
      await chamas.update(chamaId, callerId, request.body);
      return toDetail(await chamas.detail(chamaId, callerId));
    },
  );

  app.post(
    '/api/chamas/:chamaId/deactivate',
    {
      config: { queryBudget: 6 },
      preHandler: authenticated,
      schema: {
        tags: ['chamas'],
        summary: 'Deactivate a chama (chair only); its history stays',
        security: bearerAuth,
        params: ChamaParams,
        response: withErrors({ 200: ChamaDetail }, 401, 403, 404),
      },
    },
    async (request) => {
      const chamaId = BigInt(request.params.chamaId);
      const callerId = callerOf(request).userId;
      await chamas.deactivate(chamaId, callerId);
      return toDetail(await chamas.detail(chamaId, callerId));
    },
  );
  return Promise.resolve();
};

type Detail = Awaited<ReturnType<Services['chamas']['detail']>>;

function toDetail(chama: Detail) {
  return {
    id: Number(chama.id),
    name: chama.name,
    description: chama.description,
    tags: chama.tags,
    currency: chama.currency,
    isActive: chama.is_active,
    createdAt: chama.created_at.toISOString(),
    meetingLocation:
      chama.lat === null || chama.lng === null ? null : { lat: chama.lat, lng: chama.lng },
    chairId: Number(chama.chair_id),
    walletAccountId: chama.wallet_account_id === null ? null : Number(chama.wallet_account_id),
    balance: chama.wallet_balance === null ? null : formatCents(chama.wallet_balance),
    myRole: chama.reader_role ?? 'none',
    members: chama.members,
  };
}

/** Great-circle distance; display only, never money. */
function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
