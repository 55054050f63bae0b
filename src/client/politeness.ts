import type { PolitenessView } from './types.js';

/**
 * A job's politeness summary as a person reads it, the same in the web page and the CLI:
 * "2 in flight, waiting for host example.com: 2 requests/s, 2 at a time (30 links wait)".
 */
export function describePoliteness(politeness: PolitenessView): string {
  const [first, ...others] = politeness.waiting;
  if (first === undefined) return `${politeness.inFlight} in flight`;
  const rate = Number.isInteger(first.limit.ratePerSecond)
    ? String(first.limit.ratePerSecond)
    : first.limit.ratePerSecond.toFixed(1);
  const links = `${first.items} link${first.items === 1 ? '' : 's'} wait${first.items === 1 ? 's' : ''}`;
  const rest = others.length === 0 ? '' : `; also ${others.map((o) => `${o.host} (${o.items})`).join(', ')}`;
  return `${politeness.inFlight} in flight, waiting for host ${first.host}: ${rate} requests/s, ${first.limit.inFlight} at a time (${links})${rest}`;
}
