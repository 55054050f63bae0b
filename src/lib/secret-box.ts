/**
 * `SecretBox`: AES-256-GCM over Node's crypto, for what distill keeps but must never store in clear
 * (per-job request headers and cookies, issue 20). One key (`DISTILL_SECRET_KEY`: 32 bytes as 64 hex
 * digits or base64); each seal has a fresh random 96-bit nonce and carries its 128-bit tag, so a box
 * changed or opened with another key fails rather than yielding garbage.
 *
 * Format: `v1.<nonce>.<tag>.<ciphertext>`, each part base64url. Hand-written because it is twenty
 * lines over `node:crypto`, which does the cryptography.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { PermanentError } from './errors.js';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** What `keyCheck()` authenticates: a value that identifies the key without revealing it. */
const KEY_CHECK_LABEL = 'distill:secret-key-check:v1';

/** A sealed box that will not open: changed, cut, or sealed with another key. */
export class SecretUnreadableError extends PermanentError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      'secret_unreadable',
      `A stored secret cannot be opened (${reason}); was DISTILL_SECRET_KEY changed?`,
      options,
    );
  }
}

/** No `DISTILL_SECRET_KEY` is configured, and something needs one. */
export class SecretKeyMissingError extends PermanentError {
  constructor(what: string) {
    super(
      'secret_key_missing',
      `${what} needs DISTILL_SECRET_KEY (32 random bytes as 64 hex digits or base64, e.g. \`openssl rand -hex 32\`); without it they are refused rather than stored in clear`,
    );
  }
}

/** Parses the key text: 64 hex digits or base64(url) of exactly 32 bytes; throws `TypeError` otherwise. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new TypeError(
    'Expected DISTILL_SECRET_KEY to be 32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`)',
  );
}

/** Seals and opens short secrets with one AES-256-GCM key; see the module comment. */
export class SecretBox {
  readonly #key: Buffer;

  /** `key`: 32 bytes, or its text form (see `parseSecretKey`). */
  constructor(key: Buffer | string) {
    const bytes = typeof key === 'string' ? parseSecretKey(key) : Buffer.from(key);
    if (bytes.length !== 32) throw new TypeError(`Expected a 32-byte key, got ${bytes.length} bytes`);
    this.#key = bytes;
  }

  /** Encrypts `plaintext` (UTF-8) into a box. */
  seal(plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      nonce.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  /** Decrypts a box; throws `SecretUnreadableError` when it is malformed, changed or of another key. */
  open(box: string): string {
    const [version, nonceText, tagText, ciphertextText, ...rest] = box.split('.');
    if (
      version !== VERSION ||
      nonceText === undefined ||
      tagText === undefined ||
      ciphertextText === undefined ||
      rest.length > 0
    ) {
      throw new SecretUnreadableError('not a sealed box of this version');
    }
    const nonce = Buffer.from(nonceText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES)
      throw new SecretUnreadableError('malformed box');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertextText, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new SecretUnreadableError('authentication failed', { cause: error });
    }
  }

  /**
   * A value that identifies this key (HMAC-SHA256 of a fixed label), stored once per database so
   * that a process started with another key stops at start instead of failing item by item.
   */
  keyCheck(): string {
    return createHmac('sha256', this.#key).update(KEY_CHECK_LABEL).digest('base64url');
  }
}
