/**
 * A child process that dies with its parent. Exit hooks do not cover a parent that is killed (SIGKILL, a
 * crashed Jest worker), nor code that Jest runs in a test sandbox, whose `process` never emits 'exit'. On
 * Linux util-linux's setpriv sets a parent-death signal; elsewhere the command runs as it is, and only an
 * explicit stop ends it.
 */
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

/** `[command, args]` to spawn so that the child is SIGKILLed when the spawning process dies. */
export function killedWithParent(command: string, args: readonly string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
}
