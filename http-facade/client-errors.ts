// Connections Node refuses before Fastify sees a request (bytes that are not HTTP,
// a request that took too long to arrive, headers beyond the limit, CONNECT) still
// get the contract's JSON error. A request parsed before the bad bytes is answered
// first: its posting may already be committed, and its client must learn so.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  CLIENT_ERROR_CODE_TO_HTTP,
  HTTP_ERRORS,
  type HttpError,
  rawErrorResponse,
} from './http-errors.js';

const CLIENT_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  [HTTP_ERRORS.requestTimeout.error]: 'request not received within the request timeout',
  [HTTP_ERRORS.headersTooLarge.error]: 'request headers too large',
};

const ANSWERING = Symbol('answering a client error');
type ClientSocket = Socket & {
  [ANSWERING]?: true;
  /** Node's response currently writing to this socket, if any (node:_http_server). */
  _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null;
};

function endWith(socket: Socket, error: HttpError, message: string): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end(rawErrorResponse(error, message), () => socket.destroy());
  else socket.destroy();
}

/**
 * Calls back once every request parsed on the socket has been answered. A request
 * whose body never completed can never be answered by its handler: it ends the wait.
 */
function afterParsedRequests(socket: ClientSocket, callback: () => void): void {
  const response = socket._httpMessage;
  const answerable =
    response !== null &&
    response !== undefined &&
    (response.headersSent || response.req?.complete !== false);
  // Node assigns the next pipelined response to the socket before this 'close'.
  if (answerable) response.once('close', () => afterParsedRequests(socket, callback));
  else callback();
}

/** Fastify's clientErrorHandler: Node hands over the socket and its error. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const client = socket as ClientSocket;
  // The parser repeats its error for every later chunk; one answer is enough.
  if (error.code === 'ECONNRESET' || socket.destroyed || client[ANSWERING]) return;
  client[ANSWERING] = true;
  const known = error.code === undefined ? undefined : CLIENT_ERROR_CODE_TO_HTTP[error.code];
  const answer = known ?? HTTP_ERRORS.badRequest;
  const message = CLIENT_ERROR_MESSAGES[answer.error] ?? 'malformed HTTP request';
  afterParsedRequests(client, () => endWith(socket, answer, message));
}

/** CONNECT is no route of ours; Node would drop the connection without a word. */
export function refuseConnect(server: Server): void {
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    endWith(socket, HTTP_ERRORS.routeNotFound, `no route for CONNECT ${request.url ?? ''}`);
  });
}
