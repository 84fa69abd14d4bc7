/** The real Redis the Redis tests use (`.ci/run` starts it and sets REDIS_URL). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
