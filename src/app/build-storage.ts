import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Kysely } from 'kysely';
import { describeStorageFailure, ReadinessError, storageFailureOf } from '../api/index.js';
import { ApiKeys } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { Queue } from '../jobs/index.js';
import { FatalError, SecretBox, type Logger } from '../lib/index.js';
import { BullmqQueue, EmbeddedQueue } from '../queue/index.js';
import { KyselyJobRepository, migrateToLatest, openDatabase, type DatabaseHandle } from '../storage/index.js';
import type { Component } from './lifecycle.js';
import type { ProcessRole } from './roles.js';

/** What `buildStorage` makes: the database and what is built on it directly. */
export interface Storage {
  database: DatabaseHandle;
  repository: KyselyJobRepository;
  /** API keys (issue 8): the API asks for one while a live key exists. */
  apiKeys: ApiKeys;
  /** Seals and opens jobs' headers and cookies (DISTILL_SECRET_KEY); undefined without a key. */
  secretBox: SecretBox | undefined;
  /** Migrates at start, closes the database at stop; answers the `database` check. */
  component: Component;
}

/**
 * Opens the database and builds the repository on it. At start the schema is migrated; `/readyz`
 * asks that the database be writable, not only readable: a read-only SQLite file or PostgreSQL
 * standby answers reads and refuses every write, so the check writes one row (`checkWritable`); for
 * a SQLite file it also fails when the disk holding it has less than `minFreeDiskMb` free, since
 * SQLite can go on writing into space its WAL already holds for a while after the disk is full,
 * and a large submission then fails (`storage_full`).
 */
export function buildStorage(
  config: Config,
  role: ProcessRole,
  logger: Logger,
  holder = `${hostname()}:${process.pid}:${role}`,
): Storage {
  const database = openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onPoolError: (error) => logger.warn({ err: error }, 'A pooled database connection failed'),
    // pg_stat_activity shows which role each PostgreSQL connection serves.
    applicationName: `distill-${role === 'render-worker' ? 'worker' : role}`,
    checkpointInThread: true,
    onCheckpointError: (error) =>
      logger.warn(
        { err: error },
        'The SQLite checkpoint thread failed; checkpoints run in the commits again',
      ),
  });
  const repository = new KyselyJobRepository({
    db: database.db,
    dialect: database.dialect,
    documentVersions: config.documentVersions,
    tenantIsolation: config.tenantIsolation,
    groupCommit:
      config.groupCommit > 1 ? { maxBatch: config.groupCommit, windowMs: config.groupCommitWindowMs } : false,
  });
  const secretBox = config.secretKey === '' ? undefined : new SecretBox(config.secretKey);
  const minFreeBytes = config.minFreeDiskMb * 1024 * 1024;
  const file = database.file;
  const component: Component = {
    name: 'database',
    async start() {
      const ran = await migrate(database);
      if (ran.length > 0) logger.info({ migrations: ran }, 'Database migrated');
      if (secretBox !== undefined) await verifySecretKey(repository, secretBox, logger);
    },
    stop: () => database.close(),
    readiness: {
      database: {
        probe: async () => {
          await repository.checkWritable(holder);
          if (file === undefined || minFreeBytes === 0) return;
          const disk = await statfs(dirname(file));
          const freeBytes = disk.bavail * disk.bsize;
          if (freeBytes < minFreeBytes) {
            throw new ReadinessError(
              `The disk holding the database has ${Math.floor(freeBytes / 1024)} KiB free, less than DISTILL_MIN_FREE_DISK_MB (${config.minFreeDiskMb} MiB)`,
            );
          }
        },
        describe: (error) => {
          const failure = storageFailureOf(error);
          return failure === undefined && error instanceof ReadinessError
            ? error.message
            : describeStorageFailure(failure);
        },
      },
    },
  };
  return { database, repository, apiKeys: new ApiKeys({ store: repository }), secretBox, component };
}

/**
 * Stops the start of a process whose DISTILL_SECRET_KEY is not the one the database's secrets were
 * sealed with: every job with headers or cookies would fail one by one otherwise. The first key a
 * database sees is recorded (its HMAC check, not the key).
 */
async function verifySecretKey(
  repository: KyselyJobRepository,
  secretBox: SecretBox,
  logger: Logger,
): Promise<void> {
  const verdict = await repository.settings.verifySecretKey(secretBox.keyCheck());
  if (verdict === 'differs') {
    throw new FatalError(
      'config_error',
      "DISTILL_SECRET_KEY is not the key this database's headers and cookies were sealed with; start every process with the key the database was first given (secrets sealed with one key cannot be opened with another)",
    );
  }
  if (verdict === 'recorded')
    logger.info({}, 'DISTILL_SECRET_KEY recorded: jobs may set headers and cookies');
}

/** Brings the schema up to date; resolves with the names of the migrations it ran. */
export function migrate(database: DatabaseHandle): Promise<string[]> {
  // migrateToLatest takes the untyped handle (the migrations create the tables the typed one reads);
  // Kysely's type is invariant in its schema, so the typed handle needs this one widening cast.
  // The cast belongs in storage/migrate.ts, which is being split in another branch.
  return migrateToLatest(database.db as unknown as Kysely<unknown>);
}

/** The queue and the `queue` check it answers. */
export interface BuiltQueue {
  queue: Queue;
  component: Component;
}

/**
 * Distributed mode is configuration only: with Redis, BullMQ delivers the items (the check pings
 * its Redis); without it, the items table is the queue, on any database (the check reads its depth).
 */
export function buildQueue(config: Config, repository: KyselyJobRepository): BuiltQueue {
  if (config.redisUrl) {
    const queue = new BullmqQueue({
      connection: config.redisUrl,
      repository,
      prefix: config.redisPrefix,
      lockDurationMs: config.leaseMs,
    });
    return {
      queue,
      component: { name: 'queue', stop: () => queue.close(), readiness: { queue: () => queue.ping() } },
    };
  }
  const queue = new EmbeddedQueue(repository);
  return {
    queue,
    component: { name: 'queue', stop: () => queue.close(), readiness: { queue: () => queue.depth() } },
  };
}
