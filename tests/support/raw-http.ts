// Raw HTTP/1.1 over node:net, for requests no well-behaved client would send:
// truncated bodies, lying Content-Length headers, garbage bytes, slow senders. The
// answer is everything the server wrote until it closed the connection (or until
// the caller's timeout), with the status code of every response in it.
import net from 'node:net';

export interface RawExchange {
  /** Status codes of every response found in the bytes received, in order. */
  readonly statuses: readonly number[];
  readonly text: string;
  /** Milliseconds until the server closed the connection (or the timeout). */
  readonly durationMs: number;
  /** True when the server had not closed the connection by the timeout. */
  readonly timedOut: boolean;
}

export interface RawOptions {
  readonly port: number;
  /** Chunks written in order, `delayMs` apart. */
  readonly chunks: readonly (string | Buffer)[];
  readonly delayMs?: number;
  /** Half-close after the last chunk: the server sees the end of the request stream. */
  readonly endAfterWrite?: boolean;
  readonly timeoutMs: number;
}

const RESPONSE_BYTES_MAX = 256 * 1024;
const STATUS_LINE = /HTTP\/1\.[01] (\d{3}) /g;

export function sendRaw(options: RawOptions): Promise<RawExchange> {
  return new Promise((resolve) => {
    const startedAtMs = Date.now();
    const socket = net.connect(options.port, '127.0.0.1');
    let text = '';
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (text.length < RESPONSE_BYTES_MAX) text += chunk;
    });
    socket.on('error', () => {
      // a reset is an answer too: the connection is over
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const statuses = [...text.matchAll(STATUS_LINE)].map((match) => Number(match[1]));
      resolve({ statuses, text, durationMs: Date.now() - startedAtMs, timedOut });
    });
    timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, options.timeoutMs);
    const write = async () => {
      for (const [index, chunk] of options.chunks.entries()) {
        if (index > 0 && options.delayMs) {
          await new Promise((wait) => setTimeout(wait, options.delayMs));
        }
        if (socket.destroyed) return;
        socket.write(chunk);
      }
      if (options.endAfterWrite) socket.end();
    };
    socket.once('connect', () => void write());
  });
}

/** A request head with CRLF line ends; `headers` in order, duplicates allowed. */
export function requestHead(
  method: string,
  target: string,
  headers: ReadonlyArray<readonly [string, string]>,
): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface RawResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** The responses in an exchange's text, each cut at its Content-Length. */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(rest);
    if (headEnd < 0 || status === null) return responses;
    const head = rest.slice(0, headEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    responses.push({
      status: Number(status[1]),
      contentType: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1],
      body: rest.slice(headEnd + 4, headEnd + 4 + length),
    });
    rest = rest.slice(headEnd + 4 + length);
  }
}
