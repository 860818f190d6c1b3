/**
 * A scratch Terraform root for offline plans: synthesized stacks as child directories (each planned as its
 * own root by the run blocks that name it), `terraform test` files beside them, one `terraform init`.
 * Every command but `init` runs with AWS unreachable: HTTP(S) proxies point at a closed loopback port, the
 * metadata service is off and no shared AWS config or credentials are read.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { offlineStack, type StackJson } from './stack-json';
import { renderTestFile, type TestFile } from './test-file';
import { installedAwsProvider, SharedProvider } from './shared-provider';
import { prepareToolchain, type Toolchain } from './toolchain';

export interface CommandResult {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /**
   * stdout as received, when the command ran here: `stdout` is decoded from it when first read, and
   * parseTestOutput reads it in place of `stdout`. Not enumerable: spreading or printing a result leaves it.
   */
  readonly stdoutBytes?: Buffer;
}

/** A result whose stdout is decoded only if read: `terraform test -verbose` prints hundreds of MB. */
function commandResult(args: readonly string[], code: number, stdoutBytes: Buffer, stderr: string): CommandResult {
  let stdout: string | undefined;
  return Object.defineProperties(
    { args, code, stderr },
    {
      stdoutBytes: { value: stdoutBytes, enumerable: false },
      stdout: { get: () => (stdout ??= stdoutBytes.toString('utf8')), enumerable: true },
    },
  ) as CommandResult;
}

