/**
 * The bound on how deeply WebSocket operation variables nest: checked without recursion, exact at the
 * limit, and enforced by the shared-subscription key before it serializes the variables.
 */
import { parse } from 'graphql';
import { buildSchema } from '../../service/src/schema';
import { SharingAnalysis } from '../../service/src/transport/ws/shared/analysis';
import { exceedsDepth, MAX_VARIABLES_DEPTH, variablesDepthError } from '../../service/src/transport/ws/variables';

/** `levels` nested objects (or arrays), built without recursion. */
function nested(levels: number, kind: 'object' | 'array' = 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

describe('exceedsDepth', () => {
  test.each(['object', 'array'] as const)('%s nesting: exactly max fits, one more does not', (kind) => {
    expect(exceedsDepth(nested(5, kind), 5)).toBe(false);
    expect(exceedsDepth(nested(6, kind), 5)).toBe(true);
  });

  test('scalars and null have no depth; a wide but shallow value fits', () => {
    expect(exceedsDepth(null, 0)).toBe(false);
    expect(exceedsDepth('text', 0)).toBe(false);
    expect(exceedsDepth({ a: 1 }, 0)).toBe(true);
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, { v: [i] }]));
    expect(exceedsDepth(wide, 3)).toBe(false);
    expect(exceedsDepth(wide, 2)).toBe(true);
  });

  test('the deepest branch counts, wherever it is', () => {
    expect(exceedsDepth({ a: 1, b: [1, 2, { c: { d: 1 } }], e: null }, 3)).toBe(true);
    expect(exceedsDepth({ a: 1, b: [1, 2, { c: { d: 1 } }], e: null }, 4)).toBe(false);
  });

  test('a million levels: an answer, not a stack overflow', () => {
    expect(exceedsDepth(nested(1_000_000), MAX_VARIABLES_DEPTH)).toBe(true);
  });
});

test('variablesDepthError names the limit and is a user-input error', () => {
  expect(variablesDepthError({ room: 'a', deep: nested(MAX_VARIABLES_DEPTH - 1) })).toBeUndefined();
  const error = variablesDepthError({ room: 'a', deep: nested(MAX_VARIABLES_DEPTH) });
  expect(error?.message).toBe(`Variables are nested more than ${MAX_VARIABLES_DEPTH} levels deep`);
  expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
});

test('the shared-subscription key refuses variables nested too deep (instead of overflowing the stack)', () => {
  const query = 'subscription ($room: String!) { messagePosted(room: $room) { id } }';
  const analysis = new SharingAnalysis(buildSchema());
  const keyOf = (variables: Record<string, unknown>) => analysis.keyOf(parse(query), { query, variables }, null);
  expect(keyOf({ room: 'a', deep: nested(MAX_VARIABLES_DEPTH - 1) })).toEqual(expect.any(String));
  expect(() => keyOf({ room: 'a', deep: nested(100_000) })).toThrow(`more than ${MAX_VARIABLES_DEPTH} levels deep`);
});
