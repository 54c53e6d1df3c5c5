import { checkLength } from "../../domain/target.js";

/** Upstream v2beta caps `endpoint` at 1000 characters (v2 allows 2048). */
export const V2BETA_MAX_ENDPOINT_LENGTH = 1000;

/**
 * Applies the v2beta-only endpoint limit before the request is handed to v2, which checks everything else;
 * an absent (update) or empty endpoint is left to v2 so that its error reads the same in both versions.
 */
export function checkV2betaEndpoint(endpoint: string | undefined): void {
  if (endpoint) checkLength("endpoint", endpoint, 1, V2BETA_MAX_ENDPOINT_LENGTH);
}
