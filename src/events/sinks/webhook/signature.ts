import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every webhook call. */
export const WEBHOOK_HEADERS = {
  eventId: 'distill-event-id',
  eventType: 'distill-event-type',
  timestamp: 'distill-timestamp',
  signature: 'distill-signature',
} as const;

/**
 * The `Distill-Signature` value of a call: `v1=` and the hex HMAC-SHA256, keyed with the job's
 * webhook secret, of `<timestamp>.<body>` (the timestamp in Unix seconds, as sent in
 * `Distill-Timestamp`; the body byte for byte as sent).
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The receiver's check (the README's recipe): recompute the signature over the raw body and the
 * timestamp header, compare in constant time, and refuse timestamps more than `toleranceSeconds`
 * away from now (a replayed old call). True when the call is genuine.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  /** @default 300 */
  toleranceSeconds?: number;
  /** Unix seconds. @default now */
  nowSeconds?: number;
}): boolean {
  const { secret, body, timestamp, signature, toleranceSeconds = 300 } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const nowSeconds = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
