// `portcullis config validate|schema`, and the promise that docs/config.md documents every key of
// the shipped schema with its real default.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerConfigCommands, runConfigSchema, runConfigValidate } from '../cli/commands/config.js';
import { CONFIG_SCHEMA } from '../gateway/config/index.js';
import { MINIMAL_YAML, makeConfigDir } from './fixtures/config/helpers.js';

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env }, out, err };
}

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('portcullis config validate', () => {
  it('prints a summary and exits 0 for a valid file', async () => {
    const d = makeConfigDir(MINIMAL_YAML);
    try {
      const c = capture();
      expect(await runConfigValidate(d.file, c.io)).toBe(0);
      expect(c.out.join('')).toBe(`${d.file}: ok (1 route, 1 pool)\n`);
      expect(c.err).toEqual([]);
    } finally {
      d.cleanup();
    }
  });

  it('prints every issue to stderr and exits 1 for an invalid file', async () => {
    const d = makeConfigDir(MINIMAL_YAML.replace('  port: 8443', '  prot: 8443').replace('pool: demo', 'pool: dmeo'));
    try {
      const c = capture();
      expect(await runConfigValidate(d.file, c.io)).toBe(1);
      const text = c.err.join('');
      expect(text).toContain(`${d.file}:3:3  server.prot  unknown key "prot"\n    hint: did you mean "port"?`);
      expect(text).toContain(`${d.file}: 1 problem\n`);
      expect(c.out).toEqual([]);
    } finally {
      d.cleanup();
    }
  });

  it('is wired into commander and sets process.exitCode', async () => {
    const d = makeConfigDir(MINIMAL_YAML.replace('pool: demo', 'pool: nope'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command().exitOverride();
      registerConfigCommands(program);
      await program.parseAsync(['config', 'validate', d.file], { from: 'user' });
      expect(process.exitCode).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('routes[0].pool  pool "nope" is not defined in pools');
    } finally {
      d.cleanup();
    }
  });

  it('config schema prints the JSON Schema', () => {
    const c = capture();
    expect(runConfigSchema(c.io)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toEqual(CONFIG_SCHEMA);
  });
});

type Schema = Record<string, unknown>;

/** Every key path of the schema with its default, in the notation docs/config.md uses. */
function schemaKeys(): { key: string; default: unknown }[] {
  const defs = CONFIG_SCHEMA.$defs as Record<string, Schema>;
  const deref = (s: Schema): Schema => (typeof s.$ref === 'string' ? { ...defs[s.$ref.replace('#/$defs/', '')], ...s } : s);
  const out: { key: string; default: unknown }[] = [];
  const walk = (prefix: string, node: Schema): void => {
    for (const [name, raw] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
      const s = deref(raw);
      const key = prefix ? `${prefix}.${name}` : name;
      out.push({ key, default: s.default });
      if (s.properties) walk(key, s);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(`${key}.<name>`, deref(s.additionalProperties as Schema));
      if (s.items && typeof s.items === 'object') walk(`${key}[]`, deref(s.items as Schema));
    }
  };
  walk('', CONFIG_SCHEMA as Schema);
  return out;
}

describe('docs/config.md', () => {
  const doc = readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');
  const rows = new Map(doc.split('\n').filter((l) => l.startsWith('| `')).map((l) => [l.split('`')[1], l]));

  it('has a reference row for every schema key, showing its default', () => {
    const keys = schemaKeys();
    expect(keys.length).toBeGreaterThan(80);
    for (const { key, default: def } of keys) {
      const row = rows.get(key);
      expect(row, `docs/config.md has no row for ${key}`).toBeDefined();
      if (def !== undefined) {
        const shown = typeof def === 'object' ? JSON.stringify(def) : String(def);
        expect(row, `default of ${key}`).toContain(`\`${shown}\``);
      }
    }
  });

  it('documents no key the schema does not have', () => {
    const keys = new Set(schemaKeys().map((k) => k.key));
    const stale = [...rows.keys()].filter((k) => k !== undefined && !k.startsWith('PORTCULLIS_') && !k.startsWith('PCL_') && !keys.has(k));
    expect(stale).toEqual([]);
  });
});
