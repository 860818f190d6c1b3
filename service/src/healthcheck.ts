/**
 * Container health probe: exits 0 when GET PATHS.health on this container's PORT answers 2xx within the
 * timeout, 1 otherwise. The image's HEALTHCHECK and the ECS task definition's health check both run it
 * (`node service/dist/healthcheck.js`), so they probe the same path and port as the target group. Plain
 * node, no shell or curl: the runtime image has neither.
 */
import { CONTAINER, ENV, PATHS } from './container-contract';

const TIMEOUT_MS = 2_500;

const port = process.env[ENV.port] ?? String(CONTAINER.port);
fetch(`http://127.0.0.1:${port}${PATHS.health}`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
