// The one body format the facade reads: JSON in UTF-8 without content coding. Bytes
// that are not UTF-8 are refused, never decoded into U+FFFD and stored mangled; a
// declared charset other than UTF-8, or any Content-Encoding, is refused before the
// body is read, as another media type is.
import { isUtf8 } from 'node:buffer';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { FACADE_ERROR_CODES, HTTP_ERRORS, type HttpError } from './http-errors.js';

const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** Why the request's representation cannot be read, or null when it can. */
function describeUnsupportedEncoding(request: FastifyRequest): string | null {
  const coding = request.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    return `content encoding ${JSON.stringify(coding)} is not supported; send identity`;
  }
  const type = request.headers['content-type'];
  // The common case, a bare media type, costs one search.
  if (type === undefined || !type.includes(';')) return null;
  const charset = CHARSET_PARAMETER.exec(type)?.[1];
  if (charset === undefined || charset.toLowerCase() === 'utf-8') return null;
  return `charset ${JSON.stringify(charset)} is not supported; send utf-8`;
}

/** An onRequest hook: a request lacking Host or in an unreadable encoding ends here. */
export function refuseUnreadableRequest(
  sendError: (reply: FastifyReply, error: HttpError, message: string) => FastifyReply,
) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets a 400 (Node's is empty).
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      sendError(reply, HTTP_ERRORS.missingHost, 'the Host header is required');
      return;
    }
    const problem = describeUnsupportedEncoding(request);
    if (problem === null) done();
    else sendError(reply, HTTP_ERRORS.unsupportedMediaType, problem);
  };
}

/** Replaces Fastify's JSON parser with one that checks the bytes are UTF-8 first. */
export function parseJsonStrictly(app: FastifyInstance, bodyLimitBytes: number): void {
  // Fastify's own parser keeps its protections (__proto__ and constructor refused).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: bodyLimitBytes },
    (request, body, done) => {
      if (!isUtf8(body as Buffer)) {
        const error = Object.assign(new Error('body is not valid UTF-8'), {
          code: FACADE_ERROR_CODES.invalidUtf8,
          statusCode: 400,
        });
        done(error, undefined);
        return;
      }
      // Synchronous: it calls done before returning.
      void parseJson(request, (body as Buffer).toString('utf8'), done);
    },
  );
}
