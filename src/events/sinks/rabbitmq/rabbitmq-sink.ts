import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { StoredEvent } from '../../../jobs/index.js';
import { DistillError, silentLogger, toError, type Logger } from '../../../lib/index.js';
import { toEnvelope } from '../../event-types.js';
import type { EventSink } from '../../ports.js';

/** The exchange distill publishes to: durable, `topic`, routing key = event type. */
export const EVENTS_EXCHANGE = 'distill.events';

/** Options of `RabbitmqSink`. */
export interface RabbitmqSinkOptions {
  /** `amqp://user:password@host:5672/vhost` (`DISTILL_AMQP_URL`). */
  url: string;
  /** @default 'distill.events' */
  exchange?: string;
  /** Limit of connecting (TCP + AMQP handshake), in milliseconds. @default 5000 */
  connectTimeoutMs?: number;
  /** Limit of waiting for the broker's confirms of one batch, in milliseconds. @default 10000 */
  confirmTimeoutMs?: number;
  /** AMQP heartbeat, in seconds: a silent dead connection is noticed within about twice this. @default 10 */
  heartbeatSeconds?: number;
  logger?: Logger;
}

/** The broker could not take a batch (down, unreachable, closed the channel, no confirm in time). */
export class BrokerUnavailableError extends DistillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('broker_unavailable', message, options);
  }
}

/**
 * Publishes events to RabbitMQ with amqplib: a durable topic exchange (`distill.events`), routing
 * key = event type, persistent JSON messages whose `messageId` is the event id, on a confirm
 * channel. `publish` resolves only when the broker confirmed every message of the batch, so the
 * relay marks events published only once RabbitMQ has them.
 *
 * Reconnection: the connection is opened lazily by `publish` and dropped on any error or close;
 * the next `publish` opens a new one. The relay calls `publish` again with backoff while the broker
 * is away, so reconnecting follows the relay's backoff, and events wait in the outbox meanwhile.
 */
export class RabbitmqSink implements EventSink {
  readonly name = 'rabbitmq';
  readonly #url: string;
  readonly #exchange: string;
  readonly #connectTimeoutMs: number;
  readonly #confirmTimeoutMs: number;
  readonly #heartbeatSeconds: number;
  readonly #logger: Logger;
  #connecting: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;
  /** The connection `#connecting` opened, once open: events of older connections are ignored. */
  #connection: ChannelModel | undefined;
  #isClosed = false;
  #closing: Promise<void> | undefined;

  constructor(options: RabbitmqSinkOptions) {
    if (!/^amqps?:\/\//.test(options.url)) {
      throw new TypeError(
        `Expected \`url\` to be an amqp:// or amqps:// URL, got \`${options.url.split('@').pop() ?? ''}\``,
      );
    }
    this.#url = options.url;
    this.#exchange = options.exchange ?? EVENTS_EXCHANGE;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
    this.#heartbeatSeconds = options.heartbeatSeconds ?? 10;
    this.#logger = options.logger ?? silentLogger;
  }

