/**
 * Authentication hook: a pluggable token verifier, the JWT one built on `jose`, and where tokens come from
 * (HTTP `Authorization: Bearer`, or `connectionParams.authorization` / `connectionParams.token` on the
 * WebSocket `connection_init`). Anonymous access exists only when no verifier is configured.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { JwtConfig } from './config';

/** Who is calling; lands in the GraphQL context as `identity`. */
export interface Identity {
  /** The token's `sub`. */
  readonly subject: string;
  /** All verified claims (scopes, tenant, ...), for resolvers that authorize. */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * When the credential stops being valid, in ms since the epoch (clock tolerance included): a WebSocket
   * or SSE stream authenticated with it is closed then. Unset: it does not expire.
   */
  readonly expiresAt?: number;
}

/**
 * Implement this to plug in another scheme (opaque tokens, sessions, ...). Reject with AuthenticationError
 * when the token is bad; any other rejection means the verifier itself failed (HTTP answers 503, not 401).
 */
export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/**
 * jose errors that are about the token itself. Anything else (JWKSTimeout, a non-200 or malformed key set,
 * a refused connection) is the identity provider failing, not the caller.
 */
const TOKEN_ERRORS = [
  errors.JWTClaimValidationFailed,
  errors.JWTExpired, // not a JWTClaimValidationFailed subclass in jose 5
  errors.JWTInvalid,
  errors.JWSInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
];

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

export function createJwtVerifier(config: JwtConfig): TokenVerifier {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (config.secret !== undefined) {
    key = new TextEncoder().encode(config.secret);
    algorithms = ['HS256'];
  } else if (config.jwksUrl !== undefined) {
    // Fetches and caches the key set; refetches on an unknown `kid` (key rotation).
    key = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000 });
    algorithms = ASYMMETRIC_ALGORITHMS;
  } else {
    throw new Error('createJwtVerifier: set secret or jwksUrl');
  }
  const options: JWTVerifyOptions = {
    algorithms,
    // Without `exp` a token would never expire; without `sub` there is no identity.
    requiredClaims: ['exp', 'sub'],
    clockTolerance: config.clockToleranceSeconds,
    ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
    ...(config.audience !== undefined ? { audience: [...config.audience] } : {}),
  };
  return {
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        // Overloads differ only in the key type; both paths verify signature, exp/nbf, iss, aud.
        const result =
          key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        payload = result.payload;
      } catch (err) {
        if (TOKEN_ERRORS.some((type) => err instanceof type))
          throw new AuthenticationError(`Invalid token: ${(err as Error).message}`);
        throw err;
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new AuthenticationError('Invalid token: no sub claim');
      }
      // `exp` is required above; jose has checked it is a number in the future (within the tolerance).
      const expiresAt =
        typeof payload.exp === 'number' ? (payload.exp + config.clockToleranceSeconds) * 1000 : undefined;
      return { subject: payload.sub, claims: payload, ...(expiresAt !== undefined ? { expiresAt } : {}) };
    },
  };
}

/**
 * Verifies `token` when a verifier is configured. Returns null (anonymous) only without a verifier;
 * with one, a missing or bad token throws AuthenticationError.
 */
export async function authenticate(
  verifier: TokenVerifier | undefined,
  token: string | undefined,
): Promise<Identity | null> {
  if (verifier === undefined) return null;
  if (token === undefined) throw new AuthenticationError('Missing bearer token');
  return verifier.verify(token);
}

/** `Bearer <token>` (scheme case-insensitive) -> token. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (header == null) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** `connectionParams.authorization` ("Bearer x" or bare "x") or `connectionParams.token`. */
export function tokenFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (params === undefined) return undefined;
  const { authorization, token } = params;
  if (typeof authorization === 'string' && authorization.trim() !== '') {
    return bearerToken(authorization) ?? authorization.trim();
  }
  if (typeof token === 'string' && token.trim() !== '') return token.trim();
  return undefined;
}
