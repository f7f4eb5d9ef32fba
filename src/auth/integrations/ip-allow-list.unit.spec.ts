import { IntegrationError } from './integration-error';
import { addressGroup, checkIpAllowList, checkIpRange, ipAllowed } from './ip-allow-list';

describe('IP ranges at registration', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
    ['198.51.100.7', '198.51.100.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:1:0:0:0:0/64', '2001:db8:0:1::/64'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1/128'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4/128'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['fe80::/10', 'fe80::/10'],
    // An IPv4 range written as IPv4-mapped IPv6 is the IPv4 range.
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
    ['::ffff:c000:0200/120', '192.0.2.0/24'],
  ])('accepts %s as %s', (given, canonical) => {
    expect(checkIpRange(given)).toBe(canonical);
  });

  it.each([
    ['10.0.0.5/8', 'has address bits set after the /8 prefix; write the network (10.0.0.0/8) or a single address (10.0.0.5)'],
    ['2001:db8::1/32', 'write the network (2001:db8::/32) or a single address (2001:db8::1)'],
    ['10.0.0.0/33', 'has the prefix length /33; an IPv4 prefix is a whole number from 0 to 32'],
    ['2001:db8::/129', 'an IPv6 prefix is a whole number from 0 to 128'],
    ['10.0.0.0/', 'has the prefix length /;'],
    ['10.0.0.0/-1', 'has the prefix length /-1'],
    ['10.0.0.0/8/8', 'has the prefix length /8/8'],
    ['256.0.0.0/8', 'does not start with an IPv4 or IPv6 address'],
    ['10.0.0/24', 'does not start with an IPv4 or IPv6 address'],
    ['010.0.0.0/8', 'does not start with an IPv4 or IPv6 address'],
    ['example.com', 'does not start with an IPv4 or IPv6 address'],
    ['fe80::1%eth0', '(zone ids such as %eth0 are not allowed)'],
  ])('refuses %s', (given, problem) => {
    expect(() => checkIpRange(given)).toThrow(IntegrationError);
    expect(() => checkIpRange(given)).toThrow(`IP range ${JSON.stringify(given)} `);
    expect(() => checkIpRange(given)).toThrow(problem);
  });

  it('keeps a list canonical and without duplicates, and refuses an empty entry', () => {
    expect(checkIpAllowList(['10.0.0.0/8', '::ffff:10.0.0.0/104', '2001:db8::/32'])).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(() => checkIpAllowList([''])).toThrow('an IP range must be a CIDR range like 203.0.113.0/24 or 2001:db8::/32, or a single address');
  });
});

describe('ipAllowed', () => {
  const list = checkIpAllowList(['10.0.0.0/8', '198.51.100.7', '2001:db8::/32']);

  it('allows every address when the list is empty', () => {
    expect(ipAllowed([], '203.0.113.9')).toBe(true);
    expect(ipAllowed([], null)).toBe(true);
  });

  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['9.255.255.255', false],
    ['198.51.100.7', true],
    ['198.51.100.8', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db9::', false],
    ['2001:0DB8:0:0::42', true],
    // What a dual-stack socket reports for an IPv4 client: matched as the IPv4 address.
    ['::ffff:10.1.2.3', true],
    ['::ffff:a01:203', true],
    ['::ffff:11.1.2.3', false],
    ['::FFFF:198.51.100.7', true],
    // The deprecated IPv4-compatible form is plain IPv6, not the IPv4 address.
    ['::10.1.2.3', false],
    ['fe80::1%eth0', false],
    ['2001:db8::1%2', true],
    ['not-an-ip', false],
    ['', false],
    ['10.0.0.1/32', false],
  ])('%s -> %s', (ip, allowed) => {
    expect(ipAllowed(list, ip)).toBe(allowed);
  });

  it('refuses a missing address when there is a list', () => {
    expect(ipAllowed(list, null)).toBe(false);
    expect(ipAllowed(list, undefined)).toBe(false);
  });

  it('keeps the families apart: ::/0 is every IPv6 address, 0.0.0.0/0 every IPv4 one (mapped included)', () => {
    expect(ipAllowed(['::/0'], '2001:db8::1')).toBe(true);
    expect(ipAllowed(['::/0'], '10.0.0.1')).toBe(false);
    expect(ipAllowed(['::/0'], '::ffff:10.0.0.1')).toBe(false);
    expect(ipAllowed(['0.0.0.0/0'], '::ffff:10.0.0.1')).toBe(true);
    expect(ipAllowed(['0.0.0.0/0'], '2001:db8::1')).toBe(false);
    expect(ipAllowed(['127.0.0.1/32', '::1/128'], '::1')).toBe(true);
    expect(ipAllowed(['127.0.0.1/32'], '::1')).toBe(false);
  });
});

describe('addressGroup (per-address limits)', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
    ['::1', '::/64'],
  ])('counts %s as %s', (ip, group) => {
    expect(addressGroup(ip)).toBe(group);
  });

  it.each([undefined, null, '', 'not an address', '10.0.0.0/8'])('has no group for %p', (ip) => {
    expect(addressGroup(ip)).toBeNull();
  });
});
