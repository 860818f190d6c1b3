/**
 * The runtime of one shared subscription: a group executes the subscription once, with one context, and
 * for each event serializes the payload once; every member gets it as a `next` frame built from a
 * per-operation-id prefix and that one payload buffer, through its connection's send path (slow-consumer
 * guard included). Per subscriber there is no Yoga context, no execution, no pub/sub listener and no
 * JSON.stringify.
 *
 * A member is what graphql-ws's protocol core iterates: an async iterator that never yields. Its
 * `return()` (client `complete`, socket closed) leaves the group; when the group's stream ends or fails,
 * every member's iterator ends or throws, so the core sends `complete` or `error` exactly as it would for
 * a per-connection subscription. The last member leaving returns the shared stream (pub/sub unsubscribed).
 * The group's context carries the identity of the socket that created the group.
 *
 * A member added `catchingUp` (a resuming operation, see resuming.ts) is not sent the group's frames yet:
 * they are held, with their positions, until `joinAt` names the last position the member delivered on its
 * own; the held frames after it are sent then, and the member is an ordinary one from there on.
 *
 * A group also keeps its recent frames' payloads (the last RECENT_FRAMES_MS, at most RECENT_FRAMES and no more
 * than one replay can send, only while their positions follow each other without a gap). A resume whose position is among them is served
 * from there (`resume`): the recovery result and the frames after that position are sent at once and the
 * member joins, with no execution, history read or serialization of its own. A position a little ahead of
 * the group's latest frame (the group lags behind the instance the client came from) joins the same way,
 * skipping the group's frames up to that position. That is what makes a
 * reconnect storm cheap: the clients of a drained instance resume a few seconds back into the groups of the
 * survivor, which has those events serialized already.
 */
import type { GraphQLError } from 'graphql';
import type { ExecutionResult, OperationResult } from 'graphql-ws';
import { compareIds, tryParsePosition, type Position } from '../../../history/position';

/** The connection as the group sees it: the send path for pre-built frames. */
export interface SharedSubscriber {
  sendFrame(frame: Buffer): void;
}

/** What the subscription execution returns: a stream, or one result (errors) before any stream exists. */
export type SubscribeResult = Awaited<OperationResult>;

/** Runs the subscription once for a group: builds its context, then subscribes. */
export interface GroupStart {
  /** The group's context value (built once). A GraphQLError here is answered like a validation error. */
  context(): Promise<unknown>;
  subscribe(contextValue: unknown): Promise<SubscribeResult> | SubscribeResult;
}

/** What a group reports to the registry that holds it. */
export interface GroupOwner {
  /** Members joined (positive) or left (negative). */
  counted(delta: number): void;
  /** The group ended or lost its last member: it takes no new members. */
  removed(group: SharedGroup): void;
  /** Returning the shared stream failed. */
  failed(event: string, err: unknown): void;
  /** The group started keeping recent frames: they must be swept (forgetBefore) while it does. */
  remembering(): void;
}

const CLOSE_BRACE = Buffer.from('}');

/** Frames a catching-up member may hold; past this it leaves the group and stays per connection. */
export const MAX_HELD_FRAMES = 10_000;

/** Recent frames a group keeps for resumes: at most this many, for this long (see SharedSubscriptions). */
export const RECENT_FRAMES = 1_000;
export const RECENT_FRAMES_MS = 30_000;
/**
 * A replay from recent frames is written at once: larger ones resume on their own (paced by the consumer),
 * so that a burst never approaches the slow-consumer limit (a quarter of the default 1 MiB).
 */
export const RECENT_REPLAY_MAX_BYTES = 256 * 1024;

/** A recent event: its payload as serialized for every member, and its position. */
interface RecentFrame {
  readonly position: string;
  readonly parsed: Position;
  readonly payload: Buffer;
  readonly at: number;
}

/** Members with one operation id get the same frame: the prefix `{"id":…,"type":"next","payload":` is built once. */
interface Bucket {
  readonly operationId: string;
  readonly prefix: Buffer;
  readonly members: Set<SharedMember>;
}

