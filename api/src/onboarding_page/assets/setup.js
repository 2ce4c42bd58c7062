// The three setup steps (1 Design, 2 Content, 3 Contact) and completion. Each step saves
// what it shows through `POST /api/onboarding/config` and moves the guest's current step;
// each refusal is shown as the API's message next to the form that caused it.

import { api, call, retryAfter } from "./api.js";
import { byId, el, fill, find, isColor, longColor, say } from "./dom.js";

/** @typedef {import("./api.js").Schemas} Schemas */

/** The tabs the widget can hide. */
const TABS = ["chat", "phone", "email"];

export class Setup {
  /**
   * @param {string} guest
   * @param {(completed: Schemas["Completed"]) => void} done
   */
  constructor(guest, done) {
    this.guest = guest;
    this.done = done;
    this.step = 1;
    /** @type {number | undefined} */
    this.recheck = undefined;
    /** @type {AbortController} */
    this.listeners = new AbortController();
    this.wire();
  }

  /** Removes this guest's handlers (a new guest gets a new Setup). */
  detach() {
    this.listeners.abort();
    window.clearTimeout(this.recheck);
  }

  wire() {
    const signal = this.listeners.signal;
    for (const button of document.querySelectorAll("#stepper button")) {
      if (button instanceof HTMLButtonElement) {
        button.addEventListener("click", () => void this.go(Number(button.dataset["step"])), {
          signal,
        });
      }
    }
    for (const form of document.querySelectorAll("form.step")) {
      if (form instanceof HTMLFormElement) {
        form.addEventListener(
          "submit",
          (event) => {
            event.preventDefault();
            void this.submit(Number(form.dataset["step"]));
          },
          { signal },
        );
        for (const back of form.querySelectorAll("[data-back]")) {
          back.addEventListener("click", () => void this.go(Number(form.dataset["step"]) - 1), {
            signal,
          });
        }
      }
    }
    for (const id of ["primary-color", "secondary-color"]) {
      byId(id, HTMLInputElement).addEventListener("input", () => this.preview(), { signal });
    }
    for (const radio of document.querySelectorAll("input[name=position]")) {
      radio.addEventListener("change", () => this.preview(), { signal });
    }
    byId("logo-file", HTMLInputElement).addEventListener("change", () => void this.upload(), {
      signal,
    });
    byId("search-button", HTMLButtonElement).addEventListener("click", () => void this.search(), {
      signal,
    });
    byId("verify-issue", HTMLButtonElement).addEventListener(
      "click",
      () => void this.issueToken(),
      { signal },
    );
    byId("verify-check", HTMLButtonElement).addEventListener("click", () => void this.check(), {
      signal,
    });
    byId("search", HTMLInputElement).addEventListener(
      "keydown",
      (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          void this.search();
        }
      },
      { signal },
    );
  }

  /**
   * Shows the saved configuration and opens the guest's current step.
   * @param {Schemas["OnboardingConfig"]} config
   */
  show(config) {
    const design = config.configuration.design;
    if (isColor(design.primaryColor)) {
      byId("primary-color", HTMLInputElement).value = longColor(design.primaryColor);
    }
    if (isColor(design.secondaryColor)) {
      byId("secondary-color", HTMLInputElement).value = longColor(design.secondaryColor);
    }
    for (const radio of document.querySelectorAll("input[name=position]")) {
      if (radio instanceof HTMLInputElement) {
        radio.checked = radio.value === design.floatiePosition;
      }
    }
    if (design.floatieLogo) {
      this.showLogo(`/api/onboarding/logos/${encodeURIComponent(design.floatieLogo)}`);
    }
    const contact = config.configuration.contact;
    byId("contact-email", HTMLInputElement).value = contact["email"] ?? "";
    byId("contact-phone", HTMLInputElement).value = contact["phone"] ?? "";
    byId("contact-chat", HTMLInputElement).value = contact["chat"] ?? "";
    for (const box of document.querySelectorAll("input[name=tab]")) {
      if (box instanceof HTMLInputElement) {
        box.checked = config.configuration.disabledTabs[box.value] === true;
      }
    }
    this.preview();
    byId("setup", HTMLElement).hidden = false;
    this.open(Math.min(Math.max(config.currentStep, 1), 3), false);
  }

  /**
   * A suggested colour taken into the design step.
   * @param {string} color
   * @param {"primary" | "secondary"} role
   */
  useColor(color, role) {
    if (!isColor(color)) {
      return;
    }
    byId(`${role}-color`, HTMLInputElement).value = longColor(color);
    this.preview();
    void this.event("suggestion.accepted", { suggestion: `${role}Color` });
  }

  /** The widget preview in the chosen colours and position. */
  preview() {
    const primary = byId("primary-color", HTMLInputElement).value;
    const secondary = byId("secondary-color", HTMLInputElement).value;
    byId("primary-value", HTMLOutputElement).value = primary;
    byId("secondary-value", HTMLOutputElement).value = secondary;
    const launcher = byId("preview-launcher", HTMLElement);
    launcher.style.backgroundColor = primary;
    launcher.style.color = secondary;
    const head = byId("preview-head", HTMLElement);
    head.style.backgroundColor = primary;
    head.style.color = secondary;
    const preview = byId("preview", HTMLElement);
    preview.dataset["position"] = this.position();
  }

  /** @returns {Schemas["FloatiePosition"]} */
  position() {
    const left = document.querySelector("input[name=position][value=left]");
    return left instanceof HTMLInputElement && left.checked ? "left" : "right";
  }

  /**
   * Moves to a step: back always, forward after the steps before it were saved.
   * @param {number} step
   */
  async go(step) {
    if (step < 1 || step > 3 || step === this.step) {
      return;
    }
    if (step > this.step) {
      await this.submit(this.step, step);
      return;
    }
    const saved = await this.save(this.step, { currentStep: step });
    if (saved) {
      this.open(step, true);
    }
  }

  /**
   * @param {number} step
   * @param {boolean} focus
   */
  open(step, focus) {
    this.step = step;
    for (const form of document.querySelectorAll("form.step")) {
      if (form instanceof HTMLFormElement) {
        form.hidden = Number(form.dataset["step"]) !== step;
      }
    }
    for (const button of document.querySelectorAll("#stepper button")) {
      if (button instanceof HTMLButtonElement) {
        if (Number(button.dataset["step"]) === step) {
          button.setAttribute("aria-current", "step");
        } else {
          button.removeAttribute("aria-current");
        }
      }
    }
    if (focus) {
      find(byId(`step-${step}`, HTMLFormElement), "input, button", HTMLElement).focus();
    }
    if (step === 3) {
      void this.readVerification();
    }
    void this.event("step.viewed", { step });
  }

  /** The guest's verification of its domain, if a token was issued. */
  async readVerification() {
    const outcome = await call(() =>
      api.GET("/api/onboarding/verification", { params: { query: { user_uuid: this.guest } } }),
    );
    if (outcome.ok) {
      this.showVerification(outcome.data);
    } else if (outcome.code !== "verification_not_found") {
      say(byId("verify-status", HTMLElement), outcome.message);
    }
  }

  async issueToken() {
    const outcome = await call(() =>
      api.POST("/api/onboarding/verification", { params: { query: { user_uuid: this.guest } } }),
    );
    if (!outcome.ok) {
      say(byId("verify-status", HTMLElement), outcome.message);
      return;
    }
    this.showVerification(outcome.data);
  }

  /** Asks the service to look for the token now; a check too soon after the last one is
   * repeated when the service says it may be. */
  async check() {
    window.clearTimeout(this.recheck);
    const status = byId("verify-status", HTMLElement);
    say(status, "Checking your site…");
    const outcome = await call(() =>
      api.POST("/api/onboarding/verification/check", {
        params: { query: { user_uuid: this.guest } },
      }),
    );
    if (!outcome.ok) {
      const wait = retryAfter(outcome.response);
      if (outcome.code === "too_many_checks" && wait !== undefined) {
        say(status, `${outcome.message} Checking again in ${wait} s.`);
        this.recheck = window.setTimeout(() => void this.check(), wait * 1000);
        return;
      }
      say(status, outcome.message);
      return;
    }
    this.showVerification(outcome.data);
    if (outcome.data.status === "checking") {
      this.recheck = window.setTimeout(() => void this.readVerification(), 2000);
    }
  }

  /** @param {Schemas["VerificationView"]} view */
  showVerification(view) {
    byId("verify-issue", HTMLButtonElement).hidden = true;
    byId("verify-how", HTMLElement).hidden = view.status === "verified";
    byId("verify-meta", HTMLElement).textContent = view.metaTag;
    byId("verify-path", HTMLElement).textContent = view.filePath;
    byId("verify-token", HTMLElement).textContent = view.token;
    const status = byId("verify-status", HTMLElement);
    status.classList.toggle("verified", view.status === "verified");
    /** @type {Record<Schemas["VerificationStatus"], string>} */
    const words = {
      pending: "Not checked yet.",
      checking: "Checking your site…",
      verified: `${view.domain} is verified.`,
      failed: view.detail ?? "The token was not found on your site.",
    };
    say(status, words[view.status]);
  }

  /**
   * Saves a step's fields and moves on.
   * @param {number} step
   * @param {number} [next]
   */
  async submit(step, next = step + 1) {
    /** @type {Schemas["ConfigUpdate"]} */
    let body;
    if (step === 1) {
      body = {
        configuration: {
          design: {
            primaryColor: byId("primary-color", HTMLInputElement).value,
            secondaryColor: byId("secondary-color", HTMLInputElement).value,
            floatiePosition: this.position(),
          },
        },
      };
    } else if (step === 2) {
      // The content step holds once the analysis succeeded, or when the customer goes on
      // without it.
      const skip = byId("skip-analysis", HTMLInputElement).checked;
      body = skip ? { configuration: { skipAnalysis: true } } : {};
    } else {
      body = { configuration: this.contact() };
    }
    if (step === 3 && next > 3) {
      if (await this.save(3, body)) {
        await this.complete();
      }
      return;
    }
    if (await this.save(step, { ...body, currentStep: next })) {
      this.open(next, true);
    }
  }

  /** @returns {Schemas["ConfigurationInput"]} */
  contact() {
    /** @param {string} id */
    const value = (id) => byId(id, HTMLInputElement).value.trim() || null;
    /** @type {Record<string, boolean | null>} */
    const disabledTabs = {};
    for (const tab of TABS) {
      const box = document.querySelector(`input[name=tab][value=${tab}]`);
      disabledTabs[tab] = box instanceof HTMLInputElement && box.checked ? true : null;
    }
    return {
      contact: {
        email: value("contact-email"),
        phone: value("contact-phone"),
        chat: value("contact-chat"),
      },
      disabledTabs,
    };
  }

  /**
   * @param {number} step the form whose error line shows a refusal
   * @param {Schemas["ConfigUpdate"]} body
   * @returns {Promise<boolean>}
   */
  async save(step, body) {
    const errorLine = find(byId(`step-${step}`, HTMLFormElement), "[data-error]", HTMLElement);
    const outcome = await call(() =>
      api.POST("/api/onboarding/config", { params: { query: { user_uuid: this.guest } }, body }),
    );
    if (!outcome.ok) {
      say(errorLine, outcome.message);
      void this.event("error.shown", { error: outcome.code ?? "unreachable", step });
      return false;
    }
    say(errorLine, "");
    return true;
  }

  async upload() {
    const input = byId("logo-file", HTMLInputElement);
    const errorLine = byId("logo-error", HTMLElement);
    const file = input.files?.[0];
    if (!file) {
      return;
    }
    say(errorLine, "Uploading…");
    const outcome = await call(() =>
      api.POST("/api/onboarding/upload-logo/{kind}", {
        params: { path: { kind: "floatie" }, query: { user_uuid: this.guest } },
        body: { file },
        bodySerializer(body) {
          const form = new FormData();
          form.append("file", body.file, file.name);
          return form;
        },
      }),
    );
    input.value = "";
    if (!outcome.ok) {
      say(errorLine, outcome.message);
      return;
    }
    say(errorLine, "");
    this.showLogo(outcome.data.preview);
  }

  /** @param {string} src a path on this service */
  showLogo(src) {
    if (!src.startsWith("/api/onboarding/logos/")) {
      return;
    }
    const logo = byId("preview-logo", HTMLImageElement);
    logo.src = src;
    logo.hidden = false;
    byId("preview-mark", HTMLElement).hidden = true;
  }

  async search() {
    const query = byId("search", HTMLInputElement).value.trim();
    const summary = byId("search-summary", HTMLElement);
    const list = byId("results", HTMLElement);
    if (query === "") {
      say(summary, "Type a word or a question to search for.");
      return;
    }
    const outcome = await call(() =>
      api.GET("/api/onboarding/content", {
        params: { query: { user_uuid: this.guest, query, limit: 5 } },
      }),
    );
    if (!outcome.ok) {
      fill(list, []);
      say(summary, outcome.message);
      return;
    }
    const found = outcome.data;
    say(
      summary,
      found.totalResults === 0
        ? "Nothing in your pages matches yet."
        : `${found.totalResults} pages match (${Math.max(1, Math.round(found.processingTime * 1000))} ms).`,
    );
    fill(
      list,
      found.content.map((hit) =>
        el("li", { attrs: { "data-url": hit.url } }, [
          el("strong", { text: hit.title || hit.url }),
          el("span", { className: "url", text: hit.url }),
          el("p", { text: hit.snippet }),
        ]),
      ),
    );
  }

  async complete() {
    const errorLine = find(byId("step-3", HTMLFormElement), "[data-error]", HTMLElement);
    const outcome = await call(() =>
      api.POST("/api/onboarding/complete", { params: { query: { user_uuid: this.guest } } }),
    );
    if (!outcome.ok) {
      say(errorLine, outcome.message);
      return;
    }
    this.done(outcome.data);
  }

  /**
   * An analytics event; a lost one is not worth troubling the customer with.
   * @param {Schemas["UiEvent"]} eventType
   * @param {Record<string, unknown>} eventData
   */
  async event(eventType, eventData) {
    await api
      .POST("/api/stats/events", { body: { eventType, guestUuid: this.guest, eventData } })
      .catch(() => undefined);
  }
}
