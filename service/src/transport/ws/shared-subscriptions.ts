/**
 * Shared subscriptions (subscription de-duplication) for the WebSocket path.
 *
 * Sockets that send the same subscription (same query text, operation name, variables and auth scope)
 * join one group. The group executes the subscription once, with one context, and for each event
 * serializes the payload once; every member gets it as a `next` frame built from a per-operation-id
 * prefix and that one payload buffer, through its connection's send path (slow-consumer guard included).
 * Per subscriber there is no Yoga context, no execution, no pub/sub listener and no JSON.stringify.
 *
 * A member is what graphql-ws's protocol core iterates: an async iterator that never yields. Its
 * `return()` (client `complete`, socket closed) leaves the group; when the group's stream ends or fails,
 * every member's iterator ends or throws, so the core sends `complete` or `error` exactly as it would for
 * a per-connection subscription. The last member leaving returns the shared stream (pub/sub unsubscribed).
 *
 * Not shared (the per-connection path): queries and mutations, operations selecting a field listed in
 * `perConnectionFields` (its result depends on the connection), operations with `extensions`, and
 * sockets whose scope is `undefined`. Results are shared only within one scope (by default all verified
 * claims but the token's own timestamps and id — iss, sub, scopes, roles, tenant... — or 'anonymous' without
 * a verifier), so a resolver that reads the identity stays correct; the group's context carries the identity
 * of the socket that created the group.
 */
import {
  BREAK,
  getOperationAST,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Identity } from '../../auth';
import { errorFields, type Logger } from '../../logger';

export interface SharedSubscriptionsOptions {
  /**
   * Field coordinates (`Type.field`) whose result depends on the connection rather than on the event and
   * the auth scope; an operation selecting one (directly, through fragments, or through an interface the
   * type implements) runs per connection.
   * @default [] (the chat schema has none)
   */
  readonly perConnectionFields?: readonly string[];
  /**
   * The auth scope of a socket: results are shared only among sockets with the same scope. Return
   * `undefined` to never share this socket's subscriptions.
   * @default the verified claims without `iat`, `exp`, `nbf`, `jti` (so a refreshed token keeps its scope, and
   * sockets share only with sockets whose claims are identical), or 'anonymous' without a verifier
   */
  readonly scope?: (identity: Identity | null) => string | undefined;
}

/** The connection as the group sees it: the send path for pre-built frames. */
export interface SharedSubscriber {
  sendFrame(frame: Buffer): void;
}

/** What the subscription execution returns: a stream, or one result (errors) before any stream exists. */
export type SubscribeResult = AsyncIterable<ExecutionResult> | ExecutionResult;

/** Runs the subscription once for a group: builds its context, then subscribes. */
export interface GroupStart {
  /** The group's context value (built once). A GraphQLError here is answered like a validation error. */
  context(): Promise<unknown>;
  subscribe(contextValue: unknown): Promise<SubscribeResult> | SubscribeResult;
}

export interface SharedSubscriptionStats {
  /** Live groups (distinct shared executions). */
  readonly groups: number;
  /** Subscriptions served by those groups. */
  readonly members: number;
}

/** Claims that differ between two tokens of the same principal: not part of the scope. */
const TOKEN_INSTANCE_CLAIMS = new Set(['iat', 'exp', 'nbf', 'jti']);

export const DEFAULT_SCOPE = (identity: Identity | null): string => {
  if (identity === null) return 'anonymous';
  const claims = Object.entries(identity.claims).filter(([name]) => !TOKEN_INSTANCE_CLAIMS.has(name));
  return canonicalJson({ sub: identity.subject, ...Object.fromEntries(claims) });
};

const CLOSE_BRACE = Buffer.from('}');

export class SharedSubscriptions {
  private readonly groups = new Map<string, SharedGroup>();
  private readonly perConnectionFields: ReadonlySet<string>;
  private readonly scope: (identity: Identity | null) => string | undefined;
  /** Yoga's parser cache hands out one DocumentNode per query text: analyse each (document, operation) once. */
  private readonly shareable = new WeakMap<DocumentNode, Map<string | null, boolean>>();
  private memberCount = 0;

