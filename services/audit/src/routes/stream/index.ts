import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  type AuditAlertView,
  AuditEventFiltersSchema,
  type AuditEventView,
  ErrorResponseSchema,
  IDENTITY_HEADERS,
} from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import type { AlertFeed } from '../../domain/alert-feed.js';
import type { LiveFeed } from '../../domain/live-feed.js';
import type { SessionWatch } from '../../domain/session-watch.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /audit/stream`: live events as server-sent events (`id` = seq, so a
 * reconnect with `Last-Event-ID` resumes with no gap), same filters as
 * `GET /audit/events`. Alerts raised meanwhile arrive as `event: alert` (no
 * `id`, so they never move the resume position). A client too slow to drain
 * 1 MiB is disconnected. The stream ends (`event: session-ended`) within
 * `AUDIT_SESSION_CHECK_MS` of the end of the session that opened it.
 */
export default async function streamRoutes(
  parent: FastifyInstance,
  options: { feed: LiveFeed; alerts: AlertFeed; sessions: SessionWatch; heartbeatMs: number },
) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.get(
    '/audit/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Live events as server-sent events (text/event-stream), with the same filters',
        querystring: AuditEventFiltersSchema,
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,18}$' } } },
        response: { 400: ErrorResponseSchema, 403: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const lastId = request.headers['last-event-id'];
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
        [IDENTITY_HEADERS.requestId]: request.id,
      });
      res.write('retry: 2000\n\n');
      let unsubscribeEvents: () => void = () => undefined;
      let unsubscribeAlerts: () => void = () => undefined;
      const unsubscribe = () => {
        unsubscribeEvents();
        unsubscribeAlerts();
      };
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.heartbeatMs);
      const sessionId = request.reader?.sessionId;
      let unwatch: () => void = () => undefined;
      const end = () => {
        clearInterval(heartbeat);
        unwatch();
        unsubscribe();
        open.delete(end);
        if (!res.writableEnded) res.end();
      };
      open.add(end);
      request.raw.on('close', end);
      if (sessionId) {
        unwatch = options.sessions.watch(sessionId, () => {
          res.write('event: session-ended\ndata: {"error":"invalid_token"}\n\n');
          end();
        });
      }
      const send = (event: AuditEventView) => {
        res.write(`id: ${event.seq}\nevent: audit-event\ndata: ${JSON.stringify(event)}\n\n`);
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
      };
      const sendAlert = (alert: AuditAlertView) => {
        res.write(`event: alert\ndata: ${JSON.stringify(alert)}\n\n`);
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
      };
      try {
        unsubscribeAlerts = await options.alerts.subscribe(request.query, sendAlert);
        unsubscribeEvents = await options.feed.subscribe(request.query, send, lastId ? Number(lastId) : undefined);
      } catch (err) {
        request.log.warn({ err }, 'live stream could not start');
        res.write('event: error\ndata: {"error":"dependency_unavailable"}\n\n');
        end();
      }
      if (res.writableEnded || res.destroyed) unsubscribe();
    },
  );
}
