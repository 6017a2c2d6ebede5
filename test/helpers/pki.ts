// Throwaway PKIs and a real openssl runner for tests. A PKI costs one RSA key (~100 ms) plus one per
// issued certificate, so suites should make one in beforeAll and share it.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki, type IssuedCert, type Pki } from '../../pki/index.js';

export interface TestPki {
  /** A fresh temporary directory; the PKI lives in `<root>/pki`, other files can go next to it. */
  root: string;
  dir: string;
  pki: Pki;
  /** Writes `<root>/<name>` and returns its path. */
  file(name: string, contents: string): Promise<string>;
  /** Writes an issued certificate as `<root>/<prefix>.crt` / `.key` / `.chain.crt`. */
  save(prefix: string, issued: IssuedCert): Promise<{ cert: string; key: string; chain: string }>;
  cleanup(): Promise<void>;
}

/**
 * A new CA in a temporary directory.
 *
 * @example
 * let t: TestPki;
 * beforeAll(async () => { t = await makeTestPki(); });
 * afterAll(() => t.cleanup());
 * const client = await t.pki.issueClient({ kind: 'svc', name: 'billing' });
 */
export async function makeTestPki(opts: { trustDomain?: string } = {}): Promise<TestPki> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-pki-'));
  const dir = join(root, 'pki');
  const { pki } = await initPki(dir, { trustDomain: opts.trustDomain ?? 'portcullis.test' });
  const file = async (name: string, contents: string): Promise<string> => {
    const path = join(root, name);
    await writeFile(path, contents, { mode: 0o600 });
    return path;
  };
  return {
    root,
    dir,
    pki,
    file,
    save: async (prefix, issued) => ({
      cert: await file(`${prefix}.crt`, issued.certPem),
      key: await file(`${prefix}.key`, issued.keyPem),
      chain: await file(`${prefix}.chain.crt`, issued.chainPem),
    }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real openssl binary; tests assert on its exit status and output. */
export function openssl(args: string[], opts: { cwd?: string; input?: string } = {}): ProcessResult {
  const r = spawnSync('openssl', args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
