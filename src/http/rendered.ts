import type { FastifyReply } from 'fastify';

/**
 * Sends a page whose items PostgreSQL already rendered as JSON. A string sent
 * as application/json skips Fastify's serializer, so the items are never
 * parsed into objects and written out again.
 */
export function sendRenderedPage(
  reply: FastifyReply,
  page: { readonly items: string; readonly nextCursor: string | null },
): FastifyReply {
  return reply
    .type('application/json; charset=utf-8')
    .send(`{"items":${page.items},"nextCursor":${JSON.stringify(page.nextCursor)}}`);
}
