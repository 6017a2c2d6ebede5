import { afterAll, beforeAll, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.js';

let s: Stack;
beforeAll(async () => { s = await startStack(); });
afterAll(async () => { await s?.close(); });

const paths = ['/open/a%2fb','/open/a%5cb','/open/a%00b','/open/a/%2e%2e/b','/open/a/.%2e/b','/open/a/./b','/open/a/.','/open/%252e%252e/b','//open/a','/open/a//b','/open/a;jsessionid=1','/open/a%3bb','/open/a%zz','/open/a%4','/open/%c0%af','/open/%ed%a0%80','/open/%ff','/open/%EF%BC%8E%EF%BC%8E/x','/open/a%EF%BC%8Fb','/open/a%e2%88%95b','/open/%c2%85','/open/caf%c3%a9','/open/a%22b','/open/a"b','/open/x%20y','/users/%61lice','/open/a?b#c','/open/%E2%80%AE','/open/a%25','/open/a%2541', '/open/%ef%b9%92%ef%b9%92/x', '/open/a?x=%00', '/open/a?x=\\'];
it('explore', async () => {
  for (const p of paths) {
    try {
      const { result: r, reached } = await s.upstreamSaw(() => s.get(p));
      console.log(p.padEnd(22), r.status, r.body.slice(0, 60), 'reached', reached.map((x) => x.url));
    } catch (e) {
      console.log(p, 'ERR', (e as Error).message);
    }
  }
  const c = await s.connect();
  const r1 = await c.send(`POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\nabc`);
  console.log('413 keepalive', r1.status, r1.headers.connection, c.closed);
  await new Promise((r) => setTimeout(r, 300));
  console.log('closed after?', c.closed);
  c.close();
});
