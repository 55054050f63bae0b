/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: `answer(name, type, queryNumber)`
 * decides each reply, so a test can make a name change its answer between queries (DNS rebinding).
 * Built on dns-packet and node:dgram; it never forwards a query anywhere.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';

/** Addresses to answer with; `undefined` answers NXDOMAIN. `queryNumber` counts from 1 per name and type. */
export type DnsAnswer = (name: string, type: 'A' | 'AAAA', queryNumber: number) => string[] | undefined;

export interface TestDnsServer {
  /** `127.0.0.1:port`, as `DISTILL_DNS_SERVERS` takes it. */
  readonly address: string;
  /** Queries received, as `A name` / `AAAA name`, in order. */
  readonly queries: string[];
  close(): Promise<void>;
}

/** Starts the server on a free UDP port of 127.0.0.1. */
export async function startDnsServer(answer: DnsAnswer): Promise<TestDnsServer> {
  const socket: Socket = createSocket('udp4');
  const queries: string[] = [];
  const counts = new Map<string, number>();
  socket.on('message', (message, peer) => {
    let request: dnsPacket.DecodedPacket;
    try {
      request = dnsPacket.decode(message);
    } catch {
      return; // not DNS: ignore, as a server would
    }
    const question = request.questions?.[0];
    if (!question) return;
    const type = question.type === 'AAAA' ? 'AAAA' : 'A';
    const key = `${type} ${question.name.toLowerCase()}`;
    queries.push(key);
    const queryNumber = (counts.get(key) ?? 0) + 1;
    counts.set(key, queryNumber);
    const addresses =
      question.type === 'A' || question.type === 'AAAA'
        ? answer(question.name.toLowerCase(), type, queryNumber)
        : [];
    const reply = dnsPacket.encode({
      type: 'response',
      id: request.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (addresses === undefined ? 3 : 0), // rcode 3 = NXDOMAIN
      questions: [question],
      answers: (addresses ?? []).map((data) => ({
        type,
        name: question.name,
        class: 'IN' as const,
        ttl: 0,
        data,
      })),
    });
    socket.send(reply, peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
