/** What resolvers get: the domain's view of the server, never the transport. */
import type { Identity } from '../auth';
import type { PubSub } from '../pubsub';

export interface Message {
  readonly id: string;
  readonly room: string;
  readonly text: string;
  readonly sentAt: string;
}

/** The pub/sub topics of the domain (routingKey -> [id, payload]). */
export type ChatTopics = {
  messagePosted: [room: string, message: Message];
};

/** Facts about this server process for Query.serverInfo. */
export interface ServerInfoSource {
  readonly instanceId: string;
  readonly version: string;
  /** process start, epoch ms */
  readonly startedAt: number;
  connectionCount(): number;
}

export interface ChatContext {
  readonly pubsub: PubSub<ChatTopics>;
  readonly server: ServerInfoSource;
  /** null when the service runs without a verifier (anonymous access). */
  readonly identity: Identity | null;
}
