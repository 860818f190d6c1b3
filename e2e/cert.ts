/**
 * A self-signed certificate made at run time with openssl, for nginx's TLS listener. Nothing secret is
 * committed; clients trust exactly this certificate (passed as `ca`), so TLS is really verified.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCertificate {
  readonly certificatePath: string;
  readonly keyPath: string;
  /** PEM text of the certificate, to pass as `ca` to Node TLS clients. */
  readonly certificatePem: string;
}

/**
 * Writes `cert.pem` and `key.pem` into `dir` (an existing directory): an EC P-256 key (fast to make) and
 * a one-day certificate for localhost / 127.0.0.1.
 */
export async function generateSelfSignedCertificate(dir: string, openssl = 'openssl'): Promise<SelfSignedCertificate> {
  const certificatePath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    await run(
      openssl,
      [
        'req',
        '-x509',
        '-nodes',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-keyout',
        keyPath,
        '-out',
        certificatePath,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { timeout: 15_000 },
    );
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `generateSelfSignedCertificate: openssl failed (is it installed? run \`npm run setup\`): ${detail}`,
      { cause: err },
    );
  }
  return { certificatePath, keyPath, certificatePem: await readFile(certificatePath, 'utf8') };
}
