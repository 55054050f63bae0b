import { DistillError } from '../../../lib/index.js';
import {
  classifyAddress,
  isBlockedAddress,
  isIpLiteral,
  systemLookup,
  type AllowList,
  type LookupFunction,
} from '../../../fetch/index.js';

/** A webhook URL refused at submission: not http(s), credentials in it, or a private address. */
export class InvalidWebhookUrlError extends DistillError {
  readonly url: string;
  constructor(url: string, why: string) {
    super('invalid_webhook_url', `The webhook URL ${JSON.stringify(url.slice(0, 200))} is refused: ${why}`);
    this.url = url;
  }
}

/** Options of `checkWebhookUrl`. */
export interface CheckWebhookUrlOptions {
  /** The private-network guard's allow list (`DISTILL_FETCH_ALLOW`). */
  allow: AllowList;
  /** @default the system resolver */
  lookup?: LookupFunction;
  /** Longest wait for the name's addresses, in milliseconds. @default 2000 */
  lookupTimeoutMs?: number;
}

/**
 * Checks a webhook URL when a job is submitted, with the rules of fetched URLs: http or https, no
 * credentials, and a host that is not and does not resolve to a private, loopback, link-local or
 * reserved address unless the allow list names it. A name that cannot be resolved right now is
 * accepted: every delivery goes through the guarded connector anyway, which checks the address
 * actually connected to (so DNS rebinding after submission gains nothing).
 */
export async function checkWebhookUrl(url: string, options: CheckWebhookUrlOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidWebhookUrlError(url, 'it is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidWebhookUrlError(url, `the scheme ${parsed.protocol.slice(0, -1)} is not http or https`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidWebhookUrlError(
      url,
      'it holds credentials, which would be shown with the job; authenticate with the signature (`secret`) instead',
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
  let addresses: string[];
  if (isIpLiteral(host)) {
    addresses = [host];
  } else {
    const lookup = options.lookup ?? systemLookup;
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        lookup(host, { all: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('lookup timed out')), options.lookupTimeoutMs ?? 2000);
        }),
      ]);
      addresses = found.map((a) => a.address);
    } catch {
      return; // Unresolvable now: the connect-time guard decides at each delivery.
    } finally {
      clearTimeout(timer);
    }
  }
  for (const address of addresses) {
    if (isBlockedAddress(address, port, options.allow, host)) {
      throw new InvalidWebhookUrlError(
        url,
        // A name's address is not told: it would map the internal network for whoever submits names.
        `${host} ${address === host ? 'is' : 'resolves to'} a ${classifyAddress(address)} address ` +
          '(the private-network guard; DISTILL_FETCH_ALLOW opens it deliberately)',
      );
    }
  }
}