export class SharedGroup {
  private readonly buckets = new Map<string, Bucket>();
  private size = 0;
  /** The shared stream once subscribed; returned when the last member leaves. */
  private stream: AsyncIterator<ExecutionResult> | undefined;
  /** Left the registry: no new members, the stream is (being) returned. */
  private disposed = false;
  readonly context: Promise<unknown>;
  private readonly started: Promise<SubscribeResult>;
  /** The latest events in order, each the successor of the one before (same epoch, next id). */
  private recent: RecentFrame[] = [];
  private keptBytes = 0;

  constructor(
    readonly key: string,
    private readonly owner: GroupOwner,
    start: GroupStart,
  ) {
    this.context = start.context();
    this.started = this.context.then((contextValue) => start.subscribe(contextValue));
    // Failures reach the members through context/ready(); the group only has to leave the registry.
    this.started.then(
      (result) => this.onStarted(result),
      () => this.dispose(),
    );
  }

  add(subscriber: SharedSubscriber, operationId: string, catchingUp = false): SharedMember {
    let bucket = this.buckets.get(operationId);
    if (bucket === undefined) {
      bucket = {
        operationId,
        prefix: Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":`),
        members: new Set(),
      };
      this.buckets.set(operationId, bucket);
    }
    const member = new SharedMember(this, subscriber, bucket, catchingUp);
    bucket.members.add(member);
    this.size++;
    this.owner.counted(1);
    return member;
  }

  /**
   * Adds a resuming subscription that last delivered the event at `position`, if the group's recent frames
   * hold it: the recovery result and the frames after it are sent now, then the group's. Undefined (nothing
   * sent) otherwise: the caller resumes it on its own (history read, own execution until it catches up).
   */
  resume(subscriber: SharedSubscriber, operationId: string, position: string): SharedMember | undefined {
    if (this.disposed || this.stream === undefined) return undefined;
    // Frames the sweep has not reached yet are as good as forgotten once past their age.
    this.forgetBefore(Date.now() - RECENT_FRAMES_MS);
    const at = this.recent.findIndex((frame) => frame.position === position);
    const ahead = at < 0 ? this.ahead(position) : undefined;
    if (at < 0 && ahead === undefined) return undefined;
    let bytes = 0;
    for (let i = at + 1; at >= 0 && i < this.recent.length; i++)
      bytes += (this.recent[i] as RecentFrame).payload.length;
    if (bytes > RECENT_REPLAY_MAX_BYTES) return undefined;
    const member = this.add(subscriber, operationId);
    if (ahead !== undefined) member.skipThrough(ahead);
    const { prefix } = member.bucket;
    const replay = at < 0 ? [] : this.recent.slice(at + 1);
    const recovery = { extensions: { recovery: { recovered: true, replayed: replay.length } } };
    subscriber.sendFrame(Buffer.concat([prefix, Buffer.from(JSON.stringify(recovery)), CLOSE_BRACE]));
    for (const frame of replay) subscriber.sendFrame(Buffer.concat([prefix, frame.payload, CLOSE_BRACE]));
    return member;
  }

  /** The position, if it is at most RECENT_FRAMES events after the group's latest one (same epoch). */
  private ahead(position: string): Position | undefined {
    const last = this.recent[this.recent.length - 1]?.parsed;
    const parsed = tryParsePosition(position);
    if (last === undefined || parsed === undefined) return undefined;
    if (parsed.epoch !== last.epoch || parsed.ms !== last.ms) return undefined;
    const by = parsed.seq - last.seq;
    return by > 0n && by <= BigInt(RECENT_FRAMES) ? parsed : undefined;
  }

  /** Drops recent frames older than `before` (ms since the epoch). */
  forgetBefore(before: number): void {
    let old = 0;
    while (old < this.recent.length && (this.recent[old] as RecentFrame).at < before) old++;
    if (old === 0) return;
    for (const frame of this.recent.slice(0, old)) this.keptBytes -= frame.payload.length;
    this.recent = this.recent.slice(old);
  }

  /** Bytes of the payloads kept (at most a replay's worth after the oldest frame, see remember). */
  get recentBytes(): number {
    return this.keptBytes;
  }

