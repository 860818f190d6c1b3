export {
  createRecommendedClient,
  fullJitterDelayMs,
  isTokenExpiredClose,
  RECOMMENDED_DEFAULTS,
  TOKEN_EXPIRED_REASON_PREFIX,
  type BackoffOptions,
  type ClientStats,
  type RecommendedClient,
  type RecommendedClientOptions,
  type RecoveryOutcome,
} from './recommended-client';
