// Hot reload: valid changes reach onChange, invalid ones reach onRejected and change nothing, and the
// watcher survives editors that replace files by rename. SIGHUP forces a reload.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigWatcher, formatIssues, loadConfig, validateConfigFile } from '../gateway/config/index.js';
import type { ConfigIssue, GatewayConfig } from '../gateway/config/index.js';
import { CERT_PEM, MINIMAL_YAML, makeConfigDir } from './fixtures/config/helpers.js';
import type { ConfigDir } from './fixtures/config/helpers.js';

const FAST = { debounceMs: 30, pollMs: 100 };

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  dir: ConfigDir;
  watcher: ConfigWatcher;
  changes: GatewayConfig[];
  rejections: ConfigIssue[][];
  errors: unknown[];
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function harness(opts: { env?: Record<string, string>; onChange?: (c: GatewayConfig) => void; baseline?: boolean } = {}): Promise<Harness> {
  const dir = makeConfigDir(MINIMAL_YAML);
  const env = opts.env ?? {};
  const changes: GatewayConfig[] = [];
  const rejections: ConfigIssue[][] = [];
  const errors: unknown[] = [];
  const watcher = new ConfigWatcher(dir.file, {
    ...FAST,
    env,
    onChange: (c) => {
      opts.onChange?.(c);
      changes.push(c);
    },
    onRejected: (issues) => rejections.push(issues),
    onError: (err) => errors.push(err),
  });
  cleanups.push(() => watcher.stop(), () => dir.cleanup());
  const initial = opts.baseline === false ? undefined : await loadConfig(dir.file, { env });
  await watcher.start(initial);
  return { dir, watcher, changes, rejections, errors };
}

const withPort = (port: number) => MINIMAL_YAML.replace('port: 8443', `port: ${port}`);

describe('ConfigWatcher', () => {
  it('passes a valid change to onChange', async () => {
    const h = await harness();
    expect(h.watcher.current?.server.port).toBe(8443);
    writeFileSync(h.dir.file, withPort(9001));
    await waitFor(() => h.changes.length === 1, 'onChange');
    expect(h.changes[0]?.server.port).toBe(9001);
    expect(h.watcher.current?.server.port).toBe(9001);
    expect(h.rejections).toEqual([]);
  });

  it('rejects a broken file with the validate issues and keeps the last good config', async () => {
    const h = await harness();
    writeFileSync(h.dir.file, withPort(9002));
    await waitFor(() => h.changes.length === 1, 'first change');
    const good = h.watcher.current;

    const broken = withPort(9003).replace('pool: demo', 'pool: missing');
    writeFileSync(h.dir.file, broken);
    await waitFor(() => h.rejections.length === 1, 'onRejected');
    const validated = await validateConfigFile(h.dir.file, { env: {} });
    expect(validated.ok).toBe(false);
    if (!validated.ok) expect(formatIssues(h.rejections[0] ?? [], 'f')).toBe(formatIssues(validated.issues, 'f'));
    expect(h.rejections[0]?.[0]).toMatchObject({ code: 'PCL_CONFIG_INVALID', path: 'routes[0].pool', line: 14 });
    expect(h.changes).toHaveLength(1);
    expect(h.watcher.current).toBe(good);
    expect(h.watcher.current?.server.port).toBe(9002);

    writeFileSync(h.dir.file, '{{{ not yaml');
    await waitFor(() => h.rejections.length === 2, 'second rejection');
    expect(h.rejections[1]?.[0]?.code).toBe('PCL_CONFIG_SYNTAX');
    expect(h.watcher.current?.server.port).toBe(9002);

    writeFileSync(h.dir.file, withPort(9004));
    await waitFor(() => h.changes.length === 2, 'recovery');
    expect(h.watcher.current?.server.port).toBe(9004);
  });

  it('ignores rewrites with identical content', async () => {
    const h = await harness();
    writeFileSync(h.dir.file, MINIMAL_YAML);
    writeFileSync(h.dir.file, `${MINIMAL_YAML}# only a comment changed\n`);
    expect((await h.watcher.reload()).status).toBe('unchanged');
    await sleep(400);
    expect(h.changes).toEqual([]);
    expect(h.rejections).toEqual([]);
  });

  it('follows editors that replace the file by rename, more than once', async () => {
    const h = await harness();
    for (const port of [9101, 9102]) {
      const tmp = join(h.dir.dir, `.portcullis.yaml.${port}.swp`);
      writeFileSync(tmp, withPort(port));
      renameSync(tmp, h.dir.file);
      await waitFor(() => h.watcher.current?.server.port === port, `port ${port}`);
    }
    expect(h.changes.map((c) => c.server.port)).toEqual([9101, 9102]);
  });

  it('reloads when a referenced certificate changes', async () => {
    const h = await harness();
    const rotated = CERT_PEM.replace('fakecertificatebody', 'rotatedcertificate');
    h.dir.write('pki/gateway.crt', rotated);
    await waitFor(() => h.changes.length === 1, 'cert rotation');
    expect(h.changes[0]?.server.tls.cert).toBe(rotated);
  });

  it('reloads on SIGHUP, and removes its handler on stop', async () => {
    const before = process.listenerCount('SIGHUP');
    const env: Record<string, string> = {};
    const h = await harness({ env });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    // No file changes: only the signal can make the watcher notice the new environment.
    env.PORTCULLIS_SERVER__PORT = '9200';
    process.kill(process.pid, 'SIGHUP');
    await waitFor(() => h.changes.length === 1, 'SIGHUP reload');
    expect(h.changes[0]?.server.port).toBe(9200);
    h.watcher.stop();
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('without a baseline, adopts the current file silently', async () => {
    const h = await harness({ baseline: false });
    expect(h.watcher.current?.server.port).toBe(8443);
    expect(h.changes).toEqual([]);
  });

  it('when onChange throws, the config is not adopted and the next reload offers it again', async () => {
    let fail = true;
    const h = await harness({
      onChange: () => {
        if (fail) throw new Error('swap failed');
      },
    });
    writeFileSync(h.dir.file, withPort(9300));
    await waitFor(() => h.errors.length === 1, 'onError');
    expect(h.watcher.current?.server.port).toBe(8443);
    fail = false;
    const outcome = await h.watcher.reload();
    expect(outcome.status).toBe('changed');
    expect(h.watcher.current?.server.port).toBe(9300);
  });
});