  async publish(events: readonly StoredEvent[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (events.length === 0) return;
    if (this.#isClosed) throw new BrokerUnavailableError('The RabbitMQ sink is closed');
    const { channel } = await this.#within(this.#open(), 'connection', signal);
    try {
      for (const event of events) {
        const envelope = toEnvelope(event);
        const isWritable = channel.publish(
          this.#exchange,
          event.type,
          Buffer.from(JSON.stringify(envelope)),
          {
            persistent: true,
            messageId: envelope.id,
            type: event.type,
            contentType: 'application/json',
            timestamp: Math.floor(event.createdAt / 1000),
            appId: 'distill',
            headers: event.jobId === null ? {} : { 'distill-job-id': event.jobId },
          },
        );
        // amqplib buffers anyway; waiting for 'drain' keeps a large batch from piling up in memory.
        if (!isWritable)
          await this.#within(new Promise<void>((resolve) => channel.once('drain', resolve)), 'drain', signal);
      }
      await this.#within(channel.waitForConfirms(), 'confirms', signal);
    } catch (error) {
      this.#drop(error);
      throw error instanceof BrokerUnavailableError
        ? error
        : new BrokerUnavailableError(
            `RabbitMQ did not confirm ${events.length} events: ${toError(error).message}`,
            { cause: error },
          );
    }
  }

  /**
   * Readiness probe: resolves when the broker is reachable, opening the connection `publish` uses if
   * there is none (so a process that is not the relay's leader checks the broker too, without a
   * throwaway connection per probe); rejects with `BrokerUnavailableError` when it cannot.
   */
  async check(): Promise<void> {
    if (this.#isClosed) throw new BrokerUnavailableError('The RabbitMQ sink is closed');
    await this.#within(this.#open(), 'connection', undefined);
  }

  /** Closes the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#isClosed = true;
      const connecting = this.#connecting;
      this.#connecting = undefined;
      if (!connecting) return;
      try {
        const { connection } = await connecting;
        await connection.close();
      } catch (error) {
        // Already closed or never opened: nothing left to release.
        this.#logger.debug({ err: toError(error) }, 'Closing the RabbitMQ connection');
      }
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  async #connect(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    let connection: ChannelModel;
    try {
      const url = new URL(this.#url);
      if (!url.searchParams.has('heartbeat'))
        url.searchParams.set('heartbeat', String(this.#heartbeatSeconds));
      connection = await amqp.connect(url.toString(), { timeout: this.#connectTimeoutMs });
    } catch (error) {
      this.#connecting = undefined;
      this.#connection = undefined;
      throw new BrokerUnavailableError(`Connecting to RabbitMQ failed: ${toError(error).message}`, {
        cause: error,
      });
    }
    this.#connection = connection;
    const lost = (error?: unknown): void => this.#drop(error, connection);
    connection.on('error', lost);
    connection.on('close', lost);
    // amqplib emits 'blocked' when the broker stops reading (a resource alarm); confirms then wait
    // and time out, and the relay backs off: nothing to do here but say so.
    connection.on('blocked', (reason: unknown) =>
      this.#logger.warn({ reason }, 'RabbitMQ blocked this connection'),
    );
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', lost);
      channel.on('close', lost);
      await channel.assertExchange(this.#exchange, 'topic', { durable: true });
      this.#logger.info({ exchange: this.#exchange }, 'Connected to RabbitMQ');
      return { connection, channel };
    } catch (error) {
      this.#drop(error, connection);
      throw new BrokerUnavailableError(`Opening a RabbitMQ channel failed: ${toError(error).message}`, {
        cause: error,
      });
    }
  }

  /** Forgets the current connection (closing it if still open); the next publish reconnects. */
  #drop(error: unknown, connection?: ChannelModel): void {
    const current = this.#connecting;
    if (current === undefined) return;
    // A late 'close' of a connection already replaced must not drop its successor.
    if (connection !== undefined && connection !== this.#connection) return;
    this.#connecting = undefined;
    this.#connection = undefined;
    if (error !== undefined)
      this.#logger.warn(
        { err: toError(error) },
        'The RabbitMQ connection was lost; events wait in the outbox',
      );
    const target = connection ? Promise.resolve({ connection }) : current;
    target.then(
      ({ connection: open }) => open.close().catch(() => undefined),
      () => undefined,
    );
  }

  /** `promise`, or a rejection after `confirmTimeoutMs` or once `signal` aborts (the relay stopping). */
  async #within<T>(promise: Promise<T>, what: string, signal: AbortSignal | undefined): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new BrokerUnavailableError(`RabbitMQ sent no ${what} within ${this.#confirmTimeoutMs} ms`),
              ),
            this.#confirmTimeoutMs,
          );
          onAbort = () =>
            reject(
              new BrokerUnavailableError(`Stopped waiting for the RabbitMQ ${what}`, {
                cause: signal?.reason,
              }),
            );
          if (signal?.aborted) onAbort();
          else signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}
