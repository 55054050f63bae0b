import { isIP } from 'node:net';

/**
 * Parses a comma-separated list of DNS servers (`DISTILL_DNS_SERVERS`): each an IP address with an
 * optional port, `1.1.1.1`, `127.0.0.1:5353`, `::1` or `[::1]:5353`. Returns them in the form
 * `dns.Resolver#setServers` takes (port 53 left implicit). Blank entries are ignored; a name
 * (`dns.example`) is refused, since resolving the resolver would need a resolver. Throws
 * `TypeError` naming the first bad entry.
 */
export function parseDnsServers(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let host = entry;
      let port: string | undefined;
      const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(entry);
      if (bracketed) {
        host = bracketed[1] ?? '';
        port = bracketed[2];
        if (isIP(host) !== 6) throw badServer(entry, `\`${host}\` is not an IPv6 address`);
      } else if (isIP(entry) === 0) {
        const colon = entry.lastIndexOf(':');
        if (colon === -1) throw badServer(entry, 'expected an IP address, optionally with :port');
        host = entry.slice(0, colon);
        port = entry.slice(colon + 1);
        if (isIP(host) !== 4)
          throw badServer(
            entry,
            `\`${host}\` is not an IPv4 address (write IPv6 with a port as [addr]:port)`,
          );
      }
      if (port !== undefined) {
        const number = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
        if (!(number >= 1 && number <= 65535))
          throw badServer(entry, `port \`${port}\` is not an integer from 1 to 65535`);
      }
      const isV6 = isIP(host) === 6;
      if (port === undefined) return host;
      return isV6 ? `[${host}]:${port}` : `${host}:${port}`;
    });
}

function badServer(entry: string, why: string): TypeError {
  return new TypeError(`Invalid DNS server \`${entry}\`: ${why}`);
}
