import {
  context,
  isSpanContextValid,
  type Link,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

const tracer = trace.getTracer('@gatehouse/runtime');

/** The W3C `traceparent` of the active span, or null when nothing is traced (no SDK, or not sampled in). */
export function activeTraceparent(): string | null {
  const span = trace.getActiveSpan();
  if (!span) return null;
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return null;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** Trace and span ids of the active span for log lines; empty when nothing is traced. */
export function activeLogIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

const headerGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The span links for W3C traceparents carried by messages (invalid or missing ones are skipped). */
function linksFrom(traceparents: Iterable<string | null | undefined>): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    if (!traceparent) continue;
    const extracted = propagation.extract(context.active(), { traceparent }, headerGetter);
    const spanContext = trace.getSpanContext(extracted);
    if (spanContext && isSpanContextValid(spanContext)) links.push({ context: spanContext });
  }
  return links;
}

/**
 * Runs `fn` inside a new CONSUMER span linked to the producers' contexts (one
 * batch of stream entries comes from many traces, so it links to each instead
 * of choosing one parent). Work done in `fn` (PostgreSQL inserts) nests under it.
 * Without an SDK the span is a no-op and `fn` runs as is.
 *
 * @example
 * ```ts
 * await withLinkedSpan('auth-events process', events.map((e) => e.traceparent), { 'messaging.batch.message_count': n }, () => store(batch));
 * ```
 */
export async function withLinkedSpan<T>(
  name: string,
  traceparents: Iterable<string | null | undefined>,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  const links = linksFrom(traceparents);
  return await tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, links, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Exports the spans still buffered (a service calls it on close, before the process exits). */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.().catch(() => undefined);
}
