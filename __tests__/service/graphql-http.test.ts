/**
 * GraphQL over HTTP compliance: graphql-http's server audits against the running service, one jest test
 * per audit. MUST audits are required by the spec; SHOULD and MAY audits also pass today and are held to it.
 */
import { serverAudits } from 'graphql-http';
import { startTestApp, type TestApp } from '../../testkit/app';

let t: TestApp | undefined;
let started: Promise<TestApp> | undefined;
const app = () => (started ??= startTestApp({ env: { LOG_LEVEL: 'error' } }).then((a) => (t = a)));

const audits = serverAudits({ url: async () => (await app()).graphqlUrl, fetchFn: fetch });

afterAll(async () => {
  await t?.stop();
});

test('the audit list covers the MUST requirements', () => {
  expect(audits.filter((a) => a.name.startsWith('MUST')).length).toBeGreaterThan(10);
});

test.each(audits.map((audit) => [`${audit.id} ${audit.name}`, audit] as const))('%s', async (_title, audit) => {
  const result = await audit.fn();
  expect({ status: result.status, reason: result.status === 'ok' ? undefined : result.reason }).toEqual({
    status: 'ok',
    reason: undefined,
  });
});
