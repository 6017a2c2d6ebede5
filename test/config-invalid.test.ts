// One test per class of invalid config: each asserts the code, the config path and the line an
// operator is sent to, and that a hint is there. Plus: secret values never reach error output.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssues, loadConfig, validateConfigFile } from '../gateway/config/index.js';
import { MINIMAL_YAML, expectIssue, issuesOf, makeConfigDir } from './fixtures/config/helpers.js';

/** MINIMAL_YAML lines 1-7 (version, server, tls); tests append their own pools and routes. */
const HEAD = MINIMAL_YAML.split('\n').slice(0, 7).join('\n') + '\n';
const POOLS = 'pools:\n  demo:\n    targets: [{ url: "http://127.0.0.1:9001" }]\n'; // lines 8-10

describe('YAML problems', () => {
  it('syntax error: code, path and line', async () => {
    const issues = await issuesOf(`${HEAD}${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /api }\n    pool: demo\n`);
    expect(issues[0]?.code).toBe('PCL_CONFIG_SYNTAX');
    expect(issues[0]?.line).toBeGreaterThanOrEqual(13);
    expect(issues[0]?.path.startsWith('routes[0]')).toBe(true);
  });

  it('duplicate key', async () => {
    const issues = await issuesOf(HEAD.replace('  port: 8443\n', '  port: 8443\n  host: 0.0.0.0\n  port: 9000\n'));
    expectIssue(issues, { code: 'PCL_CONFIG_SYNTAX', path: 'server.port', line: 5, message: /duplicate key "port"/ });
  });

  it('tabs for indentation', async () => {
    const issues = await issuesOf('version: 1\nserver:\n\tport: 1\n');
    expectIssue(issues, { code: 'PCL_CONFIG_SYNTAX', path: '', line: 3, message: /tab/ });
  });

  it('alias expansion bomb is refused quickly', async () => {
    const bomb = [
      'version: 1',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      '',
    ].join('\n');
    const started = Date.now();
    const issues = await issuesOf(bomb);
    expect(Date.now() - started).toBeLessThan(2000);
    expectIssue(issues, { code: 'PCL_CONFIG_SYNTAX', path: '', message: /aliases expand/ });
  });

  it('several documents in one file', async () => {
    const issues = await issuesOf(`${MINIMAL_YAML}---\nversion: 1\n`);
    expect(issues.some((i) => i.code === 'PCL_CONFIG_SYNTAX' && /more than one YAML document/.test(i.message))).toBe(true);
  });
});

describe('version', () => {
  it('unknown version is refused before anything else, with a hint', async () => {
    const d = makeConfigDir(MINIMAL_YAML.replace('version: 1', 'version: 2') + 'bogus: true\n');
    try {
      const err = await loadConfig(d.file, { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('PCL_CONFIG_VERSION');
      expect(e.issues).toHaveLength(1);
      expectIssue(e.issues, { code: 'PCL_CONFIG_VERSION', path: 'version', line: 1, message: /unsupported config version 2/ });
    } finally {
      d.cleanup();
    }
  });

  it('missing version', async () => {
    const issues = await issuesOf(MINIMAL_YAML.replace('version: 1\n', ''));
    expectIssue(issues, { code: 'PCL_CONFIG_VERSION', path: '', message: /missing `version`/ });
  });

  it('empty file', async () => {
    const issues = await issuesOf('# nothing here\n');
    expectIssue(issues, { code: 'PCL_CONFIG_VERSION', path: '', message: /empty/ });
  });
});

describe('schema problems', () => {
  it('unknown key (typo) points at the key and suggests the right one', async () => {
    const issues = await issuesOf(HEAD.replace('  port: 8443', '  prot: 8443') + POOLS);
    const issue = expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'server.prot', line: 3, message: /unknown key "prot"/ });
    expect(issue.column).toBe(3);
    expect(issue.hint).toContain('"port"');
  });

  it('wrong type', async () => {
    const issues = await issuesOf(HEAD.replace('port: 8443', 'port: "8443x"') + POOLS);
    expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'server.port', line: 3, message: /whole number/ });
  });

  it('out of range and bad enum', async () => {
    const yaml = `${HEAD}${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /api } }\n    pool: demo\n    retries: 9\n    mtls: requird\n`;
    const issues = await issuesOf(yaml);
    expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'routes[0].retries', line: 15 });
    expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'routes[0].mtls', line: 16, message: /required, optional, off/ });
  });

  it('missing required key points at the mapping that should hold it', async () => {
    const issues = await issuesOf(`${HEAD}${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /api } }\n`);
    expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'routes[0].pool', line: 12, message: /missing required key "pool"/ });
  });

  it('path match must have exactly one kind', async () => {
    const issues = await issuesOf(`${HEAD}${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /api, exact: /x } }\n    pool: demo\n`);
    expectIssue(issues, { code: 'PCL_CONFIG_SCHEMA', path: 'routes[0].match.path', line: 13, message: /exactly one of exact, prefix, pattern/ });
  });
});

