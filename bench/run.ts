// Bench entry point: `npm run bench -- [name]`. Each bench is its own module; with no name, every
// available bench runs in turn. Benches are dispatched by name so CI and humans can run one at a time
// (each one occupies the machine for minutes).

import { benchPolicy } from './policy.js';
import { benchProxy } from './proxy.js';

const BENCHES: Record<string, () => Promise<void>> = {
  proxy: benchProxy,
  policy: benchPolicy,
};

function usage(): string {
  return `usage: npm run bench -- [${Object.keys(BENCHES).join('|')}]   (no name = all)\n` +
    'env: BENCH_DURATION (s, default 6), BENCH_ROUNDS (default 3), BENCH_WARMUP (s, default 2), BENCH_CONNECTIONS (default 32)\n';
}

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  process.stdout.write(usage());
  process.exit(0);
}
const unknown = args.filter((a) => !(a in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown bench: ${unknown.join(', ')}\n${usage()}`);
  process.exit(2);
}
const selected = args.length > 0 ? args : Object.keys(BENCHES);

try {
  for (const name of selected) {
    const run = BENCHES[name];
    if (run) await run();
  }
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
