/**
 * cdktf records the call stack of every token it creates, as an array of frames, for the few error
 * messages that print it. Formatting those stacks, each frame mapped through source maps under Jest, was
 * half the CPU time of the construct tests (unit project: 31-34 s against 16-18 s). Here the stack is still
 * captured at creation, as cdktf does, and formatted the first time the array is read: the same frames,
 * for the same messages, at the cost of a stack walk.
 *
 * Loads only cdktf's stack-trace module, not cdktf, so test files that never synthesize pay nothing.
 */
type Below = (...args: never[]) => unknown;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackTrace = require('cdktf/lib/tokens/private/stack-trace') as {
  captureStackTrace: (below?: Below) => string[];
};

stackTrace.captureStackTrace = function captureLazily(below?: Below): string[] {
  const captured: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
  try {
    Error.captureStackTrace(captured, below ?? captureLazily);
  } finally {
    Error.stackTraceLimit = limit;
  }
  // cdktf's own format: the lines after the first, without "at ". Filled into `frames` on first use, after
  // which the proxy is that array (console.log of an unread one shows []).
  const frames: string[] = [];
  let filled = false;
  const read = (): string[] => {
    if (!filled) {
      filled = true;
      for (const line of (captured.stack ?? '').split('\n').slice(1)) frames.push(line.replace(/^\s*at\s+/, ''));
    }
    return frames;
  };
  return new Proxy(frames, {
    get: (_target, key) => Reflect.get(read(), key),
    set: (_target, key, value) => Reflect.set(read(), key, value),
    has: (_target, key) => Reflect.has(read(), key),
    ownKeys: () => Reflect.ownKeys(read()),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(read(), key),
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(read(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(read(), key),
  });
};
