import { describe, expect, it } from 'vitest';
import { parseSecretKey, SecretBox, SecretUnreadableError } from './secret-box.js';

const KEY = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

describe('SecretBox', () => {
  it('opens what it sealed, and the box does not contain the plaintext', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal('Bearer top-secret-token');
    expect(sealed).not.toContain('top-secret');
    expect(sealed).toMatch(/^v1\./);
    expect(box.open(sealed)).toBe('Bearer top-secret-token');
  });

  it('seals the same text differently each time (a fresh nonce)', () => {
    const box = new SecretBox(KEY);
    expect(box.seal('x')).not.toBe(box.seal('x'));
  });

  it('refuses a box sealed with another key, or changed', () => {
    const sealed = new SecretBox(KEY).seal('hello');
    expect(() => new SecretBox(OTHER).open(sealed)).toThrow(SecretUnreadableError);
    const parts = sealed.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('jello').toString('base64url')].join('.');
    expect(() => new SecretBox(KEY).open(tampered)).toThrow(/authentication failed/);
    expect(() => new SecretBox(KEY).open('not a box')).toThrow(SecretUnreadableError);
  });

  it('tells keys apart by their check without revealing them', () => {
    const check = new SecretBox(KEY).keyCheck();
    expect(check).toBe(new SecretBox(KEY).keyCheck());
    expect(check).not.toBe(new SecretBox(OTHER).keyCheck());
    expect(check).not.toContain('aaaa');
  });

  it('takes 64 hex digits or base64 of 32 bytes, and nothing else', () => {
    expect(parseSecretKey(KEY)).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 7).toString('base64'))).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 7).toString('base64url'))).toHaveLength(32);
    expect(() => parseSecretKey('short')).toThrow(TypeError);
    expect(() => parseSecretKey(Buffer.alloc(16).toString('hex'))).toThrow(TypeError);
  });
});
