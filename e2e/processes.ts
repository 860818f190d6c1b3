/**
 * Last line of defence against leaked children: every process the harness starts is registered here and
 * SIGKILLed when the Node process exits (normally, on an uncaught error, or on SIGINT/SIGTERM), in case a
 * test or the CLI died before its own cleanup ran.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
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
  live.clear();
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

/** Registers a child for SIGKILL at exit; returns the function that unregisters it. */
export function killOnExit(child: ChildProcess): () => void {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return () => {
    live.delete(child);
  };
}
