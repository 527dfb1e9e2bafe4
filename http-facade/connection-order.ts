// Requests pipelined on one connection are processed one after another, in the order
// they arrived (RFC 9112 §9.3.2): Node answers them in order but would run their
// handlers concurrently, so 50 pipelined credits could commit in any order and a
// trailing statement could miss some. A request starts only once the one before it
// on its connection has been answered. The hot path (one request at a time per
// connection) costs a property read and one listener.
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

interface ConnectionQueue {
  busy: boolean;
  readonly waiting: Array<{ reply: FastifyReply; start: HookHandlerDoneFunction }>;
}

const QUEUE = Symbol('connection request queue');
type QueuedSocket = Socket & { [QUEUE]?: ConnectionQueue };

function start(queue: ConnectionQueue, reply: FastifyReply, done: HookHandlerDoneFunction) {
  queue.busy = true;
  // 'close' follows the response's end, or the connection's loss: either way it is over.
  reply.raw.once('close', () => {
    const next = queue.waiting.shift();
    if (next === undefined) queue.busy = false;
    else start(queue, next.reply, next.start);
  });
  done();
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
  let queue = socket[QUEUE];
  if (queue === undefined) {
    queue = { busy: false, waiting: [] };
    socket[QUEUE] = queue;
  }
  if (queue.busy) queue.waiting.push({ reply, start: done });
  else start(queue, reply, done);
}