describe('secrets', () => {
  it('an inline private key is refused with the reference hint', async () => {
    const issues = await issuesOf(HEAD.replace('key: { file: pki/gateway.key }', 'key: "-----BEGIN PRIVATE KEY----- MIIEinline"') + POOLS);
    const issue = expectIssue(issues, { code: 'PCL_CONFIG_SECRET', path: 'server.tls.key', line: 6 });
    expect(issue.hint).toBe('reference the secret with {file: ...} or {env: ...}');
  });

  it('a reference with both file and env is refused', async () => {
    const issues = await issuesOf(HEAD.replace('key: { file: pki/gateway.key }', 'key: { file: a, env: B }') + POOLS);
    expectIssue(issues, { code: 'PCL_CONFIG_SECRET', path: 'server.tls.key', line: 6, message: /exactly one of file or env/ });
  });

  it('missing env var for a secret', async () => {
    const issues = await issuesOf(HEAD.replace('key: { file: pki/gateway.key }', 'key: { env: GATEWAY_KEY_PEM }') + POOLS);
    expectIssue(issues, { code: 'PCL_CONFIG_SECRET', path: 'server.tls.key.env', line: 6, message: /GATEWAY_KEY_PEM is not set/ });
  });

  it('missing referenced file', async () => {
    const d = makeConfigDir(HEAD.replace('pki/ca.crt', 'pki/missing-ca.crt') + POOLS);
    try {
      const err = await loadConfig(d.file, { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('PCL_CONFIG_UNREADABLE');
      const issue = expectIssue(e.issues, { code: 'PCL_CONFIG_UNREADABLE', path: 'server.tls.clientCa[0]', line: 7, message: /does not exist/ });
      expect(issue.message).toContain(d.dir);
    } finally {
      d.cleanup();
    }
  });

  it('a certificate path that is not a PEM certificate', async () => {
    const issues = await issuesOf(HEAD.replace('cert: pki/gateway.crt', 'cert: pki/gateway.key') + POOLS);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'server.tls.cert', line: 5, message: /PEM certificate/ });
  });

  it('secret values never appear in any error output', async () => {
    const SECRET = 'TOP-SECRET-KEY-MATERIAL-0123456789';
    const env = {
      // A key variable holding something that is not a PEM key (referenced incorrectly).
      WRONG_KEY: `${SECRET}\n`,
      // An inline secret smuggled in through an override.
      PORTCULLIS_ADMIN__TLS: `{cert: pki/gateway.crt, key: "${SECRET}"}`,
    };
    const yaml = `${HEAD.replace('key: { file: pki/gateway.key }', 'key: { env: WRONG_KEY }')}${POOLS}`
      + `  other:\n    targets: [{ url: "https://user:${SECRET}@h:1" }]\n    tls: { cert: pki/gateway.crt, key: "${SECRET}" }\n`;
    const d = makeConfigDir(yaml);
    try {
      const result = await validateConfigFile(d.file, { env });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expectIssue(result.issues, { code: 'PCL_CONFIG_SECRET', path: 'pools.other.tls.key', line: 13 });
      expectIssue(result.issues, { code: 'PCL_CONFIG_SECRET', path: 'admin.tls.key', envVar: 'PORTCULLIS_ADMIN__TLS' });
      const text = formatIssues(result.issues, d.file) + JSON.stringify(result.issues);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('TOP-SECRET');

      // Fix the schema problems: the env key is then read, found not to be PEM, and still not echoed.
      const fixed = makeConfigDir(`${HEAD.replace('key: { file: pki/gateway.key }', 'key: { env: WRONG_KEY }')}${POOLS}`);
      try {
        const keyOnly = { WRONG_KEY: env.WRONG_KEY };
        const second = await validateConfigFile(fixed.file, { env: keyOnly });
        expect(second.ok).toBe(false);
        if (second.ok) return;
        const bad = expectIssue(second.issues, { code: 'PCL_CONFIG_SECRET', path: 'server.tls.key', line: 6, message: /not contain a PEM private key/ });
        expect(bad.message).toContain('WRONG_KEY');
        const err = await loadConfig(fixed.file, { env: keyOnly }).catch((e: unknown) => e);
        const all = `${formatIssues(second.issues, fixed.file)}${String(err)}${(err as Error).message}${JSON.stringify(err)}`;
        expect(all).not.toContain(SECRET);
      } finally {
        fixed.cleanup();
      }
    } finally {
      d.cleanup();
    }
  });

  it('a syntax error next to an inline secret does not quote it', async () => {
    const SECRET = 'SYNTAX-SECRET-abcdef';
    const issues = await issuesOf(`version: 1\nserver:\n  tls:\n    key: "${SECRET}\\q"\n  port: [1\n`);
    expect(formatIssues(issues, 'f.yaml')).not.toContain(SECRET);
  });
});

