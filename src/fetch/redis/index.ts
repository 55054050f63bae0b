export { RedisHostLimiter, type RedisHostLimiterOptions } from './redis-host-limiter.js';
