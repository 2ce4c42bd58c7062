// The reference onboarding page: a guest session kept in localStorage, the domain and its
// analysis with live progress, the suggestions, the three setup steps and completion, all
// through the client generated from openapi.yaml.

import { api, call, retryAfter } from "./api.js";
import { byId, say } from "./dom.js";
import { showFindings } from "./findings.js";
import { ProgressWatch } from "./progress.js";
import { Setup } from "./setup.js";

/** @typedef {import("./api.js").Schemas} Schemas */

const GUEST_KEY = "onboard.guest";

/** @type {ProgressWatch | undefined} */
let watch;
/** @type {Setup | undefined} */
let setup;

/** A guest kept from an earlier visit while it is valid, or a new one. */
async function guestSession() {
  const kept = readKept();
  if (kept) {
    const known = await call(() =>
      api.GET("/api/guest/{uuid}", { params: { path: { uuid: kept } } }),
    );
    if (known.ok && known.data.valid) {
      return { uuid: kept, status: known.data };
    }
    if (!known.ok && known.response === undefined) {
      throw new Error(known.message);
    }
  }
  const created = await call(() => api.POST("/api/guest"));
  if (!created.ok) {
    throw new Error(created.message);
  }
  writeKept(created.data.uuid);
  const status = await call(() =>
    api.GET("/api/guest/{uuid}", { params: { path: { uuid: created.data.uuid } } }),
  );
  if (!status.ok) {
    throw new Error(status.message);
  }
  return { uuid: created.data.uuid, status: status.data };
}

/** @returns {string | undefined} */
function readKept() {
  try {
    return window.localStorage.getItem(GUEST_KEY) ?? undefined;
  } catch {
    // Storage can be refused (a private window, a sandboxed frame): the page still works.
    return undefined;
  }
}

/** @param {string | undefined} uuid */
function writeKept(uuid) {
  try {
    if (uuid === undefined) {
      window.localStorage.removeItem(GUEST_KEY);
    } else {
      window.localStorage.setItem(GUEST_KEY, uuid);
    }
  } catch {
    // As above: without storage the session lasts as long as the page.
  }
}

/** @param {string} message */
function notice(message) {
  say(byId("notice", HTMLElement), message);
}

/**
 * @param {string} guest
 * @param {Schemas["GuestStatus"]} status
 */
async function resume(guest, status) {
  byId("session", HTMLElement).textContent =
    `Guest session, kept on this device until ${new Date(status.expiresAt).toLocaleDateString()}`;
  byId("start-over", HTMLButtonElement).hidden = false;
  setup = new Setup(guest, finished);
  watch = new ProgressWatch(guest, {
    finished: (view) => void analysed(guest, view),
    lost: (message) => notice(`${message} Choose "Start over" to begin again.`),
  });
  const onboarding = status.onboarding;
  if (onboarding.completedAt) {
    showDone(onboarding.domain ?? "", onboarding.completedAt);
    return;
  }
  if (onboarding.domain) {
    byId("domain", HTMLInputElement).value = onboarding.domain;
    byId("analysis-domain", HTMLElement).textContent = onboarding.domain;
    await openSetup(guest);
    watch.start();
  }
}

/** @param {string} guest */
async function openSetup(guest) {
  const config = await call(() =>
    api.GET("/api/onboarding/config", { params: { query: { user_uuid: guest } } }),
  );
  if (!config.ok) {
    notice(config.message);
    return;
  }
  setup?.show(config.data);
}

/**
 * Sets the domain and starts its analysis.
 * @param {string} guest
 */
async function analyse(guest) {
  const input = byId("domain", HTMLInputElement);
  const errorLine = byId("domain-error", HTMLElement);
  const button = byId("analyse", HTMLButtonElement);
  const domain = input.value.trim();
  if (domain === "") {
    say(errorLine, "Type your website's domain, such as example.com.");
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    const saved = await call(() =>
      api.POST("/api/onboarding/config", {
        params: { query: { user_uuid: guest } },
        body: { domain },
      }),
    );
    if (!saved.ok) {
      say(errorLine, saved.message);
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    const started = await call(() =>
      api.POST("/api/onboarding/analysis", { params: { query: { user_uuid: guest } } }),
    );
    if (!started.ok) {
      const wait = retryAfter(started.response);
      say(errorLine, wait === undefined ? started.message : `${started.message} (about ${wait} s)`);
      return;
    }
    say(errorLine, "");
    byId("findings", HTMLElement).hidden = true;
    byId("analysis-domain", HTMLElement).textContent = domain;
    await openSetup(guest);
    watch?.start();
  } finally {
    button.disabled = false;
  }
}

/**
 * The run ended: its findings, or why it failed.
 * @param {string} guest
 * @param {Schemas["ProgressView"]} view
 */
async function analysed(guest, view) {
  if (view.status !== "succeeded" || view.analysisId === undefined) {
    return;
  }
  const id = view.analysisId;
  const result = await call(() =>
    api.GET("/api/onboarding/analysis/{id}", {
      params: { path: { id }, query: { user_uuid: guest } },
    }),
  );
  if (!result.ok) {
    say(byId("analysis-error", HTMLElement), result.message);
    return;
  }
  showFindings(result.data, {
    useColor: (color, role) => setup?.useColor(color, role),
  });
}

/** @param {Schemas["Completed"]} completed */
function finished(completed) {
  watch?.stop();
  showDone(completed.domain, completed.completedAt);
}

/**
 * @param {string} domain
 * @param {string} completedAt
 */
function showDone(domain, completedAt) {
  for (const id of ["website", "analysis", "findings", "setup"]) {
    byId(id, HTMLElement).hidden = true;
  }
  byId("done", HTMLElement).hidden = false;
  byId("done-text", HTMLElement).textContent =
    `Onboarding of ${domain} was completed on ${new Date(completedAt).toLocaleString()}. ` +
    `Your widget uses the design and contact channels you chose.`;
  byId("done-title", HTMLElement).focus();
}

async function main() {
  byId("start-over", HTMLButtonElement).addEventListener("click", () => {
    watch?.stop();
    setup?.detach();
    writeKept(undefined);
    window.location.reload();
  });
  /** @type {{ uuid: string, status: Schemas["GuestStatus"] }} */
  let session;
  try {
    session = await guestSession();
  } catch (e) {
    byId("session", HTMLElement).textContent = "No session";
    notice(e instanceof Error ? e.message : "The service cannot be reached.");
    return;
  }
  const guest = session.uuid;
  byId("domain-form", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    void analyse(guest);
  });
  await resume(guest, session.status);
}

void main();