  constructor(
    schema: GraphQLSchema,
    options: SharedSubscriptionsOptions,
    private readonly logger: Logger,
  ) {
    this.perConnectionFields = new Set(validateCoordinates(schema, options.perConnectionFields ?? []));
    this.scope = options.scope ?? DEFAULT_SCOPE;
  }

  /**
   * The group key of a parsed and validated operation, or undefined when it must run per connection.
   * Key = (query text, operation name, canonical variables, scope).
   */
  keyOf(
    schema: GraphQLSchema,
    document: DocumentNode,
    payload: {
      readonly query: string;
      readonly operationName?: string | null | undefined;
      readonly variables?: Record<string, unknown> | null | undefined;
      readonly extensions?: Record<string, unknown> | null | undefined;
    },
    identity: Identity | null,
  ): string | undefined {
    // Extensions (persisted queries, tracing flags, ...) may change how a plugin treats the operation.
    if (payload.extensions != null && Object.keys(payload.extensions).length > 0) return undefined;
    const operationName = payload.operationName ?? null;
    if (!this.isShareable(schema, document, operationName)) return undefined;
    const scope = this.scope(identity);
    if (scope === undefined) return undefined;
    return JSON.stringify([payload.query, operationName, canonicalJson(payload.variables ?? {}), scope]);
  }

  /**
   * Adds a subscription to the group for `key`, creating (and starting) the group with `start` if there
   * is none. The member is the protocol core's `contextValue` for this operation.
   */
  join(key: string, subscriber: SharedSubscriber, operationId: string, start: GroupStart): SharedMember {
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new SharedGroup(key, this, start);
      this.groups.set(key, group);
    }
    return group.add(subscriber, operationId);
  }

  stats(): SharedSubscriptionStats {
    return { groups: this.groups.size, members: this.memberCount };
  }

  /** @internal bookkeeping from the groups */
  counted(delta: number): void {
    this.memberCount += delta;
  }

  /** @internal a group that ended or lost its last member */
  removed(group: SharedGroup): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  /** @internal */
  failed(event: string, err: unknown): void {
    this.logger.warn(event, errorFields(err));
  }

  private isShareable(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): boolean {
    let byName = this.shareable.get(document);
    if (byName === undefined) this.shareable.set(document, (byName = new Map()));
    let shareable = byName.get(operationName);
    if (shareable === undefined) {
      const operation = getOperationAST(document, operationName);
      shareable =
        operation !== null &&
        operation !== undefined &&
        operation.operation === 'subscription' &&
        !selectsAny(schema, document, operation, this.perConnectionFields);
      byName.set(operationName, shareable);
    }
    return shareable;
  }
}

/** Members with one operation id get the same frame: the prefix `{"id":…,"type":"next","payload":` is built once. */
interface Bucket {
  readonly operationId: string;
  readonly prefix: Buffer;
  readonly members: Set<SharedMember>;
}

class SharedGroup {
  private readonly buckets = new Map<string, Bucket>();
  private size = 0;
  /** The shared stream once subscribed; returned when the last member leaves. */
  private stream: AsyncIterator<ExecutionResult> | undefined;
  /** Left the registry: no new members, the stream is (being) returned. */
  private disposed = false;
  readonly context: Promise<unknown>;
  private readonly started: Promise<SubscribeResult>;

  constructor(
    readonly key: string,
    private readonly registry: SharedSubscriptions,
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

  add(subscriber: SharedSubscriber, operationId: string): SharedMember {
    let bucket = this.buckets.get(operationId);
    if (bucket === undefined) {
      bucket = {
        operationId,
        prefix: Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":`),
        members: new Set(),
      };
      this.buckets.set(operationId, bucket);
    }
    const member = new SharedMember(this, subscriber, bucket);
    bucket.members.add(member);
    this.size++;
    this.registry.counted(1);
    return member;
  }

  leave(member: SharedMember): void {
    const bucket = member.bucket;
    if (!bucket.members.delete(member)) return;
    if (bucket.members.size === 0) this.buckets.delete(bucket.operationId);
    this.size--;
    this.registry.counted(-1);
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
      void closeStream(stream, this.registry);
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
      void closeStream(stream, this.registry);
    }
    this.dispose();
    for (const bucket of this.buckets.values()) {
      for (const member of bucket.members) member.end(failure);
    }
    this.buckets.clear();
    this.registry.counted(-this.size);
    this.size = 0;
  }

