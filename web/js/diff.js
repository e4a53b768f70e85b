// A side-by-side line diff of two JSON documents, drawn as a table (text only, no HTML).

import { el } from "./dom.js";

const CONTEXT = 2; // unchanged lines kept around each change
const MAX_CELLS = 4_000_000; // LCS table bound; past it, fall back to a plain two-column view

/** Lines of `value` as pretty JSON with keys in their stored order. */
export function jsonLines(value) {
  if (value === null || value === undefined) return [];
  return JSON.stringify(value, null, 2).split("\n");
}

/**
 * Aligned rows: {kind: "same"|"change"|"remove"|"add", left, right, leftNo, rightNo}.
 * A run of removals followed by additions is paired line by line as "change".
 */
export function diffRows(left, right) {
  const n = left.length;
  const m = right.length;
  const ops = [];
  if (n * m > MAX_CELLS) {
    for (let i = 0; i < Math.max(n, m); i += 1) {
      ops.push(left[i] === right[i] ? ["same", i, i] : ["pair", i < n ? i : null, i < m ? i : null]);
    }
  } else {
    // lcs[i][j] = length of the LCS of left[i:] and right[j:], rows of Uint16/32.
    const Row = n + m > 65000 ? Uint32Array : Uint16Array;
    const lcs = Array.from({ length: n + 1 }, () => new Row(m + 1));
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let k = m - 1; k >= 0; k -= 1) {
        lcs[i][k] = left[i] === right[k] ? lcs[i + 1][k + 1] + 1 : Math.max(lcs[i + 1][k], lcs[i][k + 1]);
      }
    }
    let i = 0;
    let k = 0;
    while (i < n || k < m) {
      if (i < n && k < m && left[i] === right[k]) {
        ops.push(["same", i, k]);
        i += 1;
        k += 1;
      } else if (k < m && (i === n || lcs[i][k + 1] >= lcs[i + 1][k])) {
        ops.push(["add", null, k]);
        k += 1;
      } else {
        ops.push(["remove", i, null]);
        i += 1;
      }
    }
  }
  return pairUp(ops, left, right);
}

function pairUp(ops, left, right) {
  const rows = [];
  let index = 0;
  while (index < ops.length) {
    const [kind, li, ri] = ops[index];
    if (kind === "same") {
      rows.push({ kind, left: left[li], right: right[ri], leftNo: li + 1, rightNo: ri + 1 });
      index += 1;
      continue;
    }
    if (kind === "pair") {
      rows.push(row(li, ri));
      index += 1;
      continue;
    }
    const removed = [];
    const added = [];
    while (index < ops.length && ops[index][0] !== "same") {
      if (ops[index][0] === "remove") removed.push(ops[index][1]);
      else added.push(ops[index][2]);
      index += 1;
    }
    for (let p = 0; p < Math.max(removed.length, added.length); p += 1) {
      rows.push(row(p < removed.length ? removed[p] : null, p < added.length ? added[p] : null));
    }
  }
  return rows;

  function row(li, ri) {
    const kind = li !== null && ri !== null ? "change" : li !== null ? "remove" : "add";
    return {
      kind,
      left: li !== null ? left[li] : null,
      right: ri !== null ? right[ri] : null,
      leftNo: li !== null ? li + 1 : null,
      rightNo: ri !== null ? ri + 1 : null,
    };
  }
}

/** Counts of changed lines, for the summary above the table. */
export function diffStats(rows) {
  let removed = 0;
  let added = 0;
  for (const row of rows) {
    if (row.kind === "remove" || row.kind === "change") removed += 1;
    if (row.kind === "add" || row.kind === "change") added += 1;
  }
  return { removed, added };
}

function cell(text, number, kind, side) {
  const marker = { remove: "removed: ", add: "added: ", change: side === "left" ? "before: " : "after: " }[kind];
  const changed = text !== null && kind !== "same";
  return [
    el("td", { className: "ln", attrs: { "aria-hidden": "true" } }, number === null ? "" : String(number)),
    el(
      "td",
      { className: `code ${text === null ? "empty" : changed ? `${side === "left" ? "old" : "new"}` : ""}` },
      changed ? el("span", { className: "visually-hidden" }, marker) : null,
      text === null ? "" : text,
    ),
  ];
}

/** The table for `current` vs `proposed` (both plain JSON values). */
export function renderDiff(current, proposed) {
  const rows = diffRows(jsonLines(current), jsonLines(proposed));
  const body = el("tbody");
  let index = 0;
  const changedAt = rows.map((row) => row.kind !== "same");
  const near = (i) => {
    for (let d = -CONTEXT; d <= CONTEXT; d += 1) if (changedAt[i + d]) return true;
    return false;
  };
  while (index < rows.length) {
    if (!near(index)) {
      let end = index;
      while (end < rows.length && !near(end)) end += 1;
      const count = end - index;
      body.append(
        el(
          "tr",
          { className: "skip" },
          el("td", { attrs: { colspan: "4" } }, `⋯ ${count} unchanged ${count === 1 ? "line" : "lines"}`),
        ),
      );
      index = end;
      continue;
    }
    const row = rows[index];
    body.append(
      el("tr", { className: `row-${row.kind}` }, cell(row.left, row.leftNo, row.kind, "left"), cell(row.right, row.rightNo, row.kind, "right")),
    );
    index += 1;
  }
  const { removed, added } = diffStats(rows);
  const table = el(
    "table",
    { className: "diff", dataset: { removed: String(removed), added: String(added) } },
    el("caption", { className: "visually-hidden" }, "Current core.json on the left, proposed core.json on the right"),
    el(
      "colgroup",
      {},
      el("col", { className: "ln" }),
      el("col", { className: "code" }),
      el("col", { className: "ln" }),
      el("col", { className: "code" }),
    ),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { attrs: { scope: "col", colspan: "2" } }, "Current core.json"),
        el("th", { attrs: { scope: "col", colspan: "2" } }, "Proposed"),
      ),
    ),
    body,
  );
  return { table, removed, added, unchanged: rows.length === 0 || (removed === 0 && added === 0) };
}