  /** Holds recent frames (the registry sweeps them). */
  get remembering(): boolean {
    return this.recent.length > 0;
  }

  leave(member: SharedMember): void {
    const bucket = member.bucket;
    if (!bucket.members.delete(member)) return;
    if (bucket.members.size === 0) this.buckets.delete(bucket.operationId);
    this.size--;
    this.owner.counted(-1);
    if (this.size === 0) this.dispose();
  }

  /** What the core gets from `subscribe` for this member: the member itself, or the one-off result. */
  async ready(member: SharedMember): Promise<SubscribeResult> {
    const result = await this.started.catch((err: unknown) => {
      this.leave(member);
      throw err;
    });
    if (this.stream === undefined) {
      // Not a stream (the operation failed before subscribing): each member gets that result once.
      this.leave(member);
      return result;
    }
    return member;
  }

  private onStarted(result: SubscribeResult): void {
    if (!isAsyncIterable(result)) {
      this.dispose();
      return;
    }
    const stream = result[Symbol.asyncIterator]();
    this.stream = stream;
    if (this.disposed) {
      // Everyone left while it was starting.
      void closeStream(stream, this.owner);
      return;
    }
    void this.pump(stream);
  }

  private async pump(stream: AsyncIterator<ExecutionResult>): Promise<void> {
    let failure: unknown;
    try {
      for (;;) {
        const step = await stream.next();
        if (step.done === true || this.disposed) break;
        this.broadcast(step.value);
      }
    } catch (err) {
      failure = err;
      // A failure of ours (serializing) leaves the source subscribed: unsubscribe it.
      void closeStream(stream, this.owner);
    }
    this.dispose();
    for (const bucket of this.buckets.values()) {
      for (const member of bucket.members) member.end(failure);
    }
    this.buckets.clear();
    this.owner.counted(-this.size);
    this.size = 0;
  }

  /** One serialization per event, one frame per operation id, one send per member. */
  private broadcast(result: ExecutionResult): void {
    // Exactly the payload graphql-ws's core would build: the result without `errors`, then errors as JSON.
    const { errors, ...rest } = result;
    const payload = Buffer.from(
      JSON.stringify(errors ? { ...rest, errors: errors.map((e: GraphQLError) => e.toJSON()) } : rest),
    );
    const position = (result.extensions as { position?: unknown } | undefined)?.position;
    this.remember(position, payload);
    for (const bucket of this.buckets.values()) {
      const frame = Buffer.concat([bucket.prefix, payload, CLOSE_BRACE]);
      for (const member of bucket.members) member.deliver(frame, position);
    }
  }

  /** Keeps the frame if it follows the last one kept; anything else starts the run of recent frames anew. */
  private remember(position: unknown, payload: Buffer): void {
    const parsed = tryParsePosition(position);
    const last = this.recent[this.recent.length - 1];
    const follows =
      parsed !== undefined &&
      last !== undefined &&
      last.parsed.epoch === parsed.epoch &&
      last.parsed.ms === parsed.ms &&
      last.parsed.seq + 1n === parsed.seq;
    if (!follows) {
      this.recent = [];
      this.keptBytes = 0;
    }
    if (parsed === undefined) return;
    if (this.recent.length === 0) this.owner.remembering();
    this.recent.push({ position: position as string, parsed, payload, at: Date.now() });
    this.keptBytes += payload.length;
    // A resume replays the frames after its position, at most RECENT_REPLAY_MAX_BYTES: older ones are
    // never served, so they are not kept.
    for (;;) {
      const oldest = this.recent[0] as RecentFrame;
      const after = this.keptBytes - oldest.payload.length;
      if (this.recent.length <= RECENT_FRAMES && after <= RECENT_REPLAY_MAX_BYTES) break;
      this.recent.shift();
      this.keptBytes -= oldest.payload.length;
    }
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.removed(this);
    if (this.stream !== undefined && this.size === 0) void closeStream(this.stream, this.owner);
  }
}

