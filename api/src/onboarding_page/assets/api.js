// The API client: openapi-fetch over the types openapi-typescript generates from
// openapi.yaml, so every call in this page is checked against the spec by `tsc --checkJs`.

import createClient from "./vendor/openapi-fetch.mjs";

/** @typedef {import("onboard-api").paths} Paths */
/** @typedef {import("onboard-api").components["schemas"]} Schemas */

/** @type {import("openapi-fetch").Client<Paths>} */
export const api = createClient({ baseUrl: window.location.origin });

/**
 * What a call came to: its data, or what to tell the person and when to try again.
 * @template D
 * @typedef {{ ok: true, data: D, response: Response }
 *   | { ok: false, code: string | undefined, message: string, response: Response | undefined }} Outcome
 */

/**
 * Runs one call of the client. A refusal carries the API's own message (each error the
 * spec documents has one); a network failure or an unreadable answer gets a sentence of
 * ours, never a bare status.
 * @template D
 * @param {() => Promise<{ data?: D, error?: unknown, response: Response }>} request
 * @returns {Promise<Outcome<D>>}
 */
export async function call(request) {
  /** @type {{ data?: D, error?: unknown, response: Response }} */
  let result;
  try {
    result = await request();
  } catch {
    return { ok: false, code: undefined, message: UNREACHABLE, response: undefined };
  }
  const { data, error, response } = result;
  if (error === undefined && data !== undefined) {
    return { ok: true, data, response };
  }
  return { ok: false, code: codeOf(error), message: messageOf(error, response), response };
}

const UNREACHABLE = "The service cannot be reached; check your connection and try again.";

/**
 * @param {unknown} error
 * @param {Response} response
 * @returns {string}
 */
export function messageOf(error, response) {
  if (isErrorBody(error)) {
    return error.message;
  }
  if (response.status >= 500) {
    return "The service had a problem answering; try again shortly.";
  }
  return "The service could not use this request.";
}

/**
 * @param {unknown} error
 * @returns {string | undefined}
 */
export function codeOf(error) {
  return isErrorBody(error) ? error.error : undefined;
}

/**
 * @param {unknown} value
 * @returns {value is { error: string, message: string }}
 */
function isErrorBody(value) {
  return (
    typeof value === "object" &&
    value !== null &&
    "error" in value &&
    "message" in value &&
    typeof value.error === "string" &&
    typeof value.message === "string"
  );
}

/**
 * Seconds a 429 or 503 asks the client to wait (`Retry-After`), if it says.
 * @param {Response | undefined} response
 * @returns {number | undefined}
 */
export function retryAfter(response) {
  const raw = response?.headers.get("retry-after");
  if (!raw) {
    return undefined;
  }
  const seconds = Number.parseInt(raw, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
