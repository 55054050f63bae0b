import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createConnection, createServer, type Socket } from 'node:net';
import amqp from 'amqplib';

/** The RabbitMQ of the tests: `DISTILL_TEST_AMQP_URL`, default the local broker. */
export const AMQP_URL = process.env.DISTILL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A TCP proxy in front of RabbitMQ that the test can cut (every connection dropped, new ones refused) and restore. */
export interface AmqpProxy {
  url: string;
  connections: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startAmqpProxy(target = new URL(AMQP_URL)): Promise<AmqpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;
  const proxy = {
    connections: 0,
  } as AmqpProxy;
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    proxy.connections++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5672) });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return Object.assign(proxy, {
    url: url.toString(),
    cut() {
      isCut = true;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    restore() {
      isCut = false;
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** One message the test consumer got. */
export interface ReceivedMessage {
  messageId: string;
  routingKey: string;
  isPersistent: boolean;
  body: { id: string; type: string; createdAt: string; jobId: string | null; data: Record<string, unknown> };
}

/**
 * A consumer with its own exclusive queue bound to `distill.events` with `#` (every event of every
 * test in this run: filter by job id).
 */
export async function startConsumer(
  url = AMQP_URL,
): Promise<{ messages: ReceivedMessage[]; close(): Promise<void> }> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange('distill.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'distill.events', '#');
  const messages: ReceivedMessage[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    messages.push({
      messageId: String(message.properties.messageId),
      routingKey: message.fields.routingKey,
      isPersistent: message.properties.deliveryMode === 2,
      body: JSON.parse(message.content.toString('utf8')) as ReceivedMessage['body'],
    });
    channel.ack(message);
  });
  return {
    messages,
    async close() {
      await connection.close();
    },
  };
}

/** A local HTTP server on 127.0.0.1 that records every request with its raw body. */
export interface Receiver {
  url: string;
  port: number;
  connections: number;
  requests: Array<{ headers: IncomingMessage['headers']; body: string; status: number }>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (index: number, body: string) => number): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  let connections = 0;
  const server: Server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = answer(requests.length, body);
      requests.push({ headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/distill`,
    port,
    get connections() {
      return connections;
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
