import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/config';
import { ConnectorError } from '../registry/connector-error';
import { TokenCipher } from './token-cipher';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);

describe('TokenCipher', () => {
  it('round-trips a value bound to where it is stored, and nothing of it shows in the ciphertext', () => {
    const cipher = new TokenCipher({ current: newKey, previous: [] });
    const value = cipher.encrypt('{"access_token":"secret-abc"}', 'con_1|company|tokens');
    expect(value).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(value).not.toContain('secret');
    expect(cipher.decrypt(value, 'con_1|company|tokens')).toBe('{"access_token":"secret-abc"}');
    expect(() => cipher.decrypt(value, 'con_1|user:u-ann|tokens')).toThrow('a stored connector credential does not decrypt (altered, or moved from where it was stored)');
  });

  it('decrypts with an old key after a rotation and encrypts only with the new one', () => {
    const before = new TokenCipher({ current: oldKey, previous: [] }).encrypt('t', 'ctx');
    const after = new TokenCipher({ current: newKey, previous: [oldKey] });
    expect(after.decrypt(before, 'ctx')).toBe('t');
    expect(after.isStale(before)).toBe(true);
    expect(after.isStale(after.encrypt('t', 'ctx'))).toBe(false);

    const dropped = new TokenCipher({ current: newKey, previous: [] });
    expect(() => dropped.decrypt(before, 'ctx')).toThrow(/encrypted with a key csmcp no longer has \(key [0-9a-f]{8}\): put that key back in CONNECTOR_TOKEN_OLD_KEYS/);
  });

  it('says how to set the key when there is none', () => {
    const cipher = TokenCipher.fromConfig({ connectorTokenKeys: null });
    expect(cipher.configured).toBe(false);
    let error: unknown;
    try {
      cipher.encrypt('t', 'ctx');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'TOKEN_KEY_MISSING', message: expect.stringContaining('CONNECTOR_TOKEN_KEY is not set') });
  });

  it('takes its keys from the environment, refusing a key that is not 32 bytes without echoing it', () => {
    const config = loadConfig({ CONNECTOR_TOKEN_KEY: newKey.toString('base64'), CONNECTOR_TOKEN_OLD_KEYS: ` ${oldKey.toString('base64url')} ` });
    expect(config.connectorTokenKeys?.current.equals(newKey)).toBe(true);
    expect(config.connectorTokenKeys?.previous.map((k) => k.equals(oldKey))).toEqual([true]);
    expect(() => loadConfig({ CONNECTOR_TOKEN_KEY: 'c2hvcnQ=' })).toThrow(
      'CONNECTOR_TOKEN_KEY must be base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32` (the value is not shown)',
    );
    expect(() => loadConfig({ CONNECTOR_TOKEN_KEY: 'c2hvcnQ=' })).not.toThrow(/c2hvcnQ/);
    expect(() => loadConfig({ CONNECTOR_TOKEN_OLD_KEYS: oldKey.toString('base64') })).toThrow('CONNECTOR_TOKEN_OLD_KEYS needs CONNECTOR_TOKEN_KEY');
  });
});
