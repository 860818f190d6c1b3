/**
 * Builds service/Dockerfile, unchanged, from the repository root: with docker on the real base images, with
 * podman on the local stand-ins (base-image.ts) passed as the NODE_IMAGE and RUNTIME_IMAGE build args.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureBaseImages } from './base-image';
import type { Engine } from './engine';

const REPO_ROOT = join(__dirname, '..', '..');

export interface ServiceImage {
  readonly tag: string;
  /** The build command as run (also printed). */
  readonly command: string;
  readonly sizeBytes: number;
  readonly baseBuilt: boolean;
}

/** One tag per checkout, so checkouts building at once on one machine do not retag each other's image. */
export const SERVICE_IMAGE_TAG = `ws-graphql-service:test-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8)}`;

export async function buildServiceImage(engine: Engine, log: (line: string) => void): Promise<ServiceImage> {
  const args = ['build', '-f', 'service/Dockerfile', '-t', SERVICE_IMAGE_TAG];
  let baseBuilt = false;
  if (engine.name === 'podman') {
    const base = await ensureBaseImages(engine, log);
    baseBuilt = base.built;
    // docker format keeps HEALTHCHECK (OCI image config has no field for it); RUN steps reach the npm
    // registry through the host's network.
    args.push('--format', 'docker', '--network', 'host');
    args.push('--build-arg', `NODE_IMAGE=${base.nodeImage}`, '--build-arg', `RUNTIME_IMAGE=${base.runtimeImage}`);
  }
  args.push('.');
  const command = engine.describe(args);
  log(command);
  await engine.run(args, { cwd: REPO_ROOT, timeoutMs: 15 * 60_000 });
  const size = await engine.run(['image', 'inspect', '--format', '{{.Size}}', SERVICE_IMAGE_TAG]);
  return { tag: SERVICE_IMAGE_TAG, command, sizeBytes: Number(size.trim()), baseBuilt };
}
