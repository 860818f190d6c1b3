/**
 * The pure half of shared subscriptions: which operations may share one execution and under which group
 * key. No sockets, no app: a schema with an interface and a union, parsed documents, identities.
 */
import { buildSchema, parse } from 'graphql';
import type { Identity } from '../../../service/src/auth';
import {
  canonicalJson,
  DEFAULT_SCOPE,
  SharingAnalysis,
  type OperationPayload,
  type SharedSubscriptionsOptions,
} from '../../../service/src/transport/ws/shared/analysis';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    ok: Boolean
  }
  type Mutation {
    post(text: String): Boolean
  }
  interface Node {
    id: ID!
  }
  type Message implements Node {
    id: ID!
    text: String
    viewerCanEdit: Boolean
  }
  type Notice implements Node {
    id: ID!
    level: Int
  }
  union Item = Message | Notice
  type Subscription {
    messagePosted(room: String!): Message
    itemAdded: Item
    nodeAdded: Node
  }
`);

const ALICE: Identity = { subject: 'alice', claims: { sub: 'alice', role: 'reader', iat: 1, exp: 2, jti: 'a' } };

function keyOf(
  query: string,
  payload: Omit<OperationPayload, 'query'> = {},
  options: SharedSubscriptionsOptions = {},
  identity: Identity | null = null,
): string | undefined {
  return new SharingAnalysis(schema, options).keyOf(parse(query), { query, ...payload }, identity);
}

const POSTED = 'subscription ($room: String!) { messagePosted(room: $room) { id text } }';

describe('which operations are shared', () => {
  test('a subscription is; a query or a mutation is not', () => {
    expect(keyOf(POSTED, { variables: { room: 'a' } })).toEqual(expect.any(String));
    expect(keyOf('{ ok }')).toBeUndefined();
    expect(keyOf('mutation { post(text: "x") }')).toBeUndefined();
  });

  test('in a document with several operations, the named one decides', () => {
    const query = 'query Q { ok } subscription S { nodeAdded { id } }';
    expect(keyOf(query, { operationName: 'S' })).toEqual(expect.any(String));
    expect(keyOf(query, { operationName: 'Q' })).toBeUndefined();
    // Ambiguous without a name: no operation, nothing to share.
    expect(keyOf(query)).toBeUndefined();
  });

  test('an operation with extensions runs per connection; empty extensions do not count', () => {
    expect(keyOf(POSTED, { variables: { room: 'a' }, extensions: { persistedQuery: {} } })).toBeUndefined();
    expect(keyOf(POSTED, { variables: { room: 'a' }, extensions: {} })).toBe(
      keyOf(POSTED, { variables: { room: 'a' } }),
    );
  });

  describe('per-connection fields', () => {
    const options = { perConnectionFields: ['Message.viewerCanEdit'] };

    test('selected directly, or through nested fragments, the operation is not shared', () => {
      expect(keyOf('subscription { messagePosted(room: "a") { viewerCanEdit } }', {}, options)).toBeUndefined();
      const viaFragments = `
        subscription { messagePosted(room: "a") { ...Outer } }
        fragment Outer on Message { id ...Inner }
        fragment Inner on Message { viewerCanEdit }`;
      expect(keyOf(viaFragments, {}, options)).toBeUndefined();
    });

    test('selected on a member of a union (inline fragment), the operation is not shared', () => {
      const query = 'subscription { itemAdded { ... on Message { viewerCanEdit } ... on Notice { level } } }';
      expect(keyOf(query, {}, options)).toBeUndefined();
    });

    test('other fields of the same type are shared, and __typename never counts', () => {
      expect(keyOf('subscription { messagePosted(room: "a") { id text __typename } }', {}, options)).toEqual(
        expect.any(String),
      );
      expect(keyOf('subscription { itemAdded { ... on Notice { level } } }', {}, options)).toEqual(expect.any(String));
    });

    test('a listed interface field counts on the types that implement it, and an object field on the interface', () => {
      const onInterface = { perConnectionFields: ['Node.id'] };
      expect(keyOf('subscription { messagePosted(room: "a") { id } }', {}, onInterface)).toBeUndefined();
      const onObject = { perConnectionFields: ['Notice.id'] };
      expect(keyOf('subscription { nodeAdded { id } }', {}, onObject)).toBeUndefined();
      expect(keyOf('subscription { messagePosted(room: "a") { id } }', {}, onObject)).toEqual(expect.any(String));
    });

    test('a coordinate that names no field of the schema is refused, every problem named', () => {
      expect(
        () => new SharingAnalysis(schema, { perConnectionFields: ['nope', 'Missing.id', 'Message.missing'] }),
      ).toThrow(
        "sharedSubscriptions.perConnectionFields: 'nope' is not a field coordinate (expected Type.field); " +
          "'Missing.id': the schema has no object or interface type 'Missing'; " +
          "'Message.missing': type 'Message' has no field 'missing'",
      );
    });
  });
});

describe('group keys', () => {
  test('the same variables in another key order give the same key; other values another key', () => {
    const query = 'subscription ($room: String!, $n: [Int]) { messagePosted(room: $room) { id } }';
    const a = keyOf(query, { variables: { room: 'a', n: [1, 2] } });
    expect(keyOf(query, { variables: { n: [1, 2], room: 'a' } })).toBe(a);
    expect(keyOf(query, { variables: { room: 'b', n: [1, 2] } })).not.toBe(a);
    expect(keyOf(query, { variables: { room: 'a', n: [2, 1] } })).not.toBe(a);
  });

  test('no variables and empty variables share a group', () => {
    const query = 'subscription { nodeAdded { id } }';
    expect(keyOf(query, { variables: {} })).toBe(keyOf(query));
    expect(keyOf(query, { variables: null })).toBe(keyOf(query));
  });

  test('another query text or operation name is another group', () => {
    const query = 'subscription A { nodeAdded { id } } subscription B { nodeAdded { id } }';
    expect(keyOf(query, { operationName: 'A' })).not.toBe(keyOf(query, { operationName: 'B' }));
    expect(keyOf('subscription { nodeAdded { id } }')).not.toBe(keyOf('subscription { nodeAdded { id  } }'));
  });

  test('the scope is part of the key; a scope of undefined is never shared', () => {
    const bob: Identity = { subject: 'bob', claims: { sub: 'bob', role: 'reader' } };
    expect(keyOf(POSTED, { variables: { room: 'a' } }, {}, ALICE)).not.toBe(
      keyOf(POSTED, { variables: { room: 'a' } }, {}, bob),
    );
    expect(keyOf(POSTED, { variables: { room: 'a' } }, { scope: () => undefined })).toBeUndefined();
  });
});

describe('the default scope', () => {
  test('anonymous without an identity', () => {
    expect(DEFAULT_SCOPE(null)).toBe('anonymous');
  });

  test('a refreshed token of the same principal (other iat, exp, nbf, jti) keeps the scope', () => {
    const refreshed: Identity = {
      subject: 'alice',
      claims: { jti: 'b', role: 'reader', sub: 'alice', exp: 9, nbf: 3 },
    };
    expect(DEFAULT_SCOPE(refreshed)).toBe(DEFAULT_SCOPE(ALICE));
  });

  test('any other claim that differs changes the scope', () => {
    const writer: Identity = { subject: 'alice', claims: { ...ALICE.claims, role: 'writer' } };
    const tenant: Identity = { subject: 'alice', claims: { ...ALICE.claims, tenant: 't2' } };
    expect(new Set([DEFAULT_SCOPE(ALICE), DEFAULT_SCOPE(writer), DEFAULT_SCOPE(tenant)]).size).toBe(3);
  });
});

test('canonicalJson sorts object keys at every level and keeps array order', () => {
  expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: null })).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
  expect(canonicalJson([3, { b: 1, a: { d: 1, c: 2 } }])).toBe('[3,{"a":{"c":2,"d":1},"b":1}]');
});
