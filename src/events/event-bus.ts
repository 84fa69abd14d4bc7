import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, Repeater } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { CampaignRow } from '../db/schema/campaigns.js';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';

/** A snapshot as recorded (committed), with its campaign: what live updates are made of. */
export interface RecordedSnapshot {
  campaign: CampaignRow;
  /** The stored snapshot as a RAW bucket (with the snapshot before it, for DELTA). */
  snapshot: SnapshotBucket;
  /** No later snapshot of the campaign existed after the commit: its alerts are current. */
  latest: boolean;
}

/** Dates as ISO strings: the message crosses Redis as JSON, so both transports carry this. */
type Wire<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};
interface RecordedSnapshotMessage {
  campaign: Wire<CampaignRow>;
  snapshot: Wire<SnapshotBucket>;
  latest: boolean;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());
const instant = (text: string | null) => (text === null ? null : new Date(text));

function encode({ campaign, snapshot, latest }: RecordedSnapshot): RecordedSnapshotMessage {
  return {
    campaign: {
      ...campaign,
      startsAt: iso(campaign.startsAt),
      endsAt: iso(campaign.endsAt),
      createdAt: campaign.createdAt.toISOString(),
      updatedAt: campaign.updatedAt.toISOString(),
    },
    snapshot: { ...snapshot, start: snapshot.start.toISOString() },
    latest,
  };
}

function decode({ campaign, snapshot, latest }: RecordedSnapshotMessage): RecordedSnapshot {
  return {
    campaign: {
      ...campaign,
      startsAt: instant(campaign.startsAt),
      endsAt: instant(campaign.endsAt),
      createdAt: new Date(campaign.createdAt),
      updatedAt: new Date(campaign.updatedAt),
    },
    snapshot: { ...snapshot, start: new Date(snapshot.start) },
    latest,
  };
}

export interface EventBusOptions {
  /** Shared client (connectRedis): events then reach the subscribers of every gateway instance. */
  redis?: Redis;
  /** Ends the Redis channel's name (`snapshots-recorded:<namespace>`): deployments or tests sharing a Redis stay apart. */
  namespace?: string;
  /** A Redis command that failed (Redis down): the event is lost, the write that caused it is not. */
  onError?: (error: unknown) => void;
}

export interface EventBus {
  /** One event per snapshot, after its transaction committed. */
  publish(recorded: readonly RecordedSnapshot[]): void;
  /**
   * What `select` makes of each recorded snapshot from now on (none, one or several values),
   * until the consumer returns or the bus closes.
   */
  subscribe<T>(select: (recorded: RecordedSnapshot) => readonly T[]): Repeater<T>;
  /** Subscriptions currently open on this instance. */
  readonly subscriberCount: number;
  /**
   * Whether any instance has a subscription open (with Redis: whether the channel has a
   * subscriber; an instance subscribes to it only while it has one). False while Redis fails.
   */
  hasSubscribers(): Promise<boolean>;
  /** Ends every open subscription (their SSE streams complete) and closes the Redis subscriber; idempotent. */
  close(): Promise<void>;
}

const TOPIC = 'snapshots-recorded';

/**
 * ioredis rejects commands while Redis is down (the shared client fails fast); the event target
 * does not await them, so a rejection would be unhandled. These calls report it instead.
 */
function reportingFailures(client: Redis, commands: readonly string[], onError: (error: unknown) => void) {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (typeof key === 'string' && commands.includes(key)) {
        return (...args: unknown[]) => (value.apply(target, args) as Promise<unknown>).catch(onError);
      }
      return value.bind(target);
    },
  });
}

/**
 * Live-update events over yoga's pub/sub: in process, or through Redis pub/sub when a client
 * is given (one channel; subscribers filter what they may see and asked for). The subscriber
 * is a duplicate connection (a subscribed connection takes no other commands) that queues its
 * SUBSCRIBEs until connected and resubscribes after a reconnect.
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const { redis, namespace = 'campaign-metrics', onError = reportRedisError } = options;
  const subscriber = redis?.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  subscriber?.on('error', () => {});
  const pubsub = createPubSub<{ [TOPIC]: [namespace: string, message: RecordedSnapshotMessage] }>({
    eventTarget:
      redis && subscriber
        ? createRedisEventTarget({
            publishClient: reportingFailures(redis, ['publish'], onError),
            subscribeClient: reportingFailures(subscriber, ['subscribe', 'unsubscribe'], onError),
          })
        : undefined,
  });
  const open = new Set<() => void>();
  let closed = false;

  return {
    publish(recorded) {
      for (const entry of recorded) pubsub.publish(TOPIC, namespace, encode(entry));
    },
    subscribe(select) {
      const source = pubsub.subscribe(TOPIC, namespace);
      return new Repeater(async (push, stop) => {
        // A subscription arriving during shutdown ends at once, without touching Redis.
        if (closed) {
          stop();
          return;
        }
        open.add(stop);
        // Returning the source ends a pending next() at once, so a closed client leaves nothing behind.
        stop.then(() => {
          open.delete(stop);
          void source.return();
        });
        for await (const message of source) {
          for (const value of select(decode(message))) await push(value);
        }
        stop();
      });
    },
    get subscriberCount() {
      return open.size;
    },
    async hasSubscribers() {
      if (!redis) return open.size > 0;
      try {
        const [, count] = (await redis.pubsub('NUMSUB', `${TOPIC}:${namespace}`)) as [string, number];
        return Number(count) > 0;
      } catch (error) {
        onError(error);
        return false;
      }
    },
    async close() {
      closed = true;
      for (const end of [...open]) end();
      // Nothing to flush on a subscriber connection; QUIT would wait for a Redis that is down.
      subscriber?.disconnect();
    },
  };
}

function reportRedisError(error: unknown) {
  console.error('live updates: Redis command failed:', error instanceof Error ? error.message : error);
}
