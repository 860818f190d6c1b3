export {
  createRecommendedClient,
  fullJitterDelayMs,
  RECOMMENDED_DEFAULTS,
  type BackoffOptions,
  type ClientStats,
  type RecommendedClient,
  type RecommendedClientOptions,
} from './recommended-client';
