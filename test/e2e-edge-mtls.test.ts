// Client certificates at the edge, per route mode, over real TLS 1.3 handshakes: who gets in, what
// identity the upstream is told, and that `portcullis certs revoke` shuts out a certificate within
// seconds on connections that are already open, without a restart.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { TRUST_DOMAIN, echoed, expectRefusal, pollUntil, startStack, type ClientCert, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const sha256 = (der: Buffer): string => createHash('sha256').update(der).digest('hex');

describe('mtls: required', () => {
  it('no certificate: 401 PCL_CLIENT_CERT_REQUIRED', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/secure/x'));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_REQUIRED');
    expect(reached).toEqual([]);
  });

  it('a certificate from an untrusted CA (claiming a valid SPIFFE id): 401 PCL_CLIENT_CERT_INVALID', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/secure/x', { client: stack.clients.rogue }));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_INVALID');
    expect(reached).toEqual([]);
  });

  it('an expired certificate from our own CA: 401 PCL_CLIENT_CERT_INVALID', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/secure/x', { client: stack.clients.expired }));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_INVALID');
    expect(reached).toEqual([]);
  });

  it('a server certificate from our own CA (EKU serverAuth only) is not a client identity: 401', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/secure/x', { client: stack.clients.server }));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_INVALID');
    expect(reached).toEqual([]);
  });

  it('a valid certificate: the upstream gets its SPIFFE id in XFCC and its DER in Client-Cert (RFC 9440)', async () => {
    const { svc } = stack.clients;
    const seen = echoed(await stack.get('/secure/x', { client: svc }));
    expect(seen.url).toBe('/secure/x');
    expect(seen.headers['x-forwarded-client-cert']).toBe(`Hash=${sha256(svc.der)};Subject="CN=good";URI=spiffe://${TRUST_DOMAIN}/svc/good`);
    const clientCert = seen.headers['client-cert'];
    expect(clientCert).toMatch(/^:[A-Za-z0-9+/]+=*:$/);
    expect(Buffer.from(String(clientCert).slice(1, -1), 'base64').equals(svc.der)).toBe(true);
  });

  it('a user certificate is forwarded as the user identity', async () => {
    const seen = echoed(await stack.get('/secure/x', { client: stack.clients.user }));
    expect(seen.headers['x-forwarded-client-cert']).toContain(`;URI=spiffe://${TRUST_DOMAIN}/user/alice`);
  });

  it('a certificate from a second CA made with openssl (listed in clientCa) is accepted; its CN is the identity', async () => {
    const { legacy } = stack.clients;
    const seen = echoed(await stack.get('/secure/x', { client: legacy }));
    expect(seen.headers['x-forwarded-client-cert']).toBe(`Hash=${sha256(legacy.der)};Subject="O=Legacy, CN=legacy-client"`);
    expect(seen.headers['client-cert']).toBe(`:${legacy.der.toString('base64')}:`);
  });
});

describe('trust domain', () => {
  it('a certificate from another trusted CA cannot claim an identity in our trust domain', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/secure/x', { client: stack.clients.impostor }));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_INVALID');
    expect(reached).toEqual([]);
  });

  it('the same CA may still vouch for identities outside our trust domain', async () => {
    // The legacy client (CN only) comes from a sibling trusted openssl CA and is served.
    expect((await stack.get('/secure/x', { client: stack.clients.legacy })).status).toBe(200);
  });
});

describe('mtls: optional', () => {
  it('no certificate: served anonymously, no identity headers', async () => {
    const seen = echoed(await stack.get('/maybe/x'));
    expect(seen.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(seen.headers['client-cert']).toBeUndefined();
  });

  it('a valid certificate: served with its identity', async () => {
    const seen = echoed(await stack.get('/maybe/x', { client: stack.clients.svc }));
    expect(seen.headers['x-forwarded-client-cert']).toContain(`URI=spiffe://${TRUST_DOMAIN}/svc/good`);
  });

  it.each([
    ['untrusted CA', 'rogue'],
    ['expired', 'expired'],
  ] as const)('a bad certificate (%s) is refused, never downgraded to anonymous', async (_what, which) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/maybe/x', { client: stack.clients[which] }));
    expectRefusal(result, 401, 'PCL_CLIENT_CERT_INVALID');
    expect(reached).toEqual([]);
  });
});

describe('mtls: off', () => {
  it('any certificate, even an untrusted one, is ignored: served, and no identity is forwarded', async () => {
    const seen = echoed(await stack.get('/open/x', { client: stack.clients.rogue }));
    expect(seen.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(seen.headers['client-cert']).toBeUndefined();
  });
});

describe('TLS versions', () => {
  it('a TLS 1.2-only client cannot complete a handshake with the default TLS 1.3 listener', async () => {
    const { result, reached } = await stack.upstreamSaw(() =>
      stack.get('/open/x', { tls: { maxVersion: 'TLSv1.2' } }).then(
        () => 'served',
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      ),
    );
    expect(result).toMatch(/PROTOCOL_VERSION|protocol version/i);
    expect(reached).toEqual([]);
  });
});

describe('revocation without restart', () => {
  const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
  const statusOn = async (client: ClientCert, path: string): Promise<number> => (await stack.get(path, { client })).status;

  it('`portcullis certs revoke` refuses the certificate on an open keep-alive connection and on new ones', async () => {
    const { doomed } = stack.clients;
    const conn = await stack.connect(doomed);
    try {
      expect(echoed(await conn.send(request('/secure/before'))).url).toBe('/secure/before');

      const revoke = await runCli(['certs', 'revoke', doomed.serial, '--reason', 'keyCompromise', '--dir', stack.pkiDir]);
      expect(revoke.output).toContain(`revoked ${doomed.serial}`);
      expect(revoke.code).toBe(0);

      // revocationRefreshMs is 200: poll the same connection (it must stay open) until the refusal.
      let last = 0;
      await pollUntil(async () => {
        const res = await conn.send(request('/secure/during'));
        last = res.status;
        if (res.status === 403) expectRefusal(res, 403, 'PCL_CLIENT_CERT_REVOKED');
        return res.status === 403;
      }, 5000);
      expect(last).toBe(403);
      expect(conn.closed).toBe(false);

      const { result, reached } = await stack.upstreamSaw(async () => {
        const again = await conn.send(request('/secure/after'));
        const fresh = await stack.get('/secure/after', { client: doomed });
        const optional = await stack.get('/maybe/after', { client: doomed });
        return { again, fresh, optional };
      });
      expectRefusal(result.again, 403, 'PCL_CLIENT_CERT_REVOKED');
      expectRefusal(result.fresh, 403, 'PCL_CLIENT_CERT_REVOKED');
      expectRefusal(result.optional, 403, 'PCL_CLIENT_CERT_REVOKED');
      expect(reached).toEqual([]);
    } finally {
      conn.close();
    }
    // Only that certificate: others from the same CA keep working.
    expect(await statusOn(stack.clients.svc, '/secure/x')).toBe(200);
  });
});
