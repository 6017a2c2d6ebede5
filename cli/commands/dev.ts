// `portcullis dev` (what `npm start` runs): the whole stack on one machine with embedded defaults. On
// first run it creates a data directory with a PKI, certificates and a config file; every run starts
// the demo upstream and the gateway and prints commands to try.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { initPki, openPki } from '../../pki/index.js';
import { startDemoUpstream } from '../dev/demo-upstream.js';
import { runGateway } from '../run-gateway.js';

export interface DevOptions {
  dataDir: string;
  port: number;
  adminPort: number;
  upstreamPort: number;
}

const TRUST_DOMAIN = 'portcullis.local';

async function writeSecretFile(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
}

/** Create the PKI, the certificates and the config on first run; later runs reuse them. */
export async function prepareDevDataDir(opts: DevOptions): Promise<{ configPath: string; demoClientSerial: string | undefined }> {
  const dataDir = resolve(opts.dataDir);
  const pkiDir = join(dataDir, 'pki');
  const certsDir = join(dataDir, 'certs');
  await mkdir(certsDir, { recursive: true, mode: 0o700 });
  let demoClientSerial: string | undefined;
  if (!existsSync(join(pkiDir, 'ca.crt'))) {
    await initPki(pkiDir, { trustDomain: TRUST_DOMAIN });
    const pki = await openPki(pkiDir);
    const server = await pki.issueServer({ name: 'gateway', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
    await writeFile(join(certsDir, 'gateway.crt'), server.chainPem);
    await writeSecretFile(join(certsDir, 'gateway.key'), server.keyPem);
    const client = await pki.issueClient({ kind: 'svc', name: 'demo-client' });
    demoClientSerial = client.serial;
    await writeFile(join(certsDir, 'demo-client.crt'), client.certPem);
    await writeSecretFile(join(certsDir, 'demo-client.key'), client.keyPem);
    const admin = await pki.issueClient({ kind: 'user', name: 'admin' });
    await writeFile(join(certsDir, 'admin.crt'), admin.certPem);
    await writeSecretFile(join(certsDir, 'admin.key'), admin.keyPem);
  }
  const configPath = join(dataDir, 'portcullis.yaml');
  if (!existsSync(configPath)) await writeFile(configPath, devConfig(opts));
  return { configPath, demoClientSerial };
}

function devConfig(opts: DevOptions): string {
  return `# Written by \`portcullis dev\` on first run. Edit it: valid changes apply live, invalid ones are
# refused with the same errors \`portcullis config validate\` prints, and the old config keeps serving.
version: 1
dataDir: .
server:
  host: 127.0.0.1
  port: ${opts.port}
  tls:
    cert: certs/gateway.crt
    key: { file: certs/gateway.key }
    clientCa: [pki/ca.crt]
admin:
  host: 127.0.0.1
  port: ${opts.adminPort}
  allowedIdentities: [spiffe://${TRUST_DOMAIN}/user/admin]
pki:
  dir: pki
  trustDomain: ${TRUST_DOMAIN}
logging:
  level: info
pools:
  demo:
    targets:
      - url: http://127.0.0.1:${opts.upstreamPort}
    healthCheck: { path: /healthz, intervalMs: 2000 }
routes:
  # Anyone with TLS may call /public/*; the prefix is stripped before the upstream sees it.
  - name: public
    match: { path: { prefix: /public }, methods: [GET, HEAD] }
    pool: demo
    stripPrefix: true
    mtls: off
    rateLimit: { client: { ratePerSec: 20, burst: 40 } }
  # /api/* needs a client certificate from this PKI; the identity is forwarded upstream.
  - name: api
    match: { path: { prefix: /api } }
    pool: demo
    stripPrefix: true
    mtls: required
`;
}

export function devInstructions(opts: DevOptions, configPath: string): string {
  // Paths relative to where the user stands, unless that means climbing out of it.
  const rel = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const dir = resolve(opts.dataDir);
  const ca = rel(join(dir, 'pki', 'ca.crt'));
  const cert = (name: string): string => `--cert ${rel(join(dir, 'certs', `${name}.crt`))} --key ${rel(join(dir, 'certs', `${name}.key`))}`;
  const base = `https://localhost:${opts.port}`;
  return `
Portcullis dev stack is up (embedded defaults; nothing else needed).
  data port    ${base}
  admin port   https://localhost:${opts.adminPort}  (mTLS, admin certificate only)
  demo API     http://127.0.0.1:${opts.upstreamPort}  (behind the gateway)
  config       ${rel(configPath)}  (edit it: changes apply live)

Try these:
  # 1. public route, TLS only                                    -> 200
  curl --cacert ${ca} ${base}/public/hello
  # 2. mTLS route with the demo client certificate               -> 200, identity forwarded upstream
  curl --cacert ${ca} ${cert('demo-client')} ${base}/api/whoami
  # 3. the same route without a certificate                      -> 401 PCL_CLIENT_CERT_REQUIRED
  curl --cacert ${ca} ${base}/api/whoami
  # 4. a path traversal attempt                                  -> 400 PCL_PATH_DOT_SEGMENT
  curl --cacert ${ca} --path-as-is ${base}/public/%2e%2e/api/whoami
  # 5. health and metrics on the admin port                      -> 200
  curl --cacert ${ca} ${cert('admin')} https://localhost:${opts.adminPort}/readyz
  curl --cacert ${ca} ${cert('admin')} https://localhost:${opts.adminPort}/metrics
  # 6. revoke the demo client certificate; request 2 is refused within a second (403)
  npx portcullis certs list --dir ${rel(join(dir, 'pki'))}
  npx portcullis certs revoke <SERIAL> --dir ${rel(join(dir, 'pki'))}

Ctrl-C stops everything.
`;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port number from 1 to 65535');
  return n;
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('Run the whole stack locally on embedded defaults (PKI, demo upstream, gateway).')
    .option('--data-dir <dir>', 'where PKI, certificates and config live', '.portcullis')
    .option('--port <n>', 'data port', parsePort, 8443)
    .option('--admin-port <n>', 'admin port', parsePort, 9443)
    .option('--upstream-port <n>', 'demo upstream port', parsePort, 18081)
    .action(async (opts: DevOptions) => {
      const { configPath } = await prepareDevDataDir(opts);
      const upstream = await startDemoUpstream(opts.upstreamPort);
      const proc = await runGateway(configPath, { onStop: () => upstream.close() });
      if (proc === undefined) {
        await upstream.close();
        return;
      }
      // The config file decides the ports after the first run; show the ones actually in use.
      process.stdout.write(devInstructions({ ...opts, port: proc.gateway.dataPort, adminPort: proc.gateway.adminPort ?? opts.adminPort }, configPath));
    });
}
