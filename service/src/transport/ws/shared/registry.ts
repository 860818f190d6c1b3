/**
 * Shared subscriptions (subscription de-duplication) for the WebSocket path: the live groups by key.
 * Sockets that send the same subscription (same query text, operation name, variables and auth scope —
 * see analysis.ts) join one group, which runs it once (group.ts).
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Identity } from '../../../auth';
import { errorFields, type Logger } from '../../../logger';
import { SharingAnalysis, type OperationPayload, type SharedSubscriptionsOptions } from './analysis';
import { SharedGroup, type GroupOwner, type GroupStart, type SharedMember, type SharedSubscriber } from './group';

export interface SharedSubscriptionStats {
  /** Live groups (distinct shared executions). */
  readonly groups: number;
  /** Subscriptions served by those groups. */
  readonly members: number;
}

export class SharedSubscriptions implements GroupOwner {
  private readonly groups = new Map<string, SharedGroup>();
  private readonly analysis: SharingAnalysis;
  private memberCount = 0;

  constructor(
    schema: GraphQLSchema,
    options: SharedSubscriptionsOptions,
    private readonly logger: Logger,
  ) {
    this.analysis = new SharingAnalysis(schema, options);
  }

  /** The group key of a parsed and validated operation, or undefined when it must run per connection. */
  keyOf(document: DocumentNode, payload: OperationPayload, identity: Identity | null): string | undefined {
    return this.analysis.keyOf(document, payload, identity);
  }

  /**
   * Adds a subscription to the group for `key`, creating (and starting) the group with `start` if there
   * is none. The member is what the protocol core iterates for this operation; `catchingUp` holds the
   * group's frames for a resuming operation (see group.ts).
   */
  join(
    key: string,
    subscriber: SharedSubscriber,
    operationId: string,
    start: GroupStart,
    catchingUp = false,
  ): SharedMember {
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new SharedGroup(key, this, start);
      this.groups.set(key, group);
    }
    return group.add(subscriber, operationId, catchingUp);
  }

  stats(): SharedSubscriptionStats {
    return { groups: this.groups.size, members: this.memberCount };
  }

  counted(delta: number): void {
    this.memberCount += delta;
  }

  removed(group: SharedGroup): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  failed(event: string, err: unknown): void {
    this.logger.warn(event, errorFields(err));
  }
}
