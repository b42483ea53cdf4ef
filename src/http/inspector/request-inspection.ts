import type { FastifyInstance, FastifyRequest } from 'fastify';
import { startCapture, type RequestCapture } from '../../db/inspector/capture.js';
import {
  describeProblem,
  findQueryProblems,
  type QueryProblem,
} from '../../db/inspector/problems.js';
import type { InspectorStore } from './inspector-store.js';

export type InspectorMode = 'off' | 'sample' | 'all';

declare module 'fastify' {
  interface FastifyInstance {
    inspector: InspectorStore;
  }
  interface FastifyRequest {
    queryCapture?: RequestCapture;
    /** What is wrong with a kept request's SQL, found once when the response is sent. */
    queryProblems?: QueryProblem[];
  }
  interface FastifyContextConfig {
    /** Statements this route may run per request, BEGIN and COMMIT included. */
    queryBudget?: number;
  }
}

export interface InspectionOptions {
  readonly mode: InspectorMode;
  /** Share of requests captured in `sample` mode. */
  readonly sampleRate: number;
  readonly slowQueryMs: number;
  readonly store: InspectorStore;
  /** Say on the response what is wrong with a request's SQL (tests fail on it). */
  readonly exposeProblems: boolean;
}

export const INSPECTOR_PREFIX = '/_inspector';

/**
 * Every request is counted: X-Query-Count and Server-Timing on every
 * response, and statements slower than SLOW_QUERY_MS logged with the request.
 * Captured requests also get N+1, duplicate and budget checks and go to the
 * inspector page.
 */
export function registerRequestInspection(app: FastifyInstance, options: InspectionOptions): void {
  app.decorate('inspector', options.store);
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD')
        options.store.routes.set(`${method} ${route.url}`, route.config?.queryBudget);
    }
  });
  app.addHook('onRequest', (request, _reply, done) => {
    const keep =
      !request.url.startsWith(INSPECTOR_PREFIX) &&
      (options.mode === 'all' || (options.mode === 'sample' && Math.random() < options.sampleRate));
    const capture = startCapture(keep);
    capture.slow = {
      thresholdMs: options.slowQueryMs,
      report: (sql, durationMs) =>
        request.log.warn(
          {
            requestId: request.id,
            route: routeOf(request),
            durationMs: Math.round(durationMs * 10) / 10,
            sql,
          },
          'slow query',
        ),
    };
    request.queryCapture = capture;
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const capture = request.queryCapture;
    if (capture) {
      void reply.header('x-query-count', String(capture.statements));
      void reply.header(
        'server-timing',
        `db;dur=${capture.databaseMs.toFixed(2)};desc="${capture.statements} statements"`,
      );
      if (capture.detail) {
        const problems = findQueryProblems(capture.detail, request.routeOptions.config.queryBudget);
        request.queryProblems = problems;
        if (problems.length > 0) {
          const described = problems.map(describeProblem);
          request.log.warn(
            { requestId: request.id, route: routeOf(request), problems: described },
            'query problems',
          );
          if (options.exposeProblems)
            void reply.header('x-query-problems', encodeURIComponent(described.join(' | ')));
        }
      }
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const capture = request.queryCapture;
    if (capture?.detail) {
      options.store.add({
        id: String(request.id),
        method: request.method,
        url: request.url,
        route: routeOf(request),
        status: reply.statusCode,
        at: new Date().toISOString(),
        totalMs: Math.round(reply.elapsedTime * 100) / 100,
        databaseMs: Math.round(capture.databaseMs * 100) / 100,
        statements: capture.detail,
        problems: request.queryProblems ?? [],
        budget: request.routeOptions.config.queryBudget ?? null,
      });
    }
    done();
  });
}

function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url}`;
}
