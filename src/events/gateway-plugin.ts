import type { Plugin } from 'graphql-yoga';
import type { EventBus } from './event-bus.js';

/** `gateway.dispose()` (shutdown) ends open subscriptions and closes the Redis subscriber. */
export function closeEventsOnDispose(events: EventBus): Plugin {
  return { onDispose: () => events.close() };
}
