import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';

class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

let registered = false;

/**
 * Runs `fn` with an active span of the given ids, as a traced service would
 * (no SDK: only a context manager, registered on first use), so a test can
 * check that what `fn` publishes carries that span's `traceparent`.
 *
 * @example
 * ```ts
 * await inActiveSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, () => publish());
 * // the event's traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`
 * ```
 */
export async function inActiveSpan<T>(ids: { traceId: string; spanId: string }, fn: () => Promise<T>): Promise<T> {
  if (!registered) registered = context.setGlobalContextManager(new AsyncContextManager());
  const span = trace.wrapSpanContext({ ...ids, traceFlags: 1 });
  return await context.with(trace.setSpan(ROOT_CONTEXT, span), fn);
}
