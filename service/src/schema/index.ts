import { createSchema } from 'graphql-yoga';
import type { ChatContext } from './context';
import { resolvers } from './resolvers';
import { typeDefs } from './typeDefs';

export type { ChatContext, ChatTopics, Message, ServerInfoSource } from './context';

export function buildSchema() {
  return createSchema<ChatContext>({ typeDefs, resolvers });
}
