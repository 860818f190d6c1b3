/**
 * The operation ids of one socket, kept so that graphql-ws's protocol core never sees two `subscribe`s of
 * one id in flight at once.
 *
 * The core reserves an id in `ctx.subscriptions` when `subscribe` arrives, starts the operation
 * asynchronously (onSubscribe, context, execute/subscribe), then installs the stream only if the id is
 * still there; a `complete` in between deletes the reservation, so the late stream is returned. But if
 * the client sends `subscribe` with the same id again before the first has started, the first finds the
 * id reserved (by the second), installs itself, and is overwritten by the second: it runs on, out of
 * reach of `complete` and of the socket's close, sending `next` frames for an id the client completed.
 *
 * So a `subscribe` whose id is still in flight after its `complete` waits until that operation has
 * unwound, and a `complete` of a waiting `subscribe` drops it (it never started). Every operation the core
 * runs is then the one it has under its id, and the count here is every operation in flight on the socket.
 */
import { CloseCode, MessageType, parseMessage } from 'graphql-ws';
import type { Logger } from '../../logger';

/** What the gate needs from its socket. */
export interface GateSocket {
  readonly id: number;
  readonly address: string;
  readonly shared: { readonly logger: Logger };
  close(code: number, reason: string): void;
  /** The core failed on a frame: unexpected, closes the socket with 4500. */
  failed(err: unknown): void;
}

interface InFlight {
  /** The client sent `complete` for it: a new `subscribe` of this id may follow, and waits. */
  completed: boolean;
  /** That waiting `subscribe` frame. */
  waiting: string | undefined;
  /** Bytes of variables the operation holds while in flight, in the socket's budget (variables-budget.ts). */
  variablesBytes: number;
}

export class OperationGate {
  /** Operations handed to the core and not yet finished there, by id (created on the first subscribe). */
  private inFlight: Map<string, InFlight> | undefined;
  private closed = false;

  constructor(
    private readonly socket: GateSocket,
    /** The core's message handler: settles when the frame's work is done (for `subscribe`: the operation). */
    private readonly core: (data: string) => Promise<void>,
  ) {}

  /** Operations in flight on the socket: running, starting, or unwinding after `complete`. */
  get size(): number {
    return this.inFlight?.size ?? 0;
  }

  /** Bytes of variables held by the operations in flight, but the one of `exceptId`. */
  heldVariablesBytes(exceptId?: string): number {
    let held = 0;
    this.inFlight?.forEach((operation, id) => {
      if (id !== exceptId) held += operation.variablesBytes;
    });
    return held;
  }

  /** Counts `bytes` of variables against the operation `id` until it leaves the socket. */
  holdVariables(id: string, bytes: number): void {
    const operation = this.inFlight?.get(id);
    if (operation !== undefined) operation.variablesBytes = bytes;
  }

  receive(data: string): void {
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(data);
    } catch {
      // Not a protocol message: the core answers it (4400).
      this.deliver(data);
      return;
    }
    switch (message.type) {
      case MessageType.Subscribe:
        return this.subscribe(message.id, data);
      case MessageType.Complete:
        return this.complete(message.id, data);
      case MessageType.ConnectionAck:
      case MessageType.Next:
      case MessageType.Error:
        return this.unexpected(message.type);
      default:
        return this.deliver(data);
    }
  }

  /** The socket closed: waiting subscribes never start (the core ends the rest). */
  close(): void {
    this.closed = true;
    this.inFlight?.forEach((operation) => (operation.waiting = undefined));
  }

  private subscribe(id: string, data: string): void {
    const operation = this.inFlight?.get(id);
    if (operation === undefined) return this.start(id, data);
    // Still active for the client: the core answers the duplicate (4409).
    if (!operation.completed) return this.deliver(data);
    if (operation.waiting !== undefined) {
      return this.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    }
    operation.waiting = data;
  }

  private complete(id: string, data: string): void {
    const operation = this.inFlight?.get(id);
    if (operation === undefined) return this.deliver(data);
    if (operation.waiting !== undefined) {
      // Completes the subscribe that never started; the one in flight is already completed.
      operation.waiting = undefined;
      return;
    }
    operation.completed = true;
    this.deliver(data);
  }

  private start(id: string, data: string): void {
    const operation: InFlight = { completed: false, waiting: undefined, variablesBytes: 0 };
    (this.inFlight ??= new Map()).set(id, operation);
    const finished = () => {
      this.inFlight?.delete(id);
      const next = operation.waiting;
      if (next !== undefined && !this.closed) this.start(id, next);
    };
    this.core(data).then(finished, (err: unknown) => {
      finished();
      this.socket.failed(err);
    });
  }

  /**
   * A message only the server sends: the client broke the protocol, the service did not fail (the core
   * would throw: 4500 and an error line, which any client could repeat to flood the error log).
   */
  private unexpected(type: string): void {
    const { id, address, shared } = this.socket;
    shared.logger.info('ws.invalid_message', { connection: id, address, type });
    this.socket.close(CloseCode.BadRequest, `Unexpected message of type ${type} received`);
  }

  private deliver(data: string): void {
    this.core(data).catch((err: unknown) => this.socket.failed(err));
  }
}