  /** One serialization per event, one frame per operation id, one send per member. */
  private broadcast(result: ExecutionResult): void {
    // Exactly the payload graphql-ws's core would build: the result without `errors`, then errors as JSON.
    const { errors, ...rest } = result;
    const payload = Buffer.from(
      JSON.stringify(errors ? { ...rest, errors: errors.map((e: GraphQLError) => e.toJSON()) } : rest),
    );
    for (const bucket of this.buckets.values()) {
      const frame = Buffer.concat([bucket.prefix, payload, CLOSE_BRACE]);
      for (const member of bucket.members) member.subscriber.sendFrame(frame);
    }
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.registry.removed(this);
    if (this.stream !== undefined && this.size === 0) void closeStream(this.stream, this.registry);
  }
}

/**
 * One subscription in a group, as the protocol core sees it: `contextValue` of its execution args, then
 * the async iterator it awaits (never yields: the group sends the frames).
 */
export class SharedMember implements AsyncIterableIterator<ExecutionResult> {
  /** Resolves the core's pending next(). */
  private settle:
    ((result: IteratorResult<ExecutionResult> | PromiseLike<IteratorResult<ExecutionResult>>) => void) | undefined;
  /** Ended by the group: done, or the failure to throw. */
  private ended: { readonly failure: unknown } | undefined;

  constructor(
    private readonly group: SharedGroup,
    readonly subscriber: SharedSubscriber,
    readonly bucket: Bucket,
  ) {}

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

async function closeStream(stream: AsyncIterator<ExecutionResult>, registry: SharedSubscriptions): Promise<void> {
  try {
    await stream.return?.();
  } catch (err) {
    registry.failed('ws.shared_subscription_return_failed', err);
  }
}

/** JSON with object keys sorted at every level: `{a,b}` and `{b,a}` share a group. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Each coordinate must name an existing field: a typo would silently share a per-connection result. */
function validateCoordinates(schema: GraphQLSchema, coordinates: readonly string[]): string[] {
  const problems: string[] = [];
  for (const coordinate of coordinates) {
    const match = /^([_A-Za-z][_0-9A-Za-z]*)\.([_A-Za-z][_0-9A-Za-z]*)$/.exec(coordinate);
    const type = match ? schema.getType(match[1] as string) : undefined;
    if (match === null) {
      problems.push(`'${coordinate}' is not a field coordinate (expected Type.field)`);
    } else if (!isObjectType(type) && !isInterfaceType(type)) {
      problems.push(`'${coordinate}': the schema has no object or interface type '${match[1]}'`);
    } else if (type.getFields()[match[2] as string] === undefined) {
      problems.push(`'${coordinate}': type '${match[1]}' has no field '${match[2]}'`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`sharedSubscriptions.perConnectionFields: ${problems.join('; ')}`);
  }
  return [...coordinates];
}

/**
 * Does the operation select a listed field? Walks its selection set and every fragment it spreads
 * (transitively), with the type each field is selected on; a field selected on an abstract type counts
 * for every possible type, and one on an object type for the interfaces it implements.
 */
function selectsAny(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  coordinates: ReadonlySet<string>,
): boolean {
  if (coordinates.size === 0) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const matches = (parent: GraphQLCompositeType, field: string): boolean => {
    if (coordinates.has(`${parent.name}.${field}`)) return true;
    const related = isAbstractType(parent) ? schema.getPossibleTypes(parent) : parent.getInterfaces();
    return related.some((type) => coordinates.has(`${type.name}.${field}`));
  };

  let found = false;
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (parent != null && !node.name.value.startsWith('__') && matches(parent, node.name.value)) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  const seen = new Set<string>();
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  while (pending.length > 0 && !found) {
    const definition = pending.pop() as OperationDefinitionNode | FragmentDefinitionNode;
    visit(definition, visitor);
    for (const name of spreadNames(definition.selectionSet)) {
      const fragment = fragments.get(name);
      if (fragment !== undefined && !seen.has(name)) {
        seen.add(name);
        pending.push(fragment);
      }
    }
  }
  return found;
}

function spreadNames(selectionSet: SelectionSetNode): string[] {
  const names: string[] = [];
  visit(selectionSet, {
    FragmentSpread(node) {
      names.push(node.name.value);
    },
  });
  return names;
}
