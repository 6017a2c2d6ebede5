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

/**
 * One complete response at the start of `buf` and how many bytes it took, or null when more bytes are
 * needed. Bodies are delimited the way a keep-alive client must: Content-Length, chunked, or none for
 * HEAD, 1xx, 204 and 304 responses.
 */
function takeResponse(buf: Buffer, method: string): { response: RawResponse; consumed: number } | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const bodyStart = headEnd + 4;
  const status = Number(head.split('\r\n', 1)[0]?.split(' ')[1]);
  const te = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  let end = bodyStart;
  if (method !== 'HEAD' && status !== 204 && status !== 304 && !(status >= 100 && status < 200)) {
    if (te) {
      let off = bodyStart;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', off);
        if (lineEnd < 0) return null;
        const size = parseInt(buf.subarray(off, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size in response');
        if (size === 0) {
          // No trailers are expected from the gateway: the last chunk is followed by one CRLF.
          if (buf.length < lineEnd + 4) return null;
          end = lineEnd + 4;
          break;
        }
        off = lineEnd + 2 + size + 2;
        if (buf.length < off) return null;
      }
    } else if (cl !== null) {
      end = bodyStart + Number(cl[1]);
      if (buf.length < end) return null;
    } else {
      // Close-delimited: only complete once the server closes, which a keep-alive caller handles.
      return null;
    }
  }
  return { response: parseResponse(buf.subarray(0, end)), consumed: end };
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

function connectTls(opts: TlsClientOptions): tls.TLSSocket {
  return tls.connect({
    host: opts.host ?? '127.0.0.1',
    port: opts.port,
    ca: opts.ca,
    ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
    ...(opts.servername === null ? {} : { servername: opts.servername ?? 'localhost' }),
    minVersion: opts.minVersion ?? 'TLSv1.2',
    ...(opts.maxVersion !== undefined ? { maxVersion: opts.maxVersion } : {}),
  });
}

/** Open a TLS connection, write `request` verbatim, read until the server closes, parse the first response. */
export function rawRequest(opts: TlsClientOptions, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(opts);
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

/** A persistent connection: several requests in turn on one TLS socket (keep-alive). */
export interface RawConnection {
  /** Write `request` verbatim and resolve with the next response; `method` only matters for HEAD. */
  send(request: string | Buffer, method?: string, timeoutMs?: number): Promise<RawResponse>;
  /** True once the server (or we) closed the socket. */
  readonly closed: boolean;
  close(): void;
}

/**
 * Open a TLS connection and keep it: for tests that need state to change under an open connection
 * (revocation) or that pipeline requests. Resolves once the handshake is done.
 */
export function openConnection(opts: TlsClientOptions, timeoutMs = 5000): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(opts);
    let buffered = Buffer.alloc(0);
    let closed = false;
    let waiter: { method: string; resolve: (r: RawResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
    const settle = (): void => {
      if (waiter === undefined) return;
      let taken: ReturnType<typeof takeResponse>;
      try {
        taken = takeResponse(buffered, waiter.method);
      } catch (err) {
        const w = waiter;
        waiter = undefined;
        clearTimeout(w.timer);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (taken === null) {
        if (!closed) return;
        const w = waiter;
        waiter = undefined;
        clearTimeout(w.timer);
        // A close-delimited response is complete at close; anything else is a cut connection.
        if (buffered.includes('\r\n\r\n')) w.resolve(parseResponse(buffered));
        else w.reject(new Error('connection closed before a response'));
        buffered = Buffer.alloc(0);
        return;
      }
      buffered = buffered.subarray(taken.consumed);
      const w = waiter;
      waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(taken.response);
    };
    socket.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      settle();
    });
    socket.on('close', () => {
      closed = true;
      settle();
    });
    let connected = false;
    // Before the handshake an error fails the open; after it, 'close' follows and settles any waiter.
    socket.on('error', (err) => {
      if (!connected) {
        clearTimeout(handshake);
        reject(err);
      }
    });
    const handshake = setTimeout(() => {
      socket.destroy();
      reject(new Error('TLS handshake timed out'));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      connected = true;
      clearTimeout(handshake);
      resolve({
        get closed() {
          return closed;
        },
        send(request, method = 'GET', sendTimeoutMs = 5000) {
          if (waiter !== undefined) return Promise.reject(new Error('one request at a time'));
          if (closed) return Promise.reject(new Error('connection is closed'));
          return new Promise((res, rej) => {
            const timer = setTimeout(() => {
              waiter = undefined;
              rej(new Error('response timed out'));
            }, sendTimeoutMs);
            waiter = { method, resolve: res, reject: rej, timer };
            socket.write(request);
            // Bytes may already be buffered (a pipelined answer): settle now rather than on next data.
            settle();
          });
        },
        close() {
          closed = true;
          socket.destroy();
        },
      });
    });
  });
}
