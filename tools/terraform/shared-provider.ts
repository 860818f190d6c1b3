/**
 * One hashicorp/aws provider process for all the commands of a workspace. Terraform otherwise starts the
 * provider two or three times per run of `terraform test` (its schema, validation, the plan itself), and
 * each start of this 700 MB binary costs about 0.3 s of CPU. Shared, the four Terraform suites take about
 * 40% less CPU (100 s against 58 s, measured side by side).
 *
 * The provider runs in its debug mode (`-debug`), in which it serves until stopped and prints the address
 * Terraform attaches to through TF_REATTACH_PROVIDERS, the mechanism Terraform offers for debugging
 * providers. Plans made this way are the same as with Terraform's own provider processes
 * (__tests__/terraform/offline-plan.test.ts compares them on the staging stack). Terraform configures the
 * attached provider at each operation, so commands must run one at a time, and a configuration with two aws
 * provider blocks (an alias) must not use it: both would configure the one process. The workspace checks
 * the stacks it writes (addStack); a configuration written by other means is the caller's to check.
 *
 * The provider serves on a Unix socket in its temporary directory, set to `tmpDir` (the workspace's), so
 * none is left behind in /tmp when it is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killedWithParent } from '../killed-with-parent';

/** The hashicorp/aws binary `terraform init` installed in `<root>/.terraform`, if any. */
export function installedAwsProvider(root: string): string | undefined {
  const base = path.join(root, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'aws');
  if (!fs.existsSync(base)) return undefined;
  for (const version of fs.readdirSync(base)) {
    for (const platform of fs.readdirSync(path.join(base, version))) {
      const dir = path.join(base, version, platform);
      const binary = fs.readdirSync(dir).find((f) => f.startsWith('terraform-provider-aws'));
      if (binary !== undefined) return path.join(dir, binary);
    }
  }
  return undefined;
}

export class SharedProvider {
  /** Starts `binary -debug` with `env` (the provider reads its settings from it, as under Terraform). */
  static start(binary: string, env: NodeJS.ProcessEnv, tmpDir: string, timeoutMs = 30_000): Promise<SharedProvider> {
    fs.mkdirSync(tmpDir, { recursive: true });
    const [command, args] = killedWithParent(binary, ['-debug']);
    const child = spawn(command, args, { env: { ...env, TMPDIR: tmpDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let output = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`the shared aws provider did not start (${why}):\n${output}`));
      };
      const timer = setTimeout(() => fail(`no address in ${timeoutMs} ms`), timeoutMs);
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const reattach = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output)?.[1];
        if (reattach === undefined) return;
        clearTimeout(timer);
        child.stdout?.off('data', collect);
        child.stderr?.off('data', collect);
        child.off('exit', exited);
        const provider = new SharedProvider(child, reattach);
        // Its log keeps coming: read and dropped (counted), so the pipes never fill.
        const drop = (chunk: Buffer) => (provider.droppedBytes += chunk.length);
        child.stdout?.on('data', drop);
        child.stderr?.on('data', drop);
        resolve(provider);
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited with ${code ?? signal}`);
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.once('error', (error) => fail(error.message));
      child.once('exit', exited);
    });
  }

  private droppedBytes = 0;

  private constructor(
    private readonly child: ChildProcess,
    /** The value of TF_REATTACH_PROVIDERS for the commands that use this process. */
    readonly reattach: string,
  ) {}

  /** Bytes the process wrote after its address (its log), read and dropped. */
  get logBytes(): number {
    return this.droppedBytes;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stop(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
