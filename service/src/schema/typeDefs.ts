/** The example domain, chat rooms: small but real. App teams replace this file and resolvers.ts. */
export const typeDefs = /* GraphQL */ `
  type Message {
    id: ID!
    room: String!
    text: String!
    "ISO 8601 timestamp set by the server."
    sentAt: String!
  }

  "Which task answered: lets a client see the load balancer at work."
  type ServerInfo {
    instanceId: ID!
    version: String!
    uptimeSeconds: Float!
    "Open WebSocket + SSE connections on this task."
    connectionCount: Int!
  }

  type Query {
    serverInfo: ServerInfo!
    "The caller's verified subject (JWT sub); null when the service runs without a verifier."
    viewer: String
  }

  type Mutation {
    "Publishes the message to every subscriber of the room, on every task."
    postMessage(room: String!, text: String!): Message!
  }

  type Subscription {
    messagePosted(room: String!): Message!
  }
`;
