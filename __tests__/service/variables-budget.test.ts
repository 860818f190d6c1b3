/**
 * Memory per WebSocket is bounded: the variables of one operation and the total over a socket's running
 * operations have budgets (MAX_VARIABLES_BYTES_PER_OPERATION, MAX_VARIABLES_BYTES_PER_SOCKET). An
 * operation over either gets a VARIABLES_TOO_LARGE error naming the limit; the socket stays open, and a
 * completed operation gives its share back. The defaults fit MAX_CONNECTIONS sockets in the task memory.
 */
import { MEMORY_BUDGET, maxConnectionsForMemory, socketBudgetBytes } from '../../service/src/container-contract';
import { DEFAULT_LIMITS } from '../../service/src/config';
import { startTestApp, type TestApp } from '../../testkit/app';
import { initializedSocket, MESSAGE_POSTED, postMessage, type RawSocket } from '../../testkit/clients';
import { sleep } from '../../testkit/wait';

const subscribe = (socket: RawSocket, id: string, padBytes: number) =>
  socket.send({
    id,
    type: 'subscribe',
    // `pad` is not used by the operation: graphql-js accepts it and the service would hold it all the same.
    payload: { query: MESSAGE_POSTED, variables: { room: `budget-${id}`, pad: 'x'.repeat(padBytes) } },
  });

type GraphQLErrorJson = { message: string; extensions?: { code?: string; limit?: number } };

/**
 * The errors refusing operation `id`: an `error` message when refused before it started, or a `next` with
 * errors (then `complete`) when refused as it was added to the socket's running operations.
 */
const isRefusalOf = (id: string) => (m: Record<string, unknown>) =>
  m.id === id &&
  (m.type === 'error' || (m.type === 'next' && (m.payload as { errors?: unknown }).errors !== undefined));

const errorOf = async (socket: RawSocket, id: string): Promise<{ payload: GraphQLErrorJson[] }> => {
  const message = await socket.waitForMessage(isRefusalOf(id));
  return {
    payload:
      message.type === 'error'
        ? (message.payload as GraphQLErrorJson[])
        : (message.payload as { errors: GraphQLErrorJson[] }).errors,
  };
};

describe('variables budget', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { LOG_LEVEL: 'warn', MAX_VARIABLES_BYTES_PER_OPERATION: '1024', MAX_VARIABLES_BYTES_PER_SOCKET: '4096' },
    });
  });
  afterAll(() => t.stop());

  test('an operation over the per-operation budget is refused with a clear error; the socket stays', async () => {
    const socket = await initializedSocket(t.wsUrl);
    subscribe(socket, 'big', 2_000);
    const { payload } = await errorOf(socket, 'big');
    expect(payload[0]?.extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', limit: 1024 });
    expect(payload[0]?.message).toMatch(/at most 1024 bytes \(MAX_VARIABLES_BYTES_PER_OPERATION\)/);
    // Still usable.
    socket.send({ id: 'q', type: 'subscribe', payload: { query: '{ serverInfo { version } }' } });
    await socket.waitForMessage((m) => m.id === 'q' && m.type === 'next');
    socket.close();
  });

  test('the per-socket total is enforced across running operations and freed when one completes', async () => {
    const socket = await initializedSocket(t.wsUrl);
    // About 950 bytes of variables each: four fit in 4096, the fifth does not.
    for (const id of ['a', 'b', 'c', 'd']) subscribe(socket, id, 900);
    subscribe(socket, 'e', 900);
    const { payload } = await errorOf(socket, 'e');
    expect(payload[0]?.extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', limit: 4096 });
    expect(payload[0]?.message).toMatch(/MAX_VARIABLES_BYTES_PER_SOCKET/);
    const refused = socket.messages.filter((m) => m.type === 'error' || (m.type === 'next' && m.id !== 'q'));
    expect(refused.map((m) => m.id)).toEqual(['e']);

    socket.send({ id: 'a', type: 'complete' });
    // Once `a` has returned, its share is back: the same subscription fits.
    let accepted: string | undefined;
    for (let attempt = 0; attempt < 20 && accepted === undefined; attempt++) {
      const id = `f${attempt}`;
      subscribe(socket, id, 900);
      // Refused within 200 ms or accepted. (Not a race against errorOf: its polling would outlive the test,
      // keeping the jest worker from exiting.)
      await sleep(200);
      if (!socket.messages.some(isRefusalOf(id))) accepted = id;
    }
    expect(accepted).toBeDefined();
    // Not refused is not enough (a dropped operation or a closed socket is silent too): it delivers.
    await postMessage(t.graphqlUrl, `budget-${accepted}`, 'fits again');
    const next = await socket.waitForMessage((m) => m.id === accepted && m.type === 'next');
    expect(next.payload).toMatchObject({ data: { messagePosted: { text: 'fits again' } } });
    expect(next.payload).not.toHaveProperty('errors');
    expect(t.app.counters().variablesRefused).toBeGreaterThanOrEqual(2);
    socket.close();
  });
});

describe('variables budget defaults', () => {
  test('a 60 KB-variables subscription (fits in one frame) is refused by default', async () => {
    const t: TestApp = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
    try {
      const socket = await initializedSocket(t.wsUrl);
      subscribe(socket, 'huge', 60_000);
      const { payload } = await errorOf(socket, 'huge');
      expect(payload[0]?.extensions?.code).toBe('VARIABLES_TOO_LARGE');
      socket.close();
    } finally {
      await t.stop();
    }
  });

  test('MAX_CONNECTIONS sockets at their default limits fit in a 1024 MiB task (the arithmetic of docs/security.md)', () => {
    const perSocket = socketBudgetBytes(DEFAULT_LIMITS.maxVariablesBytesPerSocket);
    expect(perSocket).toBe(16 * 1024 + 3 * 16 * 1024);
    const needMiB = (DEFAULT_LIMITS.maxConnections * perSocket) / 1024 / 1024 + MEMORY_BUDGET.reserveMiB;
    expect(needMiB).toBeLessThanOrEqual(1024);
    expect(maxConnectionsForMemory(1024)).toBe(12_288);
    expect(maxConnectionsForMemory(512)).toBe(4_096);
    expect(maxConnectionsForMemory(120 * 1024)).toBe(MEMORY_BUDGET.maxConnectionsCeiling);
  });
});
