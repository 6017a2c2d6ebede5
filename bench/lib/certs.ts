// Throwaway TLS material for the benches, made with the openssl CLI so the bench does not depend on
// pki/ internals (which are being written at the same time and are themselves something we measure).
// ECDSA P-256 everywhere: it is what a modern deployment would use, and with keep-alive the key type
// only affects the handful of handshakes at the start of each run anyway.

import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** server cert followed by its key, the single-file form HAProxy's `crt` wants. */
  serverCombined: string;
  clientCert: string;
  clientKey: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

function issue(dir: string, name: string, subject: string, ext: string): void {
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', extFile, '-out', `${name}.crt`]);
  // Servers may (rightly) refuse group/world-readable keys; don't let the bench trip on that.
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/** Creates a CA, a server cert for 127.0.0.1/localhost and a client cert, all in `dir`. */
export function makeBenchCerts(dir: string): BenchCerts {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-sha256', '-subj', '/CN=portcullis-bench-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(join(dir, 'ca.key'), 0o600);
  issue(dir, 'server', '/CN=localhost', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '',
  ].join('\n'));
  issue(dir, 'client', '/CN=bench-client', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
    'subjectAltName=URI:spiffe://bench.portcullis.local/client',
    '',
  ].join('\n'));
  const serverCombined = join(dir, 'server-combined.pem');
  writeFileSync(serverCombined, readFileSync(join(dir, 'server.crt'), 'utf8') + readFileSync(join(dir, 'server.key'), 'utf8'), { mode: 0o600 });
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    serverCombined,
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}
