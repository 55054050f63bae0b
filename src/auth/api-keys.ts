import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DistillError, systemClock, type Clock } from '../lib/index.js';

/** What `distill keys list` shows of a key: never its secret, which is only ever stored hashed. */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  name: string | null;
  /** The first characters of the secret, to tell keys apart (`dsk_Ab12Cd34`). */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** What a request's key resolves to. */
export interface Principal {
  keyId: string;
  tenant: string;
}

/** What the keys service needs of storage (`KyselyJobRepository` implements it). */
export interface ApiKeyStore {
  insertApiKey(key: ApiKeyInfo & { secretHash: string }): Promise<void>;
  listApiKeys(): Promise<ApiKeyInfo[]>;
  /** Marks the key revoked (idempotent); null when there is no such key. */
  revokeApiKey(idOrPrefix: string, now: number): Promise<ApiKeyInfo | null>;
  /** The live (unrevoked) key with this secret hash, if any. */
  findLiveApiKey(secretHash: string): Promise<ApiKeyInfo | null>;
  /** Keys ever made, revoked ones included. */
  countApiKeys(): Promise<number>;
  touchApiKey(id: string, now: number): Promise<void>;
}

/** A tenant name: what scopes jobs, schedules and crawls. */
export const TENANT_PATTERN = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** The first characters of every key: recognisable in a leaked log or a secret scanner. */
const KEY_PREFIX = 'dsk_';
/** Verified keys (and unknown ones) remembered per process; revocation takes effect within this. */
const DEFAULT_CACHE_TTL_MS = 5000;
const MAX_CACHED = 10_000;
/** `last_used_at` is written at most this often per key, not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** A key id, prefix or tenant that is not acceptable. */
export class InvalidApiKeyInputError extends DistillError {
  constructor(message: string) {
    super('invalid_api_key_input', message);
  }
}

/**
 * The SHA-256 of a key's secret. Keys are 256 random bits, so a fast hash suffices: there is no
 * dictionary to guess from, and the lookup by hash never compares secrets byte by byte.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * API keys: created (the secret is shown once), listed, revoked, and verified per request. Auth is
 * on as soon as a first key has been made, and stays on: revoking the last key (say, a leaked one)
 * locks the API until a new key is made, rather than opening it to everyone. Verification answers
 * from a small per-process cache for `cacheTtlMs`, so a revoked key stops working within that time
 * on every API process.
 */
export class ApiKeys {
  readonly #store: ApiKeyStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** secret hash → the principal (or null for an unknown key) and when that answer expires. */
  readonly #cache = new Map<string, { principal: Principal | null; expiresAt: number }>();
  #enabled: { value: boolean; expiresAt: number } | undefined;
  readonly #touchedAt = new Map<string, number>();

  constructor(options: { store: ApiKeyStore; clock?: Clock; cacheTtlMs?: number }) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  }

  /** Makes a key for `tenant`; the returned `secret` is the only copy there will ever be. */
  async create(input: {
    tenant: string;
    name?: string | undefined;
  }): Promise<ApiKeyInfo & { secret: string }> {
    if (!TENANT_PATTERN.test(input.tenant)) {
      throw new InvalidApiKeyInputError(
        `Tenant ${JSON.stringify(input.tenant)} must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    if (input.name !== undefined && input.name.length > 200)
      throw new InvalidApiKeyInputError('A key name is at most 200 characters');
    const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const info: ApiKeyInfo = {
      id: randomUUID(),
      tenant: input.tenant,
      name: input.name ?? null,
      prefix: secret.slice(0, KEY_PREFIX.length + 8),
      createdAt: this.#clock.now(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.#store.insertApiKey({ ...info, secretHash: hashSecret(secret) });
    this.#enabled = undefined;
    return { ...info, secret };
  }

  list(): Promise<ApiKeyInfo[]> {
    return this.#store.listApiKeys();
  }

  /** Revokes a key by id or by its prefix; null when none matches. */
  async revoke(idOrPrefix: string): Promise<ApiKeyInfo | null> {
    const revoked = await this.#store.revokeApiKey(idOrPrefix, this.#clock.now());
    this.#cache.clear();
    this.#enabled = undefined;
    return revoked;
  }

  /** Is auth on (was any key ever made)? Cached like verification once on, since it stays on. */
  async isEnabled(): Promise<boolean> {
    const now = this.#clock.now();
    if (this.#enabled && (this.#enabled.value || this.#enabled.expiresAt > now)) return this.#enabled.value;
    const value = (await this.#store.countApiKeys()) > 0;
    this.#enabled = { value, expiresAt: now + this.#ttlMs };
    return value;
  }

  /** The principal of a presented secret, or null when it is unknown or revoked. */
  async verify(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(KEY_PREFIX) || secret.length > 128) return null;
    const hash = hashSecret(secret);
    const now = this.#clock.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.principal;
    const key = await this.#store.findLiveApiKey(hash);
    const principal = key ? { keyId: key.id, tenant: key.tenant } : null;
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(hash, { principal, expiresAt: now + this.#ttlMs });
    if (key && now - (this.#touchedAt.get(key.id) ?? 0) >= TOUCH_EVERY_MS) {
      if (this.#touchedAt.size >= MAX_CACHED) this.#touchedAt.clear();
      this.#touchedAt.set(key.id, now);
      await this.#store.touchApiKey(key.id, now);
    }
    return principal;
  }
}
