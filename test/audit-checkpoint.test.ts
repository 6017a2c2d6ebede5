// Signed checkpoints: a known answer rebuilt from the C2SP specs by hand, tamper tests, and the
// Wycheproof Ed25519 vectors through the exact verify primitive the checkpoint check uses.
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuditError,
  CompactTree,
  checkpointVerifier,
  ed25519Verify,
  formatVerifierKey,
  hashLeaf,
  parseVerifierKey,
  signCheckpoint,
  verifyCheckpoint,
  type NoteSigner,
} from '../audit/index.js';

// A fixed Ed25519 seed, wrapped in its PKCS#8 DER prefix, so signatures are reproducible.
function keyFromSeed(seedByte: number): NoteSigner['privateKey'] {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

const signer: NoteSigner = { name: 'audit.example/log', privateKey: keyFromSeed(7) };
const root = new Uint8Array(Buffer.from('q6yroAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'base64'));

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AuditError);
    return (err as AuditError).code;
  }
}

describe('signed checkpoints', () => {
  it('matches a note built by hand from the tlog-checkpoint and signed-note specs', () => {
    const rawPub = Buffer.from(createPublicKey(signer.privateKey).export({ format: 'jwk' }).x as string, 'base64url');
    const keyHash = createHash('sha256').update(Buffer.concat([Buffer.from('audit.example/log\n'), Buffer.of(0x01), rawPub])).digest().subarray(0, 4);
    const body = `audit.example/log\n5\n${Buffer.from(root).toString('base64')}\n`;
    const sig = sign(null, Buffer.from(body), signer.privateKey);
    const expected = `${body}\n\u2014 audit.example/log ${Buffer.concat([keyHash, sig]).toString('base64')}\n`;

    const note = signCheckpoint({ origin: 'audit.example/log', size: 5, root }, signer);
    expect(note).toBe(expected);
    const vkey = formatVerifierKey(checkpointVerifier(signer));
    expect(vkey).toBe(`audit.example/log+${keyHash.toString('hex')}+${Buffer.concat([Buffer.of(1), rawPub]).toString('base64')}`);
    const parsed = verifyCheckpoint(note, vkey);
    expect(parsed).toEqual({ origin: 'audit.example/log', size: 5, root, extensions: [] });
  });

  it('round-trips a real tree head, and ignores signatures by other keys', () => {
    const tree = new CompactTree();
    for (let i = 0; i < 11; i++) tree.append(hashLeaf(Buffer.from(`e${i}`)));
    const note = signCheckpoint({ origin: 'audit.example/log', size: tree.size, root: tree.root() }, signer);
    const witness: NoteSigner = { name: 'witness.example', privateKey: keyFromSeed(9) };
    const cosigned = note + signCheckpoint({ origin: 'audit.example/log', size: tree.size, root: tree.root() }, witness).split('\n\n')[1];
    expect(verifyCheckpoint(cosigned, checkpointVerifier(signer)).size).toBe(11);
    expect(verifyCheckpoint(cosigned, checkpointVerifier(witness)).root).toEqual(tree.root());
  });

  it('rejects tampering: size, root, origin, signature, key', () => {
    const note = signCheckpoint({ origin: 'audit.example/log', size: 5, root }, signer);
    const verifier = checkpointVerifier(signer);
    const rootB64 = Buffer.from(root).toString('base64');
    const otherRoot = Buffer.from(hashLeaf(Buffer.from('x'))).toString('base64');
    expect(code(() => verifyCheckpoint(note.replace('\n5\n', '\n6\n'), verifier))).toBe('PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE');
    expect(code(() => verifyCheckpoint(note.replace(rootB64, otherRoot), verifier))).toBe('PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE');
    expect(code(() => verifyCheckpoint(note.replace('audit.example/log\n5', 'audit.example/lug\n5'), verifier))).toBe('PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE');
    const sigB64 = note.split(' ').at(-1)!.trim();
    const sigBytes = Buffer.from(sigB64, 'base64');
    sigBytes[40] = sigBytes[40]! ^ 1;
    expect(code(() => verifyCheckpoint(note.replace(sigB64, sigBytes.toString('base64')), verifier))).toBe('PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE');
    const hashFlipped = Buffer.from(sigB64, 'base64');
    hashFlipped[0] = hashFlipped[0]! ^ 1;
    expect(code(() => verifyCheckpoint(note.replace(sigB64, hashFlipped.toString('base64')), verifier))).toBe('PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY');
    expect(code(() => verifyCheckpoint(note, checkpointVerifier({ name: 'audit.example/log', privateKey: keyFromSeed(8) })))).toBe('PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY');
    expect(code(() => verifyCheckpoint(note, checkpointVerifier({ name: 'other', privateKey: keyFromSeed(7) })))).toBe('PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY');
  });

  it('rejects malformed notes and trailing garbage', () => {
    const note = signCheckpoint({ origin: 'audit.example/log', size: 5, root }, signer);
    const verifier = checkpointVerifier(signer);
    const bad = [
      `${note}garbage`,
      `${note}garbage\n`,
      `${note}\n`,
      note.slice(0, -1),
      note.replace('\n\n', '\n'),
      note.replace('\u2014 ', '- '),
      `\n${note}`,
      note.replace('audit.example/log\n5', 'audit.example/log\u0001\n5'),
      '',
      'x'.repeat(2_000_000),
    ];
    for (const text of bad) expect(code(() => verifyCheckpoint(text, verifier)), JSON.stringify(text.slice(0, 60))).toBe('PCL_AUDIT_CHECKPOINT_MALFORMED');
    // A correctly signed body that is not a checkpoint is still refused.
    const signWith = (body: string): string => {
      const tree = signCheckpoint({ origin: 'o', size: 0, root }, signer);
      const sig = sign(null, Buffer.from(body), signer.privateKey);
      const hash = Buffer.from(tree.split(' ').at(-1)!.trim(), 'base64').subarray(0, 4);
      return `${body}\n\u2014 ${signer.name} ${Buffer.concat([hash, sig]).toString('base64')}\n`;
    };
    expect(verifyCheckpoint(signWith(`o\n0\n${Buffer.from(root).toString('base64')}\n`), verifier).size).toBe(0);
    for (const body of ['o\n05\nAA==\n', `o\n-1\n${Buffer.from(root).toString('base64')}\n`, 'o\n5\nAAAA\n', `o\n5\n${Buffer.from(root).toString('base64').replace('=', '')}\n`, 'o\n5\n', `o\n99999999999999999\n${Buffer.from(root).toString('base64')}\n`]) {
      expect(code(() => verifyCheckpoint(signWith(body), verifier)), body).toBe('PCL_AUDIT_CHECKPOINT_MALFORMED');
    }
  });

  it('rejects vkeys whose hash, type or shape is wrong', () => {
    const vkey = formatVerifierKey(checkpointVerifier(signer));
    expect(parseVerifierKey(vkey).name).toBe('audit.example/log');
    const [name, hex, key] = vkey.split('+') as [string, string, string];
    const flippedHex = (Number.parseInt(hex, 16) ^ 1).toString(16).padStart(8, '0');
    for (const bad of [`${name}+${flippedHex}+${key}`, `${name}+${hex}`, `${name}+${hex}+${key}+x`, `${name}+${hex.toUpperCase()}+${key}`, `+${hex}+${key}`, `${name}+${hex}+${Buffer.concat([Buffer.of(2), Buffer.from(key, 'base64').subarray(1)]).toString('base64')}`]) {
      expect(code(() => parseVerifierKey(bad)), bad).toBe('PCL_AUDIT_KEY_INVALID');
    }
  });
});

describe('Wycheproof Ed25519 through ed25519Verify', () => {
  it('gives the result the file states for every vector', () => {
    interface Group { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable' }[] }
    const file = JSON.parse(readFileSync(join(process.cwd(), '..', 'shared', 'testdata', 'wycheproof', 'ed25519_test.json'), 'utf8')) as { numberOfTests: number; testGroups: Group[] };
    const counts = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of file.testGroups) {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(group.publicKey.pk, 'hex').toString('base64url') }, format: 'jwk' });
      for (const t of group.tests) {
        const ok = ed25519Verify(key, Buffer.from(t.msg, 'hex'), Buffer.from(t.sig, 'hex'));
        if (t.result !== 'acceptable') expect(ok, `tcId ${t.tcId}`).toBe(t.result === 'valid');
        counts[t.result]++;
      }
    }
    console.log(`wycheproof ed25519 vectors run: ${counts.valid + counts.invalid + counts.acceptable} (${counts.valid} valid, ${counts.invalid} invalid, ${counts.acceptable} acceptable)`);
    expect(counts.valid + counts.invalid + counts.acceptable).toBe(file.numberOfTests);
  });
});
