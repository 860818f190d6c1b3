/**
 * The test setup formats cdktf's token creation stacks when they are read, not when a token is created
 * (__tests__/stack-traces.ts). What cdktf's error messages print from them must not change.
 */
import { Lazy, TerraformOutput, TerraformStack, Testing } from 'cdktf';

import { testApp } from './helpers';

function createdHere(): string[] {
  return (Lazy.anyValue({ produce: () => 1 }) as unknown as { creationStack: string[] }).creationStack;
}

test('a token records where it was created, innermost frame first, as cdktf formats it', () => {
  const frames = createdHere();
  expect(Array.isArray(frames)).toBe(true);
  expect(frames.length).toBeGreaterThan(2);
  expect(frames.every((frame) => !/^\s*at /.test(frame))).toBe(true);
  // Below cdktf's Lazy, the first frame of ours is the function that created the token.
  const ours = frames.findIndex((frame) => frame.includes('token-stacks.test.ts'));
  expect(ours).toBeGreaterThan(0);
  expect(frames[ours]).toMatch(/^createdHere /);
  expect(frames.slice(0, ours).every((frame) => frame.includes('node_modules/cdktf/'))).toBe(true);
  expect(frames.join('\n')).toBe([...frames].join('\n'));
  expect(JSON.parse(JSON.stringify(frames))).toEqual([...frames]);
  frames.push('pushed');
  expect(frames.at(-1)).toBe('pushed');
});

test('the setup that formats the stacks when read is the one in use', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { captureStackTrace } = require('cdktf/lib/tokens/private/stack-trace') as { captureStackTrace: unknown };
  expect((captureStackTrace as { name: string }).name).toBe('captureLazily');
});

test("an unresolvable token's error prints where the token was created", () => {
  const stack = new TerraformStack(testApp(), 'stack');
  const failing = Lazy.anyValue({
    produce: () => {
      throw new Error('no value');
    },
  });
  new TerraformOutput(stack, 'out', { value: failing });
  expect(() => Testing.synth(stack)).toThrow(
    /Resolution error: no value\.\nObject creation stack:\n {2}at .*\n(.|\n)*token-stacks\.test\.ts/,
  );
});
