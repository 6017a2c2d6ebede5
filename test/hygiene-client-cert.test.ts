import { describe, expect, it } from 'vitest';
import { certSha256, clientCertChainHeader, clientCertHeader, xfccValue } from '../gateway/hygiene/client-cert.js';

const H = '468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688';

describe('xfccValue', () => {
  it('reproduces the examples in Envoy\'s documentation', () => {
    expect(
      xfccValue({
        by: 'http://frontend.lyft.com',
        hash: H,
        subject: '/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client',
        uri: 'http://testclient.lyft.com',
      }),
    ).toBe(
      'By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;' +
        'Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com',
    );
    expect(
      xfccValue({
        by: 'http://frontend.lyft.com',
        hash: H,
        subject: '/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client',
        uri: 'http://testclient.lyft.com',
        dns: ['lyft.com', 'www.lyft.com'],
      }),
    ).toBe(
      'By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;' +
        'Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com;DNS=lyft.com;DNS=www.lyft.com',
    );
  });

  it('always quotes Subject, even empty, and omits absent keys', () => {
    expect(xfccValue({ hash: H, subject: '' })).toBe(`Hash=${H};Subject=""`);
    expect(xfccValue({ hash: H, subject: 'CN=alice,O=Corp', uri: 'spiffe://corp/ns/a/sa/alice' })).toBe(
      `Hash=${H};Subject="CN=alice,O=Corp";URI=spiffe://corp/ns/a/sa/alice`,
    );
  });

  it('quotes values holding , ; = and escapes quotes and backslashes', () => {
    expect(xfccValue({ hash: H, subject: 'CN=a"b', uri: 'spiffe://x/a;b=c', dns: ['a,b'] })).toBe(
      `Hash=${H};Subject="CN=a\\"b";URI="spiffe://x/a;b=c";DNS="a,b"`,
    );
    // A value ending in a backslash must not turn the closing quote into an escaped one.
    expect(xfccValue({ hash: H, subject: 'CN=a\\', uri: 'u"' })).toBe(`Hash=${H};Subject="CN=a\\\\";URI="u\\""`);
  });

  it('percent-encodes controls and non-ASCII so a certificate cannot break the header', () => {
    expect(xfccValue({ hash: H, subject: 'CN=a\r\nX-Admin: 1', dns: ['caf\u00e9.example'] })).toBe(
      `Hash=${H};Subject="CN=a%0D%0AX-Admin: 1";DNS=caf%C3%A9.example`,
    );
  });

  it("accepts Node's fingerprint256 form and refuses anything that is not a SHA-256", () => {
    const colons = H.toUpperCase().match(/../g)?.join(':') ?? '';
    expect(xfccValue({ hash: colons, subject: 'CN=x' })).toBe(`Hash=${H};Subject="CN=x"`);
    for (const bad of ['', 'abc', H.toUpperCase(), H + '00', `${H.slice(0, 62)};x`]) {
      expect(() => xfccValue({ hash: bad, subject: 'CN=x' }), bad).toThrow(TypeError);
    }
  });
});

describe('RFC 9440 Client-Cert', () => {
  const der = Buffer.from([0x30, 0x82, 0x01, 0x0a, 0xff, 0xfe]);

  it('is the DER as a structured-field byte sequence', () => {
    expect(clientCertHeader(der)).toBe(':MIIBCv/+:');
    expect(clientCertHeader(Buffer.alloc(0))).toBe('::');
  });

  it('lists the chain as comma-separated byte sequences', () => {
    expect(clientCertChainHeader([der, Buffer.from('ab')])).toBe(':MIIBCv/+:, :YWI=:');
  });

  it('hashes the DER with SHA-256 for XFCC', () => {
    expect(certSha256(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
