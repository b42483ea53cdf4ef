import type { FastifyInstance } from 'fastify';
import { startTally, type QueryTally } from '../db/query-counter.js';

declare module 'fastify' {
  interface FastifyRequest {
    queryTally?: QueryTally;
  }
}

/**
 * Every response says how many SQL statements its request ran and how long
 * the database took: X-Query-Count and Server-Timing. A loop that adds a
 * statement per row shows up at once.
 */
export function registerQueryHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    request.queryTally = startTally();
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const tally = request.queryTally;
    if (tally) {
      void reply.header('x-query-count', String(tally.statements));
      void reply.header(
        'server-timing',
        `db;dur=${tally.databaseMs.toFixed(2)};desc="${tally.statements} statements"`,
      );
    }
    done(null, payload);
  });
}
