import { ConfigError, loadConfig } from '../config/config';
import { clientAddress, forwardedAddress, parseTrustedProxies } from './client-address';

const from = (remoteAddress: string | undefined, forwardedFor?: string | string[]) => ({
  socket: { remoteAddress },
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor as string },
});

describe('clientAddress', () => {
  const proxies = parseTrustedProxies('127.0.0.1, 10.0.0.0/8, fd00::/8');

  it('is the peer without trusted proxies, whatever X-Forwarded-For says', () => {
    expect(clientAddress(from('198.51.100.1', '203.0.113.7'), [])).toBe('198.51.100.1');
    expect(clientAddress(from('::ffff:198.51.100.1', '203.0.113.7'), [])).toBe('::ffff:198.51.100.1');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(clientAddress(from('198.51.100.1', '203.0.113.7'), proxies)).toBe('198.51.100.1');
    expect(clientAddress(from('2001:db8::1', '203.0.113.7'), proxies)).toBe('2001:db8::1');
  });

  it('is the forwarded address when a trusted proxy (IPv4, IPv4-mapped, IPv6) connects', () => {
    expect(clientAddress(from('127.0.0.1', '203.0.113.7'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(from('::ffff:127.0.0.1', '203.0.113.7'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(from('fd00::5', '2001:db8::7'), proxies)).toBe('2001:db8::7');
    expect(clientAddress(from('10.1.2.3', '::ffff:203.0.113.7'), proxies)).toBe('::ffff:203.0.113.7');
  });

  it('takes the right-most entry that is not a trusted proxy: what the client wrote further left is not believed', () => {
    // The client sent "X-Forwarded-For: 192.0.2.66"; the outer proxy appended the client's address, the inner one the outer's.
    expect(clientAddress(from('127.0.0.1', '192.0.2.66, 203.0.113.7, 10.0.0.2'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(from('127.0.0.1', ['192.0.2.66', '203.0.113.7', '10.0.0.2']), proxies)).toBe('203.0.113.7');
  });

  it('is the left-most entry when every entry is a trusted proxy', () => {
    expect(clientAddress(from('127.0.0.1', '10.0.0.9, 10.0.0.2'), proxies)).toBe('10.0.0.9');
  });

  it('is the peer when the header is missing, empty, or the chain reaches garbage before an untrusted address', () => {
    expect(clientAddress(from('127.0.0.1'), proxies)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', ''), proxies)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', 'unknown'), proxies)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', '203.0.113.7, not-an-ip'), proxies)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', '203.0.113.7,,10.0.0.2'), proxies)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', '203.0.113.7, 10.0.0.2, 999.1.1.1'), proxies)).toBe('127.0.0.1');
    // Garbage left of the client's address is never reached.
    expect(clientAddress(from('127.0.0.1', 'garbage, 203.0.113.7'), proxies)).toBe('203.0.113.7');
  });

  it('is null when the socket has no address', () => {
    expect(clientAddress(from(undefined, '203.0.113.7'), proxies)).toBeNull();
  });
});

describe('forwardedAddress', () => {
  it('reads addresses, with or without the port some proxies add', () => {
    expect(forwardedAddress(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(forwardedAddress('203.0.113.7:4711')).toBe('203.0.113.7');
    expect(forwardedAddress('2001:db8::7')).toBe('2001:db8::7');
    expect(forwardedAddress('[2001:db8::7]')).toBe('2001:db8::7');
    expect(forwardedAddress('[2001:db8::7]:4711')).toBe('2001:db8::7');
    expect(forwardedAddress('::ffff:203.0.113.7')).toBe('::ffff:203.0.113.7');
  });

  it('refuses anything else', () => {
    for (const entry of ['', 'unknown', 'example.com', '203.0.113', '[203.0.113.7]', '2001:db8::7:4711:', 'fe80::1%eth0', '1.2.3.4:99999', `${'1'.repeat(70)}`])
      expect(forwardedAddress(entry)).toBeNull();
  });
});

describe('TRUSTED_PROXIES', () => {
  it('is canonical CIDR ranges, a single address meaning /32 or /128', () => {
    expect(parseTrustedProxies('127.0.0.1, 10.0.0.0/8,::1 , ::ffff:192.168.0.0/112, 10.0.0.0/8,')).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
      '::1/128',
      '192.168.0.0/16',
    ]);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8' }).trustedProxies).toEqual(['10.0.0.0/8']);
    expect(loadConfig({}).trustedProxies).toEqual([]);
  });

  it('stops the start with a message naming the wrong entry and what is allowed', () => {
    const problem = (value: string) => {
      try {
        loadConfig({ TRUSTED_PROXIES: value });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      throw new Error('accepted');
    };
    expect(problem('10.0.0.5/8')).toEqual([
      `TRUSTED_PROXIES must be a comma-separated list of the reverse proxies' addresses or CIDR ranges, e.g. 10.0.0.5, 10.1.0.0/16, ::1: IP range "10.0.0.5/8" has address bits set after the /8 prefix; write the network (10.0.0.0/8) or a single address (10.0.0.5) (got "10.0.0.5/8")`,
    ]);
    expect(problem('127.0.0.1, proxy.internal')[0]).toContain('IP range "proxy.internal" does not start with an IPv4 or IPv6 address');
    expect(problem('10.0.0.0/33')[0]).toContain('has the prefix length /33; an IPv4 prefix is a whole number from 0 to 32');
  });
});
