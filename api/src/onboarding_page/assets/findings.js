// What the analysis found, shown as suggestions the customer can take. Every value here
// came from a crawled page: it is shown as text, a link only when it is http(s), a colour
// only when it is a hex colour.

import { byId, el, fill, isColor, safeLink } from "./dom.js";

/** @typedef {import("./api.js").Schemas} Schemas */

/**
 * @typedef {object} FindingsHandlers
 * @property {(color: string, role: "primary" | "secondary") => void} useColor
 */

/**
 * @param {Schemas["AnalysisResult"]} result
 * @param {FindingsHandlers} handlers
 */
export function showFindings(result, handlers) {
  byId("findings", HTMLElement).hidden = false;
  const insights = result.insights;
  showColors(insights?.suggestedColors ?? [], handlers);
  const logo = byId("logo-found", HTMLElement);
  logo.replaceChildren();
  if (insights?.logoUrl) {
    logo.append("Logo on your site: ", safeLink(insights.logoUrl));
  }
  showChannels(insights?.supportChannels);
  const faq = (insights?.faq ?? [])
    .slice(0, 8)
    .map((pair) =>
      el("li", {}, [
        el("details", {}, [el("summary", { text: pair.question }), el("p", { text: pair.answer })]),
      ]),
    );
  fill(
    byId("faq", HTMLElement),
    faq.length > 0
      ? faq
      : [el("li", { className: "hint", text: "No questions and answers found." })],
  );
  const categories = Object.entries(insights?.contentCategories ?? {}).sort((a, b) => b[1] - a[1]);
  fill(
    byId("categories", HTMLElement),
    categories.map(([kind, count]) =>
      el("li", { attrs: { "data-category": kind } }, [
        el("span", { text: kind }),
        el("span", { className: "count", text: String(count) }),
      ]),
    ),
  );
  byId("quality", HTMLElement).textContent = insights
    ? qualityLine(insights.quality)
    : "No pages could be read.";
  const skipped = result.pageList.filter((page) => page.skipReason !== undefined);
  byId("skipped-count", HTMLElement).textContent = String(result.pages.skipped);
  fill(
    byId("skipped", HTMLElement),
    skipped
      .slice(0, 50)
      .map((page) =>
        el("li", {}, [
          el("span", { className: "url", text: page.url }),
          el("span", { className: "hint", text: ` ${page.skipReason ?? ""}` }),
        ]),
      ),
  );
}

/**
 * @param {Schemas["ColorSuggestion"][]} colors
 * @param {FindingsHandlers} handlers
 */
function showColors(colors, handlers) {
  const usable = colors.filter((c) => isColor(c.color)).slice(0, 6);
  if (usable.length === 0) {
    fill(byId("colors", HTMLElement), [
      el("li", { className: "hint", text: "No brand colours found." }),
    ]);
    return;
  }
  fill(
    byId("colors", HTMLElement),
    usable.map((suggestion) => {
      const chip = el("span", { className: "chip", attrs: { "aria-hidden": "true" } });
      chip.style.backgroundColor = suggestion.color;
      const primary = el("button", { text: "Use as primary", attrs: { type: "button" } });
      primary.addEventListener("click", () => handlers.useColor(suggestion.color, "primary"));
      const secondary = el("button", {
        className: "quiet",
        text: "Use as secondary",
        attrs: { type: "button" },
      });
      secondary.addEventListener("click", () => handlers.useColor(suggestion.color, "secondary"));
      return el(
        "li",
        { attrs: { "data-color": suggestion.color.toLowerCase(), "data-role": suggestion.role } },
        [
          chip,
          el("code", { text: suggestion.color }),
          el("span", { className: "hint", text: `${suggestion.role}, from ${suggestion.source}` }),
          primary,
          secondary,
        ],
      );
    }),
  );
}

/** @param {Schemas["SupportChannels"] | undefined} channels */
function showChannels(channels) {
  /**
   * One channel: its kind, and its value as text or as a link.
   * @param {string} kind
   * @param {string} label
   * @param {Node} value
   */
  const line = (kind, label, value) =>
    el("li", { attrs: { "data-channel": kind } }, [el("strong", { text: `${label} ` }), value]);
  const text = (/** @type {string} */ value) => el("span", { text: value });
  const items = [
    ...(channels?.emails ?? []).map((found) => line("email", "Email", text(found.value))),
    ...(channels?.phones ?? []).map((found) => line("phone", "Phone", text(found.value))),
    ...(channels?.chat ?? []).map((found) => line("chat", "Chat", text(found.provider))),
    ...(channels?.helpCentres ?? []).map((found) =>
      line("help", "Help centre", safeLink(found.value)),
    ),
    ...(channels?.contactForms ?? []).map((page) => line("form", "Contact form", safeLink(page))),
    ...(channels?.social ?? []).map((found) => line("social", found.network, safeLink(found.url))),
  ];
  if (items.length === 0) {
    items.push(el("li", { className: "hint", text: "No contact channels found." }));
  }
  fill(byId("channels", HTMLElement), items);
}

/**
 * @param {Schemas["QualitySummary"]} quality
 * @returns {string}
 */
function qualityLine(quality) {
  const flagged = Object.entries(quality.flagged)
    .map(([flag, count]) => `${count} ${flag.replaceAll("_", " ")}`)
    .join(", ");
  return (
    `${quality.pages} pages read, ${quality.goodPages} of good quality ` +
    `(mean score ${quality.meanScore}/100, ${quality.meanWords} words on average)` +
    (flagged ? `; flagged: ${flagged}.` : ".")
  );
}