/** `registry.terraform.io/hashicorp/aws` for `hashicorp/aws`, `aws` or the full address, as lock files name it. */
function providerAddress(source: string): string {
  const parts = source.toLowerCase().split('/');
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`;
  if (parts.length === 2) return `registry.terraform.io/${parts.join('/')}`;
  return parts.join('/');
}

/** A Terraform diagnostic as `-json` prints it. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail: string;
  readonly address?: string;
}

/** One entry of a plan's `resource_changes`. */
export interface ResourceChange {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly module_address?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    /** Attribute paths whose change forces replacement. */
    readonly replace_paths?: unknown;
  };
  readonly action_reason?: string;
}

export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly [key: string]: any;
}

export interface RunResult {
  readonly file: string;
  readonly run: string;
  /** pass | fail | error | skip, as Terraform reports it. */
  readonly status: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The plan of a `command = plan` run (with -verbose). */
  readonly plan?: PlanJson;
}

export interface TestReport {
  readonly command: CommandResult;
  /** Runs by `<file>/<run>`, e.g. `tests/staging.tftest.hcl/plan`. */
  readonly runs: ReadonlyMap<string, RunResult>;
  /** Diagnostics not tied to a run (configuration errors of a test file). */
  readonly diagnostics: readonly Diagnostic[];
  /** Terraform's closing line: "Success! 3 passed, 0 failed." */
  readonly summary: string;
}

/** A loopback port nothing listens on once this returns: the OS picks a free one, which is closed again. */
function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no loopback port assigned'))));
    });
  });
}

/** Counts of a plan by action, as `terraform plan` prints them. */
export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

export function planCounts(plan: PlanJson): PlanCounts {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    if (a.includes('create')) add++;
    if (a.includes('delete')) destroy++;
    if (a.includes('update')) change++;
  }
  return { add, change, destroy };
}

/** Resource changes that delete a live resource before its replacement exists (`-/+`). */
export function deleteFirstReplacements(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((rc) => rc.change.actions.join(',') === 'delete,create');
}

/** Diagnostics as Terraform words them: "Error: summary: detail (address)". */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map(
      (d) =>
        `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}${d.detail ? `: ${d.detail}` : ''}${d.address ? ` (${d.address})` : ''}`,
    )
    .join('\n');
}

/** The log subsystems of the provider SDKs (terraform-plugin-log), each set by its own variable. */
const PROVIDER_SDK_LOGS = [
  'TF_LOG_SDK',
  'TF_LOG_SDK_PROTO',
  'TF_LOG_SDK_MUX',
  'TF_LOG_SDK_FRAMEWORK',
  'TF_LOG_SDK_HELPER_SCHEMA',
] as const;

/**
 * The variables that turn the provider SDKs' logs off, unless `env` asks for logs (sets TF_LOG or a level of
 * its own, TF_LOG_*; TF_LOG_PATH is not one): then none. A provider logs every gRPC call at TRACE whatever
 * Terraform's level, for Terraform to filter: about 1.7 MB of JSON lines per run of hashicorp/aws, a tenth
 * of the provider's CPU time, and Terraform parses them again when it started the provider.
 */
export function quietProviderLogs(env: NodeJS.ProcessEnv): Record<string, string> {
  const asked = (key: string) => key === 'TF_LOG' || (key.startsWith('TF_LOG_') && !key.startsWith('TF_LOG_PATH'));
  if (Object.keys(env).some(asked)) return {};
  return Object.fromEntries(PROVIDER_SDK_LOGS.map((key) => [key, 'OFF']));
}

export interface WorkspaceOptions {
  /** Directory to use (created); default: a new temporary directory, removed by dispose(). */
  readonly dir?: string;
  /** The hashicorp/aws version the stacks pin: used when the provider comes from the registry. */
  readonly pinnedVersion: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Limit of one terraform command, in ms. @default 300000 */
  readonly timeoutMs?: number;
  /**
   * Run one hashicorp/aws provider process for every command after `init` (see shared-provider.ts): about
   * 40% less CPU. Commands must then run one at a time (run() refuses one that overlaps), and a provider
   * that failed to start fails every later command. Stacks with an aliased aws provider turn it off.
   * @default false
   */
  readonly shareProvider?: boolean;
}

export class OfflineWorkspace {
  /** Finds the toolchain (throws ToolchainUnavailable) and makes the workspace directory. */
  static async create(options: WorkspaceOptions): Promise<OfflineWorkspace> {
    const owned = options.dir === undefined;
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'offline-plan-'));
    fs.mkdirSync(dir, { recursive: true });
    const env = options.env ?? process.env;
    const toolchain = prepareToolchain(path.join(dir, '.cli'), options.pinnedVersion, env);
    // Nothing listens there once freePort has closed it: connections through the proxy are refused.
    const closedPort = await closedLoopbackPort();
    const workspace = new OfflineWorkspace(dir, owned, toolchain, env, closedPort, options.timeoutMs ?? 300_000);
    workspace.shareProvider = options.shareProvider ?? false;
    return workspace;
  }

  private shareProvider = false;
  /** Providers the stacks require (addresses of their `required_providers` sources). */
  private readonly providersRequired = new Set<string>();
  /** Providers the root's lock file holds after its last init; undefined before the first. */
  private providersInited?: ReadonlySet<string>;
  /** True once a command ran attached to the shared provider process. */
  providerShared = false;
  private sharedProvider?: Promise<SharedProvider | undefined>;
  private sharedBusy = false;

  private constructor(
    readonly dir: string,
    private readonly owned: boolean,
    readonly toolchain: Toolchain,
    private readonly baseEnv: NodeJS.ProcessEnv,
    private readonly closedPort: number,
    private readonly timeoutMs: number,
  ) {
    fs.writeFileSync(
      path.join(dir, 'main.tf.json'),
      `${JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: toolchain.provider.version } } } }, null, 2)}\n`,
    );
  }

  /**
   * Writes the stack for an offline plan (see offlineStack) to `stacks/<name>/cdk.tf.json` and returns the
   * module path run blocks use (`./stacks/<name>`).
   */
  addStack(name: string, stack: StackJson): string {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`stack directory name "${name}" is not [a-z0-9_-]+`);
    const dir = path.join(this.dir, 'stacks', name);
    fs.mkdirSync(dir, { recursive: true });
    const offline = offlineStack(stack, this.toolchain.provider.version);
    const awsProviders = (offline.provider as { aws?: unknown[] } | undefined)?.aws ?? [];
    if (awsProviders.length > 1) this.shareProvider = false;
    const required = (offline.terraform as { required_providers?: Record<string, { source?: string }> } | undefined)
      ?.required_providers;
    for (const [local, { source }] of Object.entries(required ?? {}))
      this.providersRequired.add(providerAddress(source ?? local));
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), `${JSON.stringify(offline, null, 2)}\n`);
    return `./stacks/${name}`;
  }

  /** Writes `tests/<name>.tftest.hcl`; returns its path relative to the workspace (as reports name it). */
  addTestFile(name: string, file: TestFile): string {
    const rel = path.join('tests', `${name}.tftest.hcl`);
    fs.mkdirSync(path.join(this.dir, 'tests'), { recursive: true });
    fs.writeFileSync(path.join(this.dir, rel), renderTestFile(file));
    return rel;
  }

  /** The environment of every command: our CLI config; for all but init, AWS unreachable. */
  private env(offline: boolean): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...this.baseEnv,
      TF_CLI_CONFIG_FILE: this.toolchain.cliConfigFile,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      // Terraform and the provider (it inherits the environment) build and decode the provider's schema, tens
      // of MB, at every start: collecting garbage half as often saves about a tenth of their CPU time for
      // some 50 MB more memory per process. A GOGC of the caller's own is kept.
      GOGC: this.baseEnv.GOGC ?? '200',
    };
    delete env.TF_PLUGIN_CACHE_DIR;
    Object.assign(env, quietProviderLogs(this.baseEnv));
    if (!offline) return env;
    for (const key of Object.keys(env)) {
      if (/^AWS_/.test(key) || /^(https?|all|no)_proxy$/i.test(key)) delete env[key];
    }
    const proxy = `http://127.0.0.1:${this.closedPort}`;
    return {
      ...env,
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      https_proxy: proxy,
      http_proxy: proxy,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
  }

  /** The shared provider, started at the first command that needs it; undefined when not shared. */
  private async provider(command: string | undefined): Promise<SharedProvider | undefined> {
    if (!this.shareProvider || ['init', 'get', 'fmt', 'version'].includes(command ?? '')) return undefined;
    // One that died (killed, crashed) is replaced rather than attached to.
    const current = await this.sharedProvider;
    if (current?.running) return current;
    const binary = installedAwsProvider(this.dir);
    if (binary === undefined) return undefined;
    // Always the offline environment: the commands that share it (all but init) run offline.
    this.sharedProvider = SharedProvider.start(binary, this.env(true), path.join(this.dir, '.provider-tmp'));
    return this.sharedProvider;
  }

  /** Runs terraform in `cwd` (relative to the workspace); never throws on a non-zero exit. */
  async run(args: readonly string[], options: { cwd?: string; offline?: boolean } = {}): Promise<CommandResult> {
    const cwd = path.join(this.dir, options.cwd ?? '.');
    const env = this.env(options.offline ?? true);
    const shared = await this.provider(args[0]);
    if (shared === undefined) return this.spawn(args, cwd, env);
    if (this.sharedBusy) throw new Error(`terraform ${args.join(' ')}: another command is using the shared provider`);
    this.sharedBusy = true;
    this.providerShared = true;
    try {
      return await this.spawn(args, cwd, { ...env, TF_REATTACH_PROVIDERS: shared.reattach });
    } finally {
      this.sharedBusy = false;
    }
  }

  private spawn(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.toolchain.terraform, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve(commandResult(args, code ?? (signal ? 128 : 1), Buffer.concat(stdout), stderr));
      });
    });
  }

  /**
   * `terraform init` of the workspace root (providers and the stack directories the tests name), or of a
   * stack directory. Once the root is inited, a later call there runs `terraform get`, which installs the
   * modules of new stacks and test files without checking the providers again (hashing the 700 MB provider
   * package, 0.6 s of CPU), unless a stack written to the workspace requires a provider that the lock file of
   * the last init does not list: then it runs init again.
   */
  async init(cwd = '.'): Promise<CommandResult> {
    const root = path.resolve(this.dir, cwd) === path.resolve(this.dir);
    if (root && this.providersInited !== undefined) {
      const inited = this.providersInited;
      if ([...this.providersRequired].every((p) => inited.has(p))) {
        const got = await this.run(['get', '-no-color']);
        if (got.code !== 0) throw new Error(`terraform get failed:\n${got.stderr || got.stdout}`);
        return got;
      }
    }
    const result = await this.run(['init', '-input=false', '-backend=false', '-no-color'], {
      cwd,
      // The registry is reachable only without the blocking proxy; a mirror needs no network at all.
      offline: this.toolchain.provider.kind === 'mirror',
    });
    if (result.code !== 0) throw new Error(`terraform init failed in ${cwd}:\n${result.stderr || result.stdout}`);
    if (root) {
      // What init installed: the providers of the modules the root and its test files name (not of every
      // stack written), as the lock file lists them.
      const lock = path.join(this.dir, '.terraform.lock.hcl');
      const locked = fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : '';
      this.providersInited = new Set([...locked.matchAll(/^provider "([^"]+)"/gm)].map((m) => m[1]!.toLowerCase()));
    }
    return result;
  }

  /** `terraform test` of the workspace (all files, or `files` only), parsed. */
  async test(files: readonly string[] = []): Promise<TestReport> {
    const args = ['test', '-json', '-verbose', '-no-color', ...files.map((f) => `-filter=${f}`)];
    const command = await this.run(args);
    return parseTestOutput(command);
  }

  /** `terraform plan` of one stack directory (inited here) saved and read back with `terraform show -json`. */
  async plan(stackDir: string, variables: Readonly<Record<string, string>> = {}): Promise<PlanJson> {
    await this.init(stackDir);
    const vars = Object.entries(variables).flatMap(([k, v]) => ['-var', `${k}=${v}`]);
    const plan = await this.run(['plan', '-input=false', '-no-color', '-out=offline.tfplan', ...vars], {
      cwd: stackDir,
    });
    if (plan.code !== 0) throw new Error(`terraform plan failed in ${stackDir}:\n${plan.stderr || plan.stdout}`);
    const show = await this.run(['show', '-json', 'offline.tfplan'], { cwd: stackDir });
    if (show.code !== 0) throw new Error(`terraform show failed in ${stackDir}:\n${show.stderr}`);
    return JSON.parse(show.stdout) as PlanJson;
  }

  /** Bytes of log the shared provider wrote (read and dropped); undefined when none was started. */
  async sharedProviderLogBytes(): Promise<number | undefined> {
    return (await this.sharedProvider)?.logBytes;
  }

  dispose(): void {
    void this.sharedProvider?.then((provider) => provider?.stop()).catch(() => undefined);
    if (this.owned) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scans the JSON text `json` from `from` to `to` (exclusive) and returns the nesting depth at `to` relative
 * to `from` (objects and arrays), or the index just after the value that brings it back to 0 when
 * `stopAtZero`. Bytes of UTF-8: no byte of a multi-byte character is a quote, backslash or bracket.
 */
function scan(json: Buffer, from: number, to: number, stopAtZero: boolean): { depth: number; end: number } {
  let depth = 0;
  let inString = false;
  let i = from;
  for (; i < to; i++) {
    const c = json[i]!;
    if (inString) {
      if (c === BACKSLASH)
        i++; // skip the escaped character
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0 && stopAtZero) return { depth, end: i + 1 };
  }
  return { depth, end: i };
}

/**
 * The last `"<key>":` member of a JSON text, if it sits `depth` objects deep (1: a member of the top-level
 * object) and its value is an object or an array: `rest` is the text without it (and one comma), `value`
 * the value's text. undefined otherwise. A name inside a string cannot match: its quotes are escaped there.
 * `known`: a value seen before; where the text holds the same bytes, it is taken without scanning them and
 * returned as `value` itself (any other value differs from it).
 */
export function spliceMember(
  json: Buffer,
  key: string,
  depth: number,
  known?: Buffer,
): { rest: Buffer; value: Buffer } | undefined {
  const name = Buffer.from(`"${key}":`);
  const start = json.lastIndexOf(name);
  if (start < 0 || scan(json, 0, start, false).depth !== depth) return undefined;
  const valueStart = start + name.length;
  if (json[valueStart] !== 0x7b && json[valueStart] !== 0x5b) return undefined;
  let end: number;
  let value: Buffer | undefined;
  // A balanced value is over where its brackets close: the same bytes close at the same place.
  if (known !== undefined && json.subarray(valueStart, valueStart + known.length).equals(known)) {
    end = valueStart + known.length;
    value = known;
  } else {
    const scanned = scan(json, valueStart, json.length, true);
    if (scanned.depth !== 0) return undefined;
    end = scanned.end;
  }
  let from = start;
  let to = end;
  if (json[to] === 0x2c) to++;
  else if (json[from - 1] === 0x2c) from--;
  const rest = Buffer.concat([json.subarray(0, from), json.subarray(to)]);
  return { rest, value: value ?? json.subarray(valueStart, end) };
}

/**
 * Parses `terraform test -json -verbose` output.
 *
 * With -verbose every plan and state message carries the whole schema of each provider (13.6 MB of JSON
 * for hashicorp/aws), the same in every run. It is read once per output: the plans and states of all runs
 * share that one object as their `provider_schemas`, and the output is decoded only outside them.
 */
export function parseTestOutput(command: CommandResult): TestReport {
  const runs = new Map<string, RunResult>();
  const diagnostics: Diagnostic[] = [];
  let summary = '';
  let schemasBytes: Buffer | undefined;
  let schemasParsed: unknown;
  /**
   * One line. Terraform writes the schemas last in the message's body (test_plan, test_state), two objects
   * deep. A line without them, or with a resource attribute of that name, is parsed whole.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const parseMessage = (line: Buffer): Record<string, any> => {
    const schemas = spliceMember(line, 'provider_schemas', 2, schemasBytes);
    if (schemas !== undefined) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const m = JSON.parse(schemas.rest.toString('utf8')) as Record<string, any>;
        const body: unknown = m[m.type as string];
        if (typeof body === 'object' && body !== null && !('provider_schemas' in body)) {
          if (schemas.value !== schemasBytes) {
            schemasParsed = JSON.parse(schemas.value.toString('utf8'));
            schemasBytes = schemas.value;
          }
          (body as Record<string, unknown>).provider_schemas = schemasParsed;
          return m;
        }
      } catch {
        // not where Terraform writes it: parsed whole below
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return JSON.parse(line.toString('utf8')) as Record<string, any>;
  };
  const key = (file: string, run: string) => `${file}/${run}`;
  const entry = (file: string, run: string): RunResult => {
    const found = runs.get(key(file, run));
    if (found) return found;
    const fresh: RunResult = { file, run, status: 'unknown', diagnostics: [] };
    runs.set(key(file, run), fresh);
    return fresh;
  };
  const out = command.stdoutBytes ?? Buffer.from(command.stdout);
  for (let at = 0; at < out.length;) {
    const newline = out.indexOf(0x0a, at);
    const line = out.subarray(at, newline < 0 ? out.length : newline);
    at = newline < 0 ? out.length : newline + 1;
    if (line[0] !== 0x7b) continue;
    const m = parseMessage(line);
    const file = m['@testfile'] as string | undefined;
    const run = m['@testrun'] as string | undefined;
    if (m.type === 'test_summary') summary = m['@message'] as string;
    if (m.type === 'diagnostic') {
      if (file !== undefined && run !== undefined) (entry(file, run).diagnostics as Diagnostic[]).push(m.diagnostic);
      else diagnostics.push(m.diagnostic as Diagnostic);
    }
    if (file === undefined || run === undefined) continue;
    if (m.type === 'test_run' && m.test_run.progress === 'complete') {
      runs.set(key(file, run), { ...entry(file, run), status: m.test_run.status as string });
    }
    if (m.type === 'test_plan') runs.set(key(file, run), { ...entry(file, run), plan: m.test_plan as PlanJson });
  }
  return { command, runs, diagnostics, summary };
}
