// Requests pipelined on one connection are processed one after another, in the order
// they arrived (RFC 9112 §9.3.2): Node answers them in order but would run their
// handlers concurrently, so 50 pipelined credits could commit in any order and a
// trailing statement could miss some. A request starts only once the one before it
// on its connection has been answered. The hot path (one request at a time per
// connection) costs two property reads and a write: a listener is added only when a
// request actually has to wait.
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

interface Waiting {
  readonly reply: FastifyReply;
  readonly start: HookHandlerDoneFunction;
}

interface ConnectionQueue {
  /** The request started last on this connection. */
  current: FastifyReply;
  readonly waiting: Waiting[];
}

const QUEUE = Symbol('connection request queue');
type QueuedSocket = Socket & { [QUEUE]?: ConnectionQueue };

/** Answered (its response ended) or gone with its connection: the next may start. */
function isOver(reply: FastifyReply): boolean {
  return reply.raw.writableEnded || reply.raw.destroyed;
}

/** Starts the next waiting request once the current one is over, then the next, and so on. */
function startNextAfterCurrent(queue: ConnectionQueue): void {
  // 'close' follows the response's end, or the connection's loss: either way it is over.
  queue.current.raw.once('close', () => {
    const next = queue.waiting.shift();
    if (next === undefined) return;
    queue.current = next.reply;
    if (queue.waiting.length > 0) startNextAfterCurrent(queue);
    next.start();
  });
}

/** An onRequest hook: holds a request until the earlier ones on its connection are answered. */
export function inConnectionOrder(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const socket = request.raw.socket as QueuedSocket | null;
  // inject() and HTTP/2 have no shared HTTP/1 socket to order.
  if (socket === null) {
    done();
    return;
  }
  const queue = socket[QUEUE];
  if (queue === undefined) {
    socket[QUEUE] = { current: reply, waiting: [] };
    done();
  } else if (queue.waiting.length === 0 && isOver(queue.current)) {
    queue.current = reply;
    done();
  } else {
    // The first to wait arms the chain; later ones join it.
    if (queue.waiting.length === 0) startNextAfterCurrent(queue);
    queue.waiting.push({ reply, start: done });
  }
}
