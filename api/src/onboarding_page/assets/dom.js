// Small DOM helpers. Everything the page shows goes in as text (`textContent`), never as
// markup: values from a crawled page are untrusted.

/**
 * The element with this id, of the expected kind.
 * @template {HTMLElement} E
 * @param {string} id
 * @param {new () => E} kind
 * @returns {E}
 */
export function byId(id, kind) {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) {
    throw new Error(`#${id} is missing from the page`);
  }
  return found;
}

/**
 * The first element under `root` matching `css`, of the expected kind.
 * @template {Element} E
 * @param {ParentNode} root
 * @param {string} css
 * @param {new () => E} kind
 * @returns {E}
 */
export function find(root, css, kind) {
  const found = root.querySelector(css);
  if (!(found instanceof kind)) {
    throw new Error(`${css} is missing from the page`);
  }
  return found;
}

/**
 * A new element holding text (and optional children), with attributes set as strings.
 * @param {string} tag
 * @param {{ text?: string, className?: string, attrs?: Record<string, string> }} [props]
 * @param {Node[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.className) {
    node.className = props.className;
  }
  if (props.text !== undefined) {
    node.textContent = props.text;
  }
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/**
 * Replaces a list's items.
 * @param {HTMLElement} list
 * @param {Node[]} items
 */
export function fill(list, items) {
  list.replaceChildren(...items);
}

/**
 * Shows or hides a message paragraph.
 * @param {HTMLElement} node
 * @param {string} message
 */
export function say(node, message) {
  node.textContent = message;
  node.hidden = message === "";
}

/** A hex colour the widget can use; anything else (a crawled value included) is not one. */
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/**
 * @param {string | undefined} value
 * @returns {value is string}
 */
export function isColor(value) {
  return value !== undefined && HEX.test(value);
}

/**
 * `#abc` as `#aabbcc`, lower case: what `<input type=color>` takes.
 * @param {string} value
 * @returns {string}
 */
export function longColor(value) {
  const hex = value.toLowerCase();
  if (hex.length === 4) {
    return `#${[...hex.slice(1)].map((c) => c + c).join("")}`;
  }
  return hex;
}

/**
 * A link to a crawled address, only when it is http(s); otherwise the address as text.
 * @param {string} url
 * @param {string} [label]
 * @returns {HTMLElement}
 */
export function safeLink(url, label) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return el("span", { text: label ?? url });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return el("span", { text: label ?? url });
  }
  return el("a", {
    text: label ?? url,
    attrs: { href: parsed.href, rel: "noopener noreferrer nofollow", target: "_blank" },
  });
}
