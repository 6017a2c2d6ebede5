import { describe, expect, it } from 'vitest';
import {
  InvalidTrustedProxyError,
  clientAddress,
  compileTrustedProxies,
  normalizeIp,
  requestIdFrom,
} from '../gateway/hygiene/forwarded.js';

const TRUSTED = compileTrustedProxies(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('compileTrustedProxies', () => {
  it.each(['foo', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8x', '10.0.0.0/-1', '::/129', '', '300.1.1.1', 'fe80::1%eth0/64', '10.0.0.0/ 8'])(
    'refuses %j at config load',
    (entry) => {
      expect(() => compileTrustedProxies([entry])).toThrow(InvalidTrustedProxyError);
    },
  );

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 peers', () => {
    expect(TRUSTED.contains('10.1.2.3')).toBe(true);
    expect(TRUSTED.contains('11.0.0.1')).toBe(false);
    expect(TRUSTED.contains('192.0.2.1')).toBe(true);
    expect(TRUSTED.contains('192.0.2.2')).toBe(false);
    expect(TRUSTED.contains('fd12::1')).toBe(true);
    expect(TRUSTED.contains('2001:db8::1')).toBe(false);
    expect(TRUSTED.contains('::ffff:10.1.2.3')).toBe(true);
    expect(TRUSTED.contains('::ffff:11.1.2.3')).toBe(false);
    expect(TRUSTED.contains('not-an-ip')).toBe(false);
    expect(TRUSTED.contains('')).toBe(false);
  });

  it('trusts nobody when the list is empty', () => {
    const none = compileTrustedProxies([]);
    expect(none.size).toBe(0);
    expect(clientAddress('10.0.0.1', '1.2.3.4', none)).toEqual({ clientIp: '10.0.0.1', peerTrusted: false, chain: [] });
  });
});

describe('normalizeIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4 and leaves the rest alone', () => {
    expect(normalizeIp('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(normalizeIp('::FFFF:203.0.113.5')).toBe('203.0.113.5');
    expect(normalizeIp('::ffff:zzz')).toBe('::ffff:zzz');
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientAddress('203.0.113.5', '10.0.0.1, 127.0.0.1', TRUSTED)).toEqual({
      clientIp: '203.0.113.5',
      peerTrusted: false,
      chain: [],
    });
  });

  it('uses the peer when a trusted peer sends no X-Forwarded-For', () => {
    expect(clientAddress('10.0.0.1', undefined, TRUSTED)).toEqual({ clientIp: '10.0.0.1', peerTrusted: true, chain: [] });
  });

  it('walks right to left past trusted hops; the first untrusted address is the client', () => {
    expect(clientAddress('10.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.3,10.0.0.2', TRUSTED)).toEqual({
      clientIp: '198.51.100.7',
      peerTrusted: true,
      chain: ['198.51.100.7', '10.0.0.3', '10.0.0.2'],
    });
  });

  it('takes the leftmost hop when every hop is trusted', () => {
    expect(clientAddress('10.0.0.1', '10.0.0.3, 10.0.0.2', TRUSTED).clientIp).toBe('10.0.0.3');
  });

  it('stops at a malformed entry; the last good hop is the client', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.7, unknown, 10.0.0.2', TRUSTED)).toEqual({
      clientIp: '10.0.0.2',
      peerTrusted: true,
      chain: ['10.0.0.2'],
    });
    for (const bad of ['unknown', '1.2.3.4:80', '[2001:db8::1]', '_hidden', 'fe80::1%eth0', '', '1.2.3.4,', ' , ', '1.2.3.4 5.6.7.8']) {
      expect(clientAddress('10.0.0.1', bad, TRUSTED), bad).toEqual({ clientIp: '10.0.0.1', peerTrusted: true, chain: [] });
    }
  });

  it('joins several X-Forwarded-For headers in order', () => {
    expect(clientAddress('10.0.0.1', ['198.51.100.7, 10.0.0.4', '10.0.0.3'], TRUSTED)).toEqual({
      clientIp: '198.51.100.7',
      peerTrusted: true,
      chain: ['198.51.100.7', '10.0.0.4', '10.0.0.3'],
    });
  });

  it('handles IPv6 and IPv4-mapped peers and hops', () => {
    expect(clientAddress('fd00::5', '2001:db8::42', TRUSTED)).toEqual({
      clientIp: '2001:db8::42',
      peerTrusted: true,
      chain: ['2001:db8::42'],
    });
    expect(clientAddress('::ffff:10.0.0.1', '::ffff:198.51.100.7', TRUSTED)).toEqual({
      clientIp: '198.51.100.7',
      peerTrusted: true,
      chain: ['198.51.100.7'],
    });
    expect(clientAddress('::ffff:203.0.113.5', '10.0.0.9', TRUSTED)).toEqual({
      clientIp: '203.0.113.5',
      peerTrusted: false,
      chain: [],
    });
  });
});

describe('requestIdFrom', () => {
  it.each(['abc', 'A-Z_a.z:09', '0f8fad5b-d9cb-469f-a165-70867728950e', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'x'.repeat(128)])(
    'keeps the well-formed id %j',
    (id) => {
      expect(requestIdFrom(id)).toBe(id);
      expect(requestIdFrom([id])).toBe(id);
    },
  );

  it.each(['', 'x'.repeat(129), 'a b', 'a\r\nX-Admin: 1', 'a,b', 'caf\u00e9', '<script>', 'a/b', 'a\u0000'])(
    'replaces %j with a fresh UUID',
    (id) => {
      const out = requestIdFrom(id);
      expect(out).toMatch(UUID);
    },
  );

  it('generates when absent or repeated', () => {
    expect(requestIdFrom(undefined)).toMatch(UUID);
    expect(requestIdFrom(['a', 'b'])).toMatch(UUID);
    expect(requestIdFrom([])).toMatch(UUID);
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});
