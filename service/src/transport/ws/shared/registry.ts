/**
 * Shared subscriptions (subscription de-duplication) for the WebSocket path: the live groups by key.
 * Sockets that send the same subscription (same query text, operation name, variables and auth scope —
 * see analysis.ts) join one group, which runs it once (group.ts).
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Identity } from '../../../auth';
import { errorFields, type Logger } from '../../../logger';
import { SharingAnalysis, type OperationPayload, type SharedSubscriptionsOptions } from './analysis';
import {
  RECENT_FRAMES_MS,
  SharedGroup,
  type GroupOwner,
  type GroupStart,
  type SharedMember,
  type SharedSubscriber,
} from './group';

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
  /** Sweeps the groups' recent frames while any group holds some (see group.ts). */
  private sweeper: NodeJS.Timeout | undefined;

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

  /**
   * Adds a resuming subscription to the live group for `key` if that group's recent frames hold `position`
   * (the recovery result and the missed frames are sent now); undefined if not, nothing changed.
   */
  resume(key: string, subscriber: SharedSubscriber, operationId: string, position: string): SharedMember | undefined {
    return this.groups.get(key)?.resume(subscriber, operationId, position);
  }

  stats(): SharedSubscriptionStats {
    return { groups: this.groups.size, members: this.memberCount };
  }

  counted(delta: number): void {
    this.memberCount += delta;
  }

  /** Keeps recent frames from outliving RECENT_FRAMES_MS by much, also in groups that went quiet. */
  remembering(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => {
      const before = Date.now() - RECENT_FRAMES_MS;
      let remembering = false;
      for (const group of this.groups.values()) {
        group.forgetBefore(before);
        remembering ||= group.remembering;
      }
      if (!remembering) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, RECENT_FRAMES_MS);
    // Housekeeping only: never what keeps the process alive.
    this.sweeper.unref();
  }

  removed(group: SharedGroup): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  failed(event: string, err: unknown): void {
    this.logger.warn(event, errorFields(err));
  }
}
