// `npm start` (portcullis dev) as a newcomer meets it: the stack comes up from nothing, and every curl
// command it prints does what the line above it says. Then the revocation walkthrough, then Ctrl-C.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, runCli, spawnCli, type CliProcess } from './helpers/cli.js';

const exec = promisify(execFile);

interface PrintedStep {
  title: string;
  status: number;
  code: string | undefined;
  commands: string[];
}

/** The "Try these" block: `# N. what  -> STATUS [CODE]` followed by curl lines. */
function parseSteps(output: string): PrintedStep[] {
  const steps: PrintedStep[] = [];
  let current: PrintedStep | undefined;
  for (const line of output.split('\n')) {
    const head = /^\s+# \d+\. (.*?)\s+-> (\d{3})(?: (PCL_[A-Z_]+))?/.exec(line);
    if (head !== null) {
      current = { title: head[1] ?? '', status: Number(head[2]), code: head[3], commands: [] };
      steps.push(current);
      continue;
    }
    if (current !== undefined && /^\s+curl /.test(line)) current.commands.push(line.trim());
    else if (!/^\s+curl /.test(line)) current = undefined;
  }
  return steps;
}

/** Run a printed curl line as printed (same cwd), adding only flags that report status and body. */
async function runCurl(cwd: string, command: string): Promise<{ status: number; body: string }> {
  const args = splitArgs(command).slice(1);
  const { stdout } = await exec('curl', ['-s', '-w', '\n%{http_code}', ...args], { cwd });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

function splitArgs(command: string): string[] {
  return command.split(/\s+/).filter((a) => a.length > 0);
}

describe('portcullis dev (npm start)', () => {
  let root: string;
  let dev: CliProcess;
  let output: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'portcullis-dev-'));
    const [port, adminPort, upstreamPort] = [await freePort(), await freePort(), await freePort()];
    dev = spawnCli(['dev', '--data-dir', '.portcullis', '--port', String(port), '--admin-port', String(adminPort), '--upstream-port', String(upstreamPort)], { cwd: root });
    output = await dev.waitFor(/Ctrl-C stops everything/, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('prints curl commands that behave exactly as printed', async () => {
    const steps = parseSteps(output);
    expect(steps.length).toBeGreaterThanOrEqual(5);
    expect(steps.some((s) => s.status >= 400)).toBe(true);
    for (const step of steps) {
      expect(step.commands.length, step.title).toBeGreaterThan(0);
      for (const command of step.commands) {
        const res = await runCurl(root, command);
        expect(res.status, `${step.title}: ${command}\n${res.body}`).toBe(step.status);
        if (step.code !== undefined) expect(JSON.parse(res.body).error.code).toBe(step.code);
      }
    }
  });

  it('forwards the demo client identity to the upstream', async () => {
    const mtls = parseSteps(output).find((s) => s.title.includes('demo client certificate'));
    expect(mtls).toBeDefined();
    const res = await runCurl(root, mtls!.commands[0]!);
    expect(JSON.parse(res.body).clientCert).toContain('URI=spiffe://portcullis.local/svc/demo-client');
  });

  it('refuses the demo client within seconds of `certs revoke`, without a restart', async () => {
    const mtls = parseSteps(output).find((s) => s.title.includes('demo client certificate'))!;
    const list = await runCli(['certs', 'list', '--dir', '.portcullis/pki', '--json'], { cwd: root });
    expect(list.code).toBe(0);
    const certs = JSON.parse(list.output) as { serial: string; identity: string }[];
    const demo = certs.find((c) => c.identity.endsWith('/svc/demo-client'));
    expect(demo).toBeDefined();
    const revoke = await runCli(['certs', 'revoke', demo!.serial, '--dir', '.portcullis/pki'], { cwd: root });
    expect(revoke.code, revoke.output).toBe(0);
    const refused = await eventually(async () => {
      const res = await runCurl(root, mtls.commands[0]!);
      return res.status === 403 ? res : undefined;
    }, 5000);
    expect(JSON.parse(refused.body).error.code).toBe('PCL_CLIENT_CERT_REVOKED');
  });

  it('stops everything on Ctrl-C', async () => {
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
  });
});
