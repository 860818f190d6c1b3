/**
 * Reads service/Dockerfile and the root .dockerignore: they agree with the contract the ECS task definition
 * uses (CONTAINER, PATHS in service/src/container-contract.ts) and keep the image's rules: multi-stage, build
 * stages on a version-pinned Node 24 LTS slim image, a runtime stage with the node binary but no npm, only
 * the service's production dependencies, non-root user, exec-form command, the shared health probe.
 * __tests__/container/ builds and runs the image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER } from '../../../service/src/container-contract';

const ROOT = join(__dirname, '..', '..', '..');
const dockerfile = readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with line continuations joined and comments dropped, split into stages at FROM. */
function stages(text: string): Instruction[][] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: Instruction[][] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const all = stages(dockerfile);
const runtime = all.at(-1) ?? [];
const find = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);
const arg = (name: string) =>
  /ARG\s+(\S+)=(\S+)/.exec(dockerfile.split('\n').find((l) => l.startsWith(`ARG ${name}=`)) ?? '')?.[2];

describe('service/Dockerfile', () => {
  test('build stages on Node 24 LTS bookworm slim, pinned to a full version', () => {
    expect(arg('NODE_IMAGE')).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    const builders = all.slice(0, -1);
    expect(builders.length).toBeGreaterThanOrEqual(1);
    for (const stage of builders) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\} AS \w+$/);
  });

  test('the runtime stage is the same Debian release without npm: only the node binary is copied in', () => {
    expect(arg('RUNTIME_IMAGE')).toMatch(/^debian:bookworm(-\d+)?-slim$/);
    expect(runtime[0]?.args).toBe('${RUNTIME_IMAGE}');
    const fromBuildImage = find(runtime, 'COPY').filter((c) => c.args.includes('/usr/local/'));
    expect(fromBuildImage.map((c) => c.args)).toEqual(['--from=build /usr/local/bin/node /usr/local/bin/node']);
  });

  test('the runtime stage runs as CONTAINER.user (non-root)', () => {
    const users = find(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]?.args).toBe(CONTAINER.user);
    // Numeric uid:gid, neither 0: a name such as "root" or "node" could map to uid 0 in another base image.
    expect(CONTAINER.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  test('exposes and listens on CONTAINER.port', () => {
    expect(find(runtime, 'EXPOSE').map((i) => i.args)).toEqual([String(CONTAINER.port)]);
    expect(
      find(runtime, 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(new RegExp(`\\bPORT=${CONTAINER.port}\\b`));
    expect(
      find(runtime, 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/\bNODE_ENV=production\b/);
  });

  test('CMD is exec form and runs the compiled entry point', () => {
    const cmds = find(runtime, 'CMD');
    expect(cmds).toHaveLength(1);
    const argv = JSON.parse(cmds[0]?.args ?? '') as string[];
    expect(argv[0]).toBe('node');
    const servicePackage = JSON.parse(readFileSync(join(ROOT, 'service', 'package.json'), 'utf8')) as { main: string };
    expect(argv[1]).toBe(`service/${servicePackage.main}`);
    expect(find(runtime, 'ENTRYPOINT')).toHaveLength(0);
  });

  test('the health check runs CONTAINER.healthCheckCommand, the probe of PATHS.health on PORT', () => {
    const healthchecks = find(runtime, 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const json = /\bCMD (\[.*\])$/.exec(healthchecks[0]?.args ?? '')?.[1] ?? 'null';
    expect(JSON.parse(json)).toEqual(CONTAINER.healthCheckCommand);
    // The probe is compiled with the service: service/dist/healthcheck.js from service/src/healthcheck.ts.
    const script = CONTAINER.healthCheckCommand[1].replace(/^service\/dist\/(.*)\.js$/, 'service/src/$1.ts');
    const probe = readFileSync(join(ROOT, script), 'utf8');
    expect(probe).toMatch(/PATHS\.health/);
    expect(probe).toMatch(/ENV\.port\]\s*\?\?\s*String\(CONTAINER\.port\)/);
  });

  test('the runtime stage gets only the service workspace production dependencies and the compiled output', () => {
    const runs = all.flatMap((stage) => find(stage, 'RUN').map((i) => i.args));
    const installs = runs.filter((r) => /\bnpm (ci|install)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    // Every install is limited to the service workspace (never the root's CDKTF toolchain).
    for (const install of installs) expect(install).toMatch(/--workspace service\b/);
    expect(installs.some((i) => /--omit=dev/.test(i))).toBe(true);
    expect(find(runtime, 'RUN')).toHaveLength(0);
    for (const copy of find(runtime, 'COPY')) expect(copy.args).toMatch(/^--from=(deps|build) /);
  });

  test('the build stage compiles with the service workspace devDependencies', () => {
    const servicePackage = JSON.parse(readFileSync(join(ROOT, 'service', 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(Object.keys(servicePackage.devDependencies ?? {})).toEqual(
      expect.arrayContaining(['typescript', '@types/node']),
    );
    expect(servicePackage.scripts.build).toMatch(/tsc/);
  });
});

describe('.dockerignore (build context: the repository root)', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));

  test('is an allowlist: everything else (node_modules, .git, cdktf.out, tests) stays out', () => {
    expect(lines[0]).toBe('*');
    for (const path of allowed) {
      expect(path).not.toMatch(/node_modules|\.git|cdktf\.out|__tests__|\.env/);
    }
  });

  test('lets in every file the Dockerfile copies from the context, and those exist', () => {
    const fromContext = all
      .flatMap((stage) => find(stage, 'COPY'))
      .filter((copy) => !copy.args.startsWith('--from='))
      .flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const source of fromContext) {
      expect(allowed.some((a) => source === a || source.startsWith(`${a}/`))).toBe(true);
      expect(existsSync(join(ROOT, source))).toBe(true);
    }
  });
});
