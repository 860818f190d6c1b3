/**
 * The default app as users run it: `npm run synth` (main.ts) and `cdktf synth` write
 * cdktf.out/stacks/<environment>/cdk.tf.json for every environment, byte-identical run after run, and
 * write nothing when the config is bad.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ENVIRONMENTS, STATE_BUCKET } from '../../config/environments';
import { synthesize } from '../../main';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'app-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

let n = 0;
const freshDir = () => path.join(scratch, `out${n++}`);

/** Every file under `dir`, relative path -> content. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
    }
  }
  return out;
}

describe('synthesize (main.ts)', () => {
  test('writes cdktf.out/stacks/<environment>/cdk.tf.json for every environment, and the manifest', () => {
    const outdir = freshDir();
    expect(synthesize(ENVIRONMENTS, outdir)).toEqual(Object.keys(ENVIRONMENTS));
    const files = Object.keys(readTree(outdir)).sort();
    expect(files).toEqual(
      ['manifest.json', ...Object.keys(ENVIRONMENTS).map((e) => path.join('stacks', e, 'cdk.tf.json'))].sort(),
    );
    for (const env of Object.keys(ENVIRONMENTS)) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', env, 'cdk.tf.json'), 'utf8'));
      expect(json.provider.aws[0].region).toBe(ENVIRONMENTS[env].region);
      expect(json.resource.aws_ecs_service).toBeDefined();
    }
  });

  test('with a state bucket: the state-bootstrap stack first, a local-state stack creating that bucket', () => {
    const outdir = freshDir();
    expect(synthesize(ENVIRONMENTS, outdir, STATE_BUCKET)).toEqual(['state-bootstrap', ...Object.keys(ENVIRONMENTS)]);
    const read = (stack: string) =>
      JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    const bootstrap = read('state-bootstrap');
    expect(bootstrap.terraform.backend).toEqual({ local: { path: '../../../terraform.state-bootstrap.tfstate' } });
    expect(Object.values(bootstrap.resource.aws_s3_bucket).map((b) => (b as { bucket: string }).bucket)).toEqual([
      STATE_BUCKET.bucketName,
    ]);
    // Every S3 backend of the default app keeps its state in the bucket the bootstrap stack creates.
    const s3 = Object.keys(ENVIRONMENTS)
      .map((env) => read(env).terraform.backend.s3)
      .filter(Boolean);
    expect(s3.length).toBeGreaterThan(0);
    for (const backend of s3) expect(backend).toMatchObject({ bucket: STATE_BUCKET.bucketName, use_lockfile: true });
  });

  test('an environment may not take the state-bootstrap stack name', () => {
    const outdir = freshDir();
    expect(() => synthesize({ 'state-bootstrap': ENVIRONMENTS.staging }, outdir, STATE_BUCKET)).toThrow(
      `app: 'environments' must not use "state-bootstrap", the stack that creates the state bucket (got "state-bootstrap")`,
    );
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('is deterministic: two runs give byte-identical files with no timestamps or absolute paths', () => {
    const first = freshDir();
    const second = freshDir();
    synthesize(ENVIRONMENTS, first);
    synthesize(ENVIRONMENTS, second);
    const a = readTree(first);
    const b = readTree(second);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const file of Object.keys(a)) expect(b[file]).toBe(a[file]);
    const all = Object.values(a).join('\n');
    expect(all).not.toContain(ROOT);
    expect(all).not.toContain(os.tmpdir() + path.sep);
    expect(all).not.toContain(scratch);
    expect(all).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  test('bad input in one environment: throws with the message and writes nothing at all', () => {
    const outdir = freshDir();
    const broken = {
      ...ENVIRONMENTS,
      broken: { ...ENVIRONMENTS.staging, name: 'ws-graphql-broken', timing: { stopTimeoutSeconds: 300 } },
    };
    expect(() => synthesize(broken, outdir)).toThrow(
      "broken/Service: timing: 'stopTimeoutSeconds' must be an integer in 2..120 (got 300)",
    );
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('bad input leaves the last good output untouched', () => {
    const outdir = freshDir();
    synthesize(ENVIRONMENTS, outdir);
    const before = readTree(outdir);
    const broken = { staging: { ...ENVIRONMENTS.staging, domainName: 'api.elsewhere.org' } };
    expect(() => synthesize(broken, outdir)).toThrow(/'domainName' must be "example\.com" or a name under it/);
    expect(readTree(outdir)).toEqual(before);
  });

  test('a rerun keeps what terraform init left in a stack directory', () => {
    const outdir = freshDir();
    synthesize(ENVIRONMENTS, outdir);
    const marker = path.join(outdir, 'stacks', 'staging', '.terraform', 'marker');
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.writeFileSync(marker, 'providers');
    synthesize(ENVIRONMENTS, outdir);
    expect(fs.readFileSync(marker, 'utf8')).toBe('providers');
  });

  test('environment names must be valid stack names', () => {
    const outdir = freshDir();
    expect(() => synthesize({ Prod: ENVIRONMENTS.production }, outdir)).toThrow(
      /'environments' keys must be 1\.\.32 lower-case letters/,
    );
    expect(() => synthesize({}, outdir)).toThrow(/must define at least one environment/);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});

describe('the commands users run', () => {
  test('the synth app rebuilds when a source changes and reuses its build otherwise', async () => {
    // A project of two files beside a copy of the launcher and its bundler, with this project's node_modules (for esbuild).
    const project = freshDir();
    fs.mkdirSync(path.join(project, 'scripts'), { recursive: true });
    for (const script of ['synth-app.cjs', 'cached-bundle.cjs']) {
      fs.copyFileSync(path.join(ROOT, 'scripts', script), path.join(project, 'scripts', script));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
    fs.writeFileSync(path.join(project, 'tsconfig.json'), '{}');
    fs.writeFileSync(path.join(project, 'package.json'), '{}');
    fs.writeFileSync(
      path.join(project, 'main.ts'),
      "import { v } from './lib';\nexport function main(): void { console.log(v); }\n",
    );
    const lib = path.join(project, 'lib.ts');
    const synthApp = async () =>
      (await run(process.execPath, ['scripts/synth-app.cjs'], { cwd: project, timeout: 60_000 })).stdout.trim();
    fs.writeFileSync(lib, 'export const v: number = 1;\n');
    expect(await synthApp()).toBe('1');
    fs.writeFileSync(lib, 'export const v: number = 22;\n');
    expect(await synthApp()).toBe('22');
    const cache = path.join(ROOT, 'node_modules', '.cache', 'ws-graphql-aws');
    const builds = () =>
      fs
        .readdirSync(cache)
        .filter((f) => f.endsWith('.cjs'))
        .map((f) => `${f}:${fs.statSync(path.join(cache, f)).mtimeMs}`)
        .sort();
    const before = builds();
    expect(await synthApp()).toBe('22');
    expect(builds()).toEqual(before);
    const id = createHash('sha256').update(project).digest('hex').slice(0, 12);
    for (const f of fs.readdirSync(cache)) if (f.includes(id)) fs.rmSync(path.join(cache, f));
  });

  test('a build whose sources changed while it ran is used, not recorded as up to date', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { cachedBundle } = require('../../scripts/cached-bundle.cjs') as {
      cachedBundle(o: { root: string; entry: string; name: string; settings: string[] }): string;
    };
    const project = freshDir();
    fs.mkdirSync(project, { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
    const entry = path.join(project, 'main.ts');
    const bundle = () => cachedBundle({ root: project, entry, name: 'race', settings: [] });
    const recorded = (file: string) => fs.existsSync(file.replace(/\.cjs$/, '.inputs.json'));
    fs.writeFileSync(entry, 'export const v: number = 1;\n');
    // A source whose time is after the build started, as when saved while esbuild read it.
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(entry, later, later);
    const first = bundle();
    expect(fs.readFileSync(first, 'utf8')).toContain('v = 1');
    expect(recorded(first)).toBe(false);
    const earlier = new Date(Date.now() - 60_000);
    fs.utimesSync(entry, earlier, earlier);
    expect(recorded(bundle())).toBe(true);
    for (const f of [first, first.replace(/\.cjs$/, '.inputs.json')]) fs.rmSync(f);
  });

  test('`npm run synth` and `cdktf synth` produce the same bytes as synthesize()', async () => {
    const expected = freshDir();
    synthesize(ENVIRONMENTS, expected);
    const viaMain = freshDir();
    const viaCli = freshDir();
    const env = { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1' };
    // The cdktf.json app is what `cdktf synth` runs; `npm run synth` must run the same command.
    const app = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.synth).toBe(app);
    const [command, ...args] = app.split(/\s+/);
    const main = await run(command, args, {
      cwd: ROOT,
      env: { ...env, CDKTF_OUTDIR: viaMain },
      timeout: 60_000,
    });
    expect(main.stdout.trim().split('\n')).toEqual(
      ['state-bootstrap', ...Object.keys(ENVIRONMENTS)].map((e) => path.join(viaMain, 'stacks', e, 'cdk.tf.json')),
    );
    await run(path.join(ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', viaCli], {
      cwd: ROOT,
      env,
      timeout: 90_000,
    });
    const want = readTree(expected);
    for (const dir of [viaMain, viaCli]) {
      const got = readTree(dir);
      for (const env of Object.keys(ENVIRONMENTS)) {
        const file = path.join('stacks', env, 'cdk.tf.json');
        expect(got[file]).toBe(want[file]);
      }
    }
  }, 120_000);
});
