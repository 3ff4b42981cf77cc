// Counts the HTTP requests SDK clients send, by side and operation: a middleware in the
// deserialize step, which runs once per attempt (retries included), added to each client.
import type { MiddlewareStack } from '@smithy/types';

export type RequestCounts = Record<string, number>;

export interface WithStack {
  // Any client's stack: the counter reads only the context, never the input or output.
  middlewareStack: Pick<MiddlewareStack<object, object>, 'add'>;
}

const counted = new WeakSet<object>();

/** Adds the counter to `client` once; each attempt adds 1 to counts["<side> <Operation>"]. */
export function countRequests<C extends WithStack>(client: C, counts: RequestCounts, side: string): C {
  if (counted.has(client)) return client;
  counted.add(client);
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = `${side} ${String(context.commandName ?? '?').replace(/Command$/, '')}`;
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name: 'benchRequestCounter' },
  );
  return client;
}
