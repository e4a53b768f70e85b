// Tiny DOM helpers. Every piece of text goes in as a text node (textContent), never as HTML,
// so nothing a person or a model wrote can become markup.

/**
 * el("p", {className: "note", attrs: {"aria-live": "polite"}, on: {click: fn}}, "text", child)
 * Children may be strings, numbers, nodes, null/false (skipped) or arrays of those.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "attrs") {
      for (const [name, attr] of Object.entries(value)) {
        if (attr !== undefined && attr !== null && attr !== false) node.setAttribute(name, String(attr));
      }
    } else if (key === "on") {
      for (const [name, handler] of Object.entries(value)) node.addEventListener(name, handler);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node[key] = value; // className, id, type, value, checked, disabled, hidden, htmlFor, ...
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** Replace a node's children. */
export function fill(node, ...children) {
  clear(node);
  return append(node, children);
}

export function $(selector, root = document) {
  const found = root.querySelector(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
}

/** "2026-11-26T09:20:34Z" -> a short local date and time. */
export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function plural(count, word, many = `${word}s`) {
  return `${count} ${count === 1 ? word : many}`;
}
