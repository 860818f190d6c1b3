/**
 * Last line of defence against leaked children: every process the harness starts is registered here and
 * SIGKILLed when the Node process exits (normally, on an uncaught error, or on SIGINT/SIGTERM), in case a
 * test or the CLI died before its own cleanup ran.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const live = new Set<ChildProcess>();
/** Temp dirs of the live children, removed with them. */
const dirs = new Map<ChildProcess, string>();
let installed = false;

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  // Also the dirs of children that already exited on their own but were never stopped by their owner.
  if (process.env.E2E_KEEP !== '1') for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  live.clear();
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Someone else handles the signal (e2e:up stops the stack cleanly): leave it to them.
      if (process.listenerCount(signal) > 0) return;
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/**
 * Registers a child for SIGKILL at exit (and its temp dir, if given, for removal); returns the function
 * that unregisters it.
 */
export function killOnExit(child: ChildProcess, dir?: string): () => void {
  install();
  live.add(child);
  if (dir !== undefined) dirs.set(child, dir);
  const forget = () => {
    live.delete(child);
    dirs.delete(child);
  };
  child.once('exit', () => live.delete(child));
  return forget;
}