describe('semantic problems', () => {
  const route = (lines: string) => `${HEAD}${POOLS}routes:\n  - name: a\n${lines}`;

  it('unknown pool, with a did-you-mean hint', async () => {
    const issues = await issuesOf(route('    match: { path: { prefix: /api } }\n    pool: dmeo\n'));
    const issue = expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[0].pool', line: 14, message: /pool "dmeo" is not defined/ });
    expect(issue.hint).toContain('"demo"');
  });

  it('stripPrefix without prefix', async () => {
    const issues = await issuesOf(route('    match: { path: { exact: /api } }\n    pool: demo\n    stripPrefix: true\n'));
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[0].stripPrefix', line: 15 });
  });

  it('bad CIDR', async () => {
    const issues = await issuesOf(HEAD + '  trustedProxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n    - 10.1.2.3/8\n    - not-an-ip\n' + POOLS);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'server.trustedProxies[1]', line: 10, message: /prefix length over 32/ });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'server.trustedProxies[2]', line: 11, message: /bits set/ });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'server.trustedProxies[3]', line: 12 });
    expect(issues.some((i) => i.path === 'server.trustedProxies[0]')).toBe(false);
  });

  it('bad target URLs', async () => {
    const yaml = `${HEAD}pools:\n  demo:\n    targets:\n      - url: http://127.0.0.1:9001/api\n      - url: ftp://h:21\n      - url: http://h\n      - url: http://127.0.0.1:9001\n`;
    const issues = await issuesOf(yaml);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'pools.demo.targets[0].url', line: 11, message: /path, query or fragment/ });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'pools.demo.targets[1].url', line: 12, message: /http:\/\/ or https:\/\// });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'pools.demo.targets[2].url', line: 13, message: /port/ });
  });

  it('duplicate route names', async () => {
    const issues = await issuesOf(`${route('    match: { path: { prefix: /a } }\n    pool: demo\n')}  - name: a\n    match: { path: { prefix: /b } }\n    pool: demo\n`);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[1].name', line: 15, message: /duplicate route name "a"/ });
  });

  it('routes with identical matches', async () => {
    const yaml = `${route('    match: { path: { pattern: "/u/:id" }, methods: [GET, POST] }\n    pool: demo\n')}`
      + '  - name: b\n    match: { path: { pattern: "/u/:uid" }, methods: [POST] }\n    pool: demo\n'
      + '  - name: c\n    match: { path: { pattern: "/u/:uid" }, methods: [PUT] }\n    pool: demo\n';
    const issues = await issuesOf(yaml);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[1].match', line: 16, message: /same requests as routes\[0\]/ });
    expect(issues.some((i) => i.path === 'routes[2].match')).toBe(false);
  });

  it('malformed patterns and unreachable paths', async () => {
    const yaml = `${route('    match: { path: { pattern: "/u/:id/:id" } }\n    pool: demo\n')}`
      + '  - name: b\n    match: { path: { pattern: "/u/x:y" } }\n    pool: demo\n'
      + '  - name: c\n    match: { path: { prefix: "/a/../b" } }\n    pool: demo\n';
    const issues = await issuesOf(yaml);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[0].match.path.pattern', line: 13, message: /":id" twice/ });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[1].match.path.pattern', line: 16, message: /malformed segment/ });
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[2].match.path.prefix', line: 19, message: /"\." or "\.\."/ });
  });

  it('admin port equal to server port', async () => {
    const issues = await issuesOf(`${HEAD}admin:\n  port: 8443\n${POOLS}`);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'admin.port', line: 9 });
  });

  it('mTLS without any client CA', async () => {
    const yaml = `${HEAD.replace('    clientCa: [pki/ca.crt]\n', '')}admin: { enabled: false }\n${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /a } }\n    pool: demo\n    mtls: required\n`;
    const issues = await issuesOf(yaml);
    expectIssue(issues, { code: 'PCL_CONFIG_INVALID', path: 'routes[0].mtls', line: 15 });
  });

  it('reports every problem in one pass', async () => {
    const yaml = `${HEAD}  trustedProxies: [bad]\n${POOLS}routes:\n  - name: a\n    match: { path: { prefix: /a } }\n    pool: nope\n`
      + '  - name: a\n    match: { path: { exact: /b } }\n    pool: demo\n    stripPrefix: true\n';
    const issues = await issuesOf(yaml);
    expect(issues.map((i) => i.path)).toEqual(['server.trustedProxies[0]', 'routes[0].pool', 'routes[1].name', 'routes[1].stripPrefix']);
  });
});

describe('formatIssues', () => {
  it('prints FILE:LINE:COL  path  message and an indented hint', async () => {
    const issues = await issuesOf(HEAD.replace('  port: 8443', '  prot: 8443') + POOLS);
    expect(formatIssues(issues, 'portcullis.yaml')).toBe('portcullis.yaml:3:3  server.prot  unknown key "prot"\n    hint: did you mean "port"?');
  });

  it('a missing config file is PCL_CONFIG_UNREADABLE', async () => {
    const err = await loadConfig('/nonexistent/portcullis.yaml', { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('PCL_CONFIG_UNREADABLE');
    expect(formatIssues((err as ConfigError).issues, 'x.yaml')).toMatch(/^x\.yaml {2}config file \/nonexistent\/portcullis\.yaml does not exist\n {4}hint: /);
  });
});
