import { randomUUID } from 'node:crypto';
import type { ChatContext, Message } from './context';
import { validateRoom, validateText } from './validation';

export const resolvers = {
  Query: {
    serverInfo: (_root: unknown, _args: unknown, ctx: ChatContext) => ({
      instanceId: ctx.server.instanceId,
      version: ctx.server.version,
      uptimeSeconds: Math.round((Date.now() - ctx.server.startedAt) / 10) / 100,
      connectionCount: ctx.server.connectionCount(),
    }),
    viewer: (_root: unknown, _args: unknown, ctx: ChatContext) => ctx.identity?.subject ?? null,
  },
  Mutation: {
    postMessage: async (_root: unknown, args: { room: string; text: string }, ctx: ChatContext): Promise<Message> => {
      const message: Message = {
        id: randomUUID(),
        room: validateRoom(args.room),
        text: validateText(args.text),
        sentAt: new Date().toISOString(),
      };
      // Fails with PUBSUB_UNAVAILABLE while Redis is down: the client learns the message went nowhere.
      await ctx.pubsub.publish('messagePosted', message.room, message);
      return message;
    },
  },
  Subscription: {
    messagePosted: {
      subscribe: (_root: unknown, args: { room: string }, ctx: ChatContext) =>
        ctx.pubsub.subscribe('messagePosted', validateRoom(args.room)),
      resolve: (message: Message) => message,
    },
  },
};
