import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text PostgreSQL already rendered. A string sent as
 * application/json skips Fastify's serializer, so the data is never parsed
 * into objects and written out again.
 */
export function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

/** A page of rendered items with the cursor of the page after it. */
export function sendRenderedPage(
  reply: FastifyReply,
  page: { readonly items: string; readonly nextCursor: string | null },
): FastifyReply {
  return sendJsonText(
    reply,
    `{"items":${page.items},"nextCursor":${JSON.stringify(page.nextCursor)}}`,
  );
}
