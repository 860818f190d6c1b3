/**
 * No Docker engine runs here, so the image is not built in the tests. This checks that service/Dockerfile
 * and the root .dockerignore agree with the contract the ECS task definition uses (CONTAINER, PATHS in
 * service/src/container-contract.ts) and with the rules of the issue: multi-stage, Node 20 slim, only the service's
 * production dependencies in the runtime stage, non-root user, exec-form command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER, PATHS } from '../../../service/src/container-contract';

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
  test('is multi-stage, every stage on Node 20 bookworm slim', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const image = arg('NODE_IMAGE');
    expect(image).toBe('node:20-bookworm-slim');
    for (const stage of all) {
      expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}|^node:20-bookworm-slim/);
    }
  });

  test('the runtime stage runs as CONTAINER.user (non-root)', () => {
    const users = find(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]?.args).toBe(CONTAINER.user);
    expect(CONTAINER.user.split(':')[0]).not.toBe('0');
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

  test('the health check probes PATHS.health on the container port', () => {
    const healthcheck = find(runtime, 'HEALTHCHECK')[0]?.args ?? '';
    expect(healthcheck).toContain(PATHS.health);
    expect(healthcheck).toContain(String(CONTAINER.port));
    expect(healthcheck).toMatch(/CMD \[/);
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
