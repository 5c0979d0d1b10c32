// The farm is a Redis server (6.2+) that BullMQ keeps its queues in. A farm URL is redis:// or rediss:// (TLS), with
// an optional user and password; the password never appears in messages, logs or the UI (redactFarmUrl).
import { Redis, type RedisOptions } from 'ioredis';

export class FarmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FarmError';
  }
}

export type FarmUrl = {
  url: string;
  redacted: string;
  /** For BullMQ workers: commands wait through reconnects (a worker waits for its farm to come back). */
  options: RedisOptions;
  /** For the submitting side: commands fail at once while the farm is unreachable, so an outage is noticed. */
  failFastOptions: RedisOptions;
};

/** Parses a farm URL; throws FarmError with what to write instead. */
export function parseFarmUrl(text: string): FarmUrl {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new FarmError(`"${text}" is not a farm URL: write redis://host:6379 (or rediss://user:password@host:6380 for TLS).`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new FarmError(`A farm URL starts with redis:// or rediss:// (TLS), as in redis://host:6379; "${redactFarmUrl(text)}" does not.`);
  }
  if (!url.hostname) throw new FarmError(`The farm URL ${redactFarmUrl(text)} names no host: write redis://host:6379.`);
  const db = url.pathname && url.pathname !== '/' ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new FarmError(`The farm URL's database "${url.pathname.slice(1)}" must be a number (redis://host:6379/0).`);
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    // BullMQ's workers block on Redis: they must never give up a command after a few retries.
    maxRetriesPerRequest: null,
    // Reconnect quickly but not in a tight loop; callers decide when a lost farm is worth a message.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  };
  return { url: text.trim(), redacted: redactFarmUrl(text), options, failFastOptions: { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1 } };
}

/** The URL with its password replaced by ***. */
export function redactFarmUrl(text: string): string {
  try {
    const url = new URL(text.trim());
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return text.replace(/:[^:@/]*@/, ':***@');
  }
}

/** A connection that has answered PING, or a FarmError saying why it could not reach the farm. */
export async function connectFarm(farm: FarmUrl, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis({ ...farm.failFastOptions, lazyConnect: true, connectTimeout: timeoutMs });
  // Errors before the first successful command are reported once through the rejection below, not as events.
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(lastError ?? new Error('no answer')), timeoutMs).unref()),
    ]);
    await checkVersion(redis, farm);
    return redis;
  } catch (error) {
    redis.disconnect();
    // A refused password closes the connection: the close is what rejects, the reason came as an error event.
    const cause = lastError && AUTH_FAILURE.test((lastError as Error).message) ? lastError : (error as Error);
    throw new FarmError(unreachable(farm, cause));
  }
}

const AUTH_FAILURE = /NOAUTH|WRONGPASS|invalid password|invalid username/i;

export function unreachable(farm: FarmUrl, error: Error): string {
  const why = AUTH_FAILURE.test(error.message)
    ? 'the farm refused the password: check the user and password in the URL'
    : error.message || 'no answer';
  return `Cannot reach the farm at ${farm.redacted} (${why}). Check that Redis runs there and the URL is right.`;
}

async function checkVersion(redis: Redis, farm: FarmUrl): Promise<void> {
  const info = await redis.info('server');
  const version = /redis_version:(\d+)\.(\d+)/.exec(info);
  if (version && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2))) {
    throw new Error(`Redis ${version[1]}.${version[2]} at ${farm.redacted} is too old: the farm needs Redis 6.2 or newer`);
  }
}
