/**
 * (b) The common peer: bare graphql-ws (`useServer` on a `ws` server) executing with graphql-js against
 * the same schema shape as our service, with a minimal in-process pub/sub. Every event is executed
 * and serialized once per subscriber, which is what most hand-rolled servers do.
 */
import { GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { RoomPubSub } from './room-pubsub';
import { listeningUrl } from './listen';
import type { BenchServer } from './types';

interface Message {
  readonly id: string;
  readonly room: string;
  readonly text: string;
}

function buildSchema(pubsub: RoomPubSub<Message>): GraphQLSchema {
  let nextId = 0;
  const MessageType = new GraphQLObjectType<Message>({
    name: 'Message',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLID) },
      room: { type: new GraphQLNonNull(GraphQLString) },
      text: { type: new GraphQLNonNull(GraphQLString) },
    },
  });
  const roomArg = { room: { type: new GraphQLNonNull(GraphQLString) } };
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { health: { type: new GraphQLNonNull(GraphQLString), resolve: () => 'ok' } },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        postMessage: {
          type: new GraphQLNonNull(MessageType),
          args: { ...roomArg, text: { type: new GraphQLNonNull(GraphQLString) } },
          resolve: (_root, args: { room: string; text: string }) => {
            const message: Message = { id: String(++nextId), room: args.room, text: args.text };
            pubsub.publish(args.room, message);
            return message;
          },
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        messagePosted: {
          type: new GraphQLNonNull(MessageType),
          args: roomArg,
          subscribe: (_root, args: { room: string }) => pubsub.subscribe(args.room),
          resolve: (message: Message) => message,
        },
      },
    }),
  });
}

export async function startGraphqlWsPeer(): Promise<BenchServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql', perMessageDeflate: false });
  const disposable = useServer({ schema: buildSchema(new RoomPubSub<Message>()) }, wss);
  const url = await listeningUrl(wss);
  return {
    url,
    stop: async () => {
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
