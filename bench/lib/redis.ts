/** A throwaway redis-server on a free loopback port for the fan-out run with Redis pub/sub. */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { freePort, spawnTracked, stopChild } from './children';

const SETPRIV = '/usr/bin/setpriv';

export interface RedisHandle {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startRedis(maxMs: number): Promise<RedisHandle> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    // No persistence: nothing is written to disk. On Linux, setpriv (util-linux) sets a parent-death
    // signal, so redis goes away even if the bench is killed with SIGKILL and its exit hooks never run.
    const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
    const [command, args] = fs.existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', 'redis-server', ...redisArgs]]
      : ['redis-server', redisArgs];
    child = spawnTracked(
      'redis-server',
      command,
      args,
      { stdio: ['ignore', 'pipe', 'pipe'], maxMs },
    );
  } catch (error) {
    throw new Error(`could not start redis-server (install it with \`npm run setup\`): ${String(error)}`);
  }
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server not ready within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start redis-server (install it with \`npm run setup\`): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
}
