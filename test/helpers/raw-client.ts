// A deliberately dumb HTTP/1.1 client over a real TLS socket: it sends the exact bytes a test writes
// (malformed paths, duplicate headers, smuggling attempts) that well-behaved clients refuse to send.
import tls from 'node:tls';

export interface TlsClientOptions {
  port: number;
  host?: string;
  ca: string;
  cert?: string;
  key?: string;
  /** SNI to send; defaults to 'localhost'. Pass null to send none. */
  servername?: string | null;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json<T = { error: { code: string; message: string; hint: string; requestId?: string } }>(): T;
}

function parseResponse(buf: Buffer): RawResponse {
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`incomplete response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let bodyBuf = buf.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  if ((headers['transfer-encoding'] ?? '').includes('chunked')) {
    const parts: Buffer[] = [];
    let off = 0;
    for (;;) {
      const lineEnd = bodyBuf.indexOf('\r\n', off);
      if (lineEnd < 0) break;
      const size = parseInt(bodyBuf.subarray(off, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(bodyBuf.subarray(lineEnd + 2, lineEnd + 2 + size));
      off = lineEnd + 2 + size + 2;
    }
    bodyBuf = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    bodyBuf = bodyBuf.subarray(0, Number(headers['content-length']));
  }
  const body = bodyBuf.toString('utf8');
  return {
    status,
    headers,
    body,
    json: <T>() => JSON.parse(body) as T,
  };
}

/** Open a TLS connection, write `request` verbatim, read until the server closes, parse the first response. */
export function rawRequest(opts: TlsClientOptions, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      ca: opts.ca,
      ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
      ...(opts.servername === null ? {} : { servername: opts.servername ?? 'localhost' }),
      minVersion: opts.minVersion ?? 'TLSv1.2',
      ...(opts.maxVersion !== undefined ? { maxVersion: opts.maxVersion } : {}),
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('secureConnect', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(parseResponse(Buffer.concat(chunks)));
      else reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** A request with `Connection: close`, so the response ends when the socket does. */
export function get(opts: TlsClientOptions, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const host = headers.host ?? 'localhost';
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'host') lines.push(`${k}: ${v}`);
  return rawRequest(opts, lines.join('\r\n') + '\r\n\r\n');
}
