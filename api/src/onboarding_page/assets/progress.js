// The analysis progress: polled every 2 seconds with `If-None-Match` (an unchanged view is
// a 304 with no body), backing off on errors and waiting as long as a 429 or 503's
// `Retry-After` says. The bar never moves backwards on screen.

import { api, codeOf, messageOf, retryAfter } from "./api.js";
import { byId, el, fill, say } from "./dom.js";

/** @typedef {import("./api.js").Schemas} Schemas */
/** @typedef {Schemas["ProgressView"]} ProgressView */

const INTERVAL_MS = 2000;
const MAX_BACKOFF_MS = 30_000;

/** @type {Record<Schemas["StepState"], string>} */
const STATE_LABEL = {
  pending: "Waiting",
  in_progress: "Working",
  completed: "Done",
  failed: "Failed",
  skipped: "Skipped",
};

/**
 * @typedef {object} WatchHandlers
 * @property {(view: ProgressView) => void} finished the run ended (succeeded, failed or cancelled)
 * @property {(message: string, code: string | undefined) => void} lost the guest is gone; polling stopped
 */

export class ProgressWatch {
  /**
   * @param {string} guest
   * @param {WatchHandlers} handlers
   */
  constructor(guest, handlers) {
    this.guest = guest;
    this.handlers = handlers;
    /** @type {string | undefined} */
    this.etag = undefined;
    /** @type {number | undefined} */
    this.timer = undefined;
    this.failures = 0;
    this.stopped = false;
    /** The highest percent shown for the run on screen, by analysis id. */
    this.shown = { analysisId: -1, percent: 0 };
  }

  start() {
    this.stopped = false;
    this.etag = undefined;
    byId("analysis", HTMLElement).hidden = false;
    void this.tick();
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  /** @param {number} ms */
  later(ms) {
    if (!this.stopped) {
      this.timer = window.setTimeout(() => void this.tick(), ms);
    }
  }

  async tick() {
    const status = byId("poll-status", HTMLElement);
    const result = await api
      .GET("/api/onboarding/progress-steps", {
        params: {
          query: { user_uuid: this.guest },
          header: { "If-None-Match": this.etag },
        },
      })
      .catch(() => undefined);
    if (result === undefined) {
      this.backoff(status, undefined, "The service cannot be reached.");
      return;
    }
    if (this.stopped) {
      return;
    }
    const { data, error, response } = result;
    if (response.status === 304) {
      this.steady(status);
      return;
    }
    if (error !== undefined || data === undefined) {
      const code = codeOf(error);
      if (code === "guest_not_found" || code === "guest_expired" || code === "invalid_user_uuid") {
        this.stop();
        this.handlers.lost(messageOf(error, response), code);
        return;
      }
      this.backoff(status, response, messageOf(error, response));
      return;
    }
    this.etag = response.headers.get("etag") ?? undefined;
    this.render(data);
    if (data.isComplete) {
      this.stop();
      say(status, "");
      this.handlers.finished(data);
      return;
    }
    this.steady(status);
  }

  /** @param {HTMLElement} status */
  steady(status) {
    this.failures = 0;
    say(status, "");
    this.later(INTERVAL_MS);
  }

  /**
   * Waits longer after each failure in a row, or as long as the service asked.
   * @param {HTMLElement} status
   * @param {Response | undefined} response
   * @param {string} message
   */
  backoff(status, response, message) {
    this.failures += 1;
    const asked = retryAfter(response);
    const ms =
      asked !== undefined
        ? Math.max(asked * 1000, INTERVAL_MS)
        : Math.min(INTERVAL_MS * 2 ** this.failures, MAX_BACKOFF_MS);
    say(status, `${message} Trying again in ${Math.ceil(ms / 1000)} s.`);
    this.later(ms);
  }

  /** @param {ProgressView} view */
  render(view) {
    const id = view.analysisId ?? -1;
    if (id !== this.shown.analysisId) {
      this.shown = { analysisId: id, percent: 0 };
    }
    // A retried step can report less than before; the customer only ever sees progress.
    const percent = Math.max(this.shown.percent, Math.min(100, Math.max(0, view.percent)));
    this.shown.percent = percent;
    const meter = byId("meter", HTMLElement);
    meter.setAttribute("aria-valuenow", String(percent));
    byId("meter-fill", HTMLElement).style.width = `${percent}%`;
    byId("percent", HTMLElement).textContent = `${percent} %`;
    byId("eta", HTMLElement).textContent = eta(view);
    fill(
      byId("steps", HTMLElement),
      view.steps.map((step) =>
        el("li", { attrs: { "data-status": step.status } }, [
          el("span", { className: "step-name", text: step.name }),
          el("span", { className: "step-state", text: STATE_LABEL[step.status] }),
          el("span", { className: "step-detail", text: step.detail ?? "" }),
        ]),
      ),
    );
    const counts = byId("page-counts", HTMLElement);
    for (const [name, value] of Object.entries(view.pages)) {
      const cell = counts.querySelector(`[data-count="${name}"]`);
      if (cell) {
        cell.textContent = String(value);
      }
    }
    say(
      byId("analysis-error", HTMLElement),
      view.status === "failed" ? (view.error ?? "The analysis failed.") : "",
    );
  }
}

/**
 * @param {ProgressView} view
 * @returns {string}
 */
function eta(view) {
  if (view.isComplete) {
    return view.status === "succeeded" ? "finished" : "";
  }
  if (view.status === "queued") {
    return "waiting for a free worker";
  }
  const seconds = view.estimatedTimeRemaining;
  if (seconds === undefined) {
    return "";
  }
  return seconds < 90
    ? `about ${Math.max(1, seconds)} s left`
    : `about ${Math.round(seconds / 60)} min left`;
}
