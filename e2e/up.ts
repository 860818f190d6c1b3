/**
 * `npm run e2e:up`: the e2e stack for a person to poke at: redis-server, two service instances and
 * nginx as the ALB (TLS, 301 listener, idle timeout), plus the browser page. Prints the URLs, stays up
 * until Ctrl-C or the time limit, then stops everything.
 *
 *   npm run e2e:up              # 10 minutes
 *   npm run e2e:up -- --minutes 30
 */
import { MESSAGE_POSTED, startStack } from './stack';

function parseMinutes(argv: readonly string[]): number {
  const i = argv.indexOf('--minutes');
  if (i === -1) return 10;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0 || value > 240) {
    throw new Error(`e2e:up: '--minutes' must be a number in (0, 240] (got ${argv[i + 1] ?? 'nothing'})`);
  }
  return value;
}

async function main(): Promise<void> {
  const minutes = parseMinutes(process.argv.slice(2));
  const stack = await startStack({
    page: {
      graphqlPath: '/graphql',
      subscription: { query: MESSAGE_POSTED, variables: { room: 'lobby' } },
      display: { text: ['messagePosted', 'text'], detail: ['messagePosted', 'sentAt'] },
    },
  });
  const cert = stack.proxy.certificate.certificatePath;
  const t = stack.timing;
  process.stdout.write(
    [
      'e2e stack up (nginx as the ALB in front of two instances and Redis)',
      `  page (room "lobby")   ${stack.pageUrl}`,
      `  GraphQL over https    ${stack.graphqlUrl}`,
      `  GraphQL over wss      ${stack.wsUrl}`,
      `  redirect listener     ${stack.proxy.httpOrigin} (301 to https)`,
      ...stack.instances.map((i) => `  instance ${i.index}            ${i.url} (${i.instanceId})`),
      `  redis                 ${stack.redis.url}`,
      `  certificate           ${cert}`,
      `  timing                idle ${t.idleTimeoutSeconds} s, keepalive ${t.keepaliveIntervalSeconds} s, drain window ${t.drainWindowSeconds} s`,
      '',
      'post a message:',
      `  curl --cacert ${cert} ${stack.graphqlUrl} -H 'content-type: application/json' \\`,
      `    -d '{"query":"mutation { postMessage(room: \\"lobby\\", text: \\"hi\\") { id } }"}'`,
      `drain instance 0 as ECS would:  kill -TERM ${stack.instances[0]?.process.child.pid}`,
      '',
      `stops after ${minutes} min or on Ctrl-C`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`stopping (${why})\n`);
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  setTimeout(() => void stop(`${minutes} min elapsed`), minutes * 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`e2e:up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