/**
 * One subscription in a group, as the protocol core sees it: the async iterator it awaits (never yields:
 * the group sends the frames).
 */
export class SharedMember implements AsyncIterableIterator<ExecutionResult> {
  /** Resolves the core's pending next(). */
  private settle:
    ((result: IteratorResult<ExecutionResult> | PromiseLike<IteratorResult<ExecutionResult>>) => void) | undefined;
  /** Ended by the group: done, or the failure to throw. */
  private ended: { readonly failure: unknown } | undefined;
  /** While catching up: the group's frames not sent yet, with their positions. */
  private held: { readonly frame: Buffer; readonly position: unknown }[] | undefined;
  /** Joined ahead of the group: its frames up to this position reached the client already. */
  private skipping: Position | undefined;

  constructor(
    private readonly group: SharedGroup,
    readonly subscriber: SharedSubscriber,
    readonly bucket: Bucket,
    catchingUp: boolean,
  ) {
    if (catchingUp) this.held = [];
  }

  /** True while the member holds the group's frames (see joinAt). */
  get catchingUp(): boolean {
    return this.held !== undefined;
  }

  /**
   * Drops the group's frames up to `position` (same epoch); the first positioned one after it (or of
   * another epoch) ends the skipping.
   */
  skipThrough(position: Position): void {
    this.skipping = position;
  }

  /** Called by the group for each event: sent, or held while catching up. */
  deliver(frame: Buffer, position: unknown): void {
    // A result without a position (a notice) is sent and does not end the skipping: only an event after
    // the position does.
    const parsed = this.skipping !== undefined ? tryParsePosition(position) : undefined;
    if (this.skipping !== undefined && parsed !== undefined) {
      if (parsed.epoch === this.skipping.epoch && compareIds(parsed, this.skipping) <= 0) return;
      this.skipping = undefined;
    }
    if (this.held === undefined) {
      this.subscriber.sendFrame(frame);
    } else if (this.held.length >= MAX_HELD_FRAMES) {
      this.held = undefined;
      this.leave();
    } else {
      this.held.push({ frame, position });
    }
  }

  /**
   * The member delivered everything up to `position` on its own: if the group has the event at that
   * position, the held frames after it are sent and the member takes the group's frames from now on.
   * False (nothing changes) while the group has not seen that event, or once the member left or ended.
   */
  joinAt(position: string): boolean {
    const held = this.held;
    if (held === undefined || this.ended !== undefined) return false;
    const at = held.findIndex((h) => h.position === position);
    if (at < 0) return false;
    this.held = undefined;
    for (const h of held.slice(at + 1)) this.subscriber.sendFrame(h.frame);
    return true;
  }

  /** Settles when the group's context is built; a GraphQLError there is this operation's answer. */
  context(): Promise<unknown> {
    return this.group.context;
  }

  /** For the core's `subscribe`: this member (a stream), or the group's one-off result. */
  ready(): Promise<SubscribeResult> {
    return this.group.ready(this);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.ended !== undefined) return this.result();
    return new Promise<IteratorResult<ExecutionResult>>((resolve) => {
      this.settle = resolve;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.leave();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.leave();
    return Promise.reject(err);
  }

  /** Called by the group: its stream ended (failure undefined) or failed. */
  end(failure: unknown): void {
    if (this.ended !== undefined) return;
    this.ended = { failure };
    const settle = this.settle;
    this.settle = undefined;
    settle?.(this.result());
  }

  private leave(): void {
    this.held = undefined;
    if (this.ended === undefined) {
      this.ended = { failure: undefined };
      this.group.leave(this);
    }
    const settle = this.settle;
    this.settle = undefined;
    settle?.({ value: undefined, done: true });
  }

  private result(): Promise<IteratorResult<ExecutionResult>> {
    const failure = this.ended?.failure;
    return failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(failure);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof Object(value)[Symbol.asyncIterator] === 'function';
}

async function closeStream(stream: AsyncIterator<ExecutionResult>, owner: GroupOwner): Promise<void> {
  try {
    await stream.return?.();
  } catch (err) {
    owner.failed('ws.shared_subscription_return_failed', err);
  }
}
