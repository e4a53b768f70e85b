// MI summaries in the page: what the interviewer understood at a topic change (and at the
// end), which the person confirms or corrects. A summary never blocks the interview: the next
// question streams below it, and an open summary can be answered until the review.

import { el } from "./dom.js";

/**
 * Apply a summary event to the view (mutates it). Returns true when the frame was one.
 * The view's `summaries` list has the shape of the snapshot's.
 */
export function applySummaryEvent(view, frame) {
  if (!view) return false;
  view.summaries = view.summaries || [];
  if (frame.type === "summary.offered") {
    if (!view.summaries.some((s) => s.summary_id === frame.summary_id)) {
      const { type, session_id, seq, epoch, ...summary } = frame;
      view.summaries.push(summary);
    }
    return true;
  }
  if (frame.type === "summary.resolved") {
    const summary = view.summaries.find((s) => s.summary_id === frame.summary_id);
    if (summary) summary.resolution = { verdict: frame.verdict, text: frame.text };
    return true;
  }
  return false;
}

const ANSWERABLE = new Set(["active", "paused", "completed"]);

function card(summary, send) {
  const id = summary.summary_id;
  const correction = el("textarea", {
    id: `summary-${id}-text`,
    rows: 3,
    attrs: { "aria-label": "Your correction, in your own words" },
  });
  const status = el("p", { className: "muted small", attrs: { role: "status" } });
  const editor = el("div", { className: "summary-editor", hidden: true }, correction);
  const confirm = el("button", { type: "button", className: "primary" }, "Yes, that's right");
  const correct = el("button", { type: "button" }, "Correct it");
  const save = el("button", { type: "button", className: "primary", hidden: true }, "Save correction");
  const node = el(
    "section",
    { className: "card summary", dataset: { summaryId: id }, attrs: { "aria-label": "Summary so far" } },
    el("p", { className: "summary-text" }, summary.text),
    editor,
    el("div", { className: "actions" }, confirm, correct, save),
    status,
  );
  async function answer(kind, fields) {
    for (const button of [confirm, correct, save]) button.disabled = true;
    const ack = await send(kind, { summary_id: id, ...fields });
    if (!ack) for (const button of [confirm, correct, save]) button.disabled = false;
  }
  confirm.addEventListener("click", () => answer("summary.confirm", {}));
  correct.addEventListener("click", () => {
    editor.hidden = false;
    correct.hidden = true;
    save.hidden = false;
    correction.focus();
  });
  save.addEventListener("click", () => {
    const text = correction.value.trim();
    if (!text) {
      status.textContent = "Type what I got wrong, or press “Yes, that's right”.";
      return;
    }
    answer("summary.correct", { text });
  });
  return node;
}

/**
 * Show the open summaries in `container`. Cards are kept by id between calls, so a correction
 * being typed survives the page redrawing around it.
 */
export function renderSummaries(view, container, send) {
  const open = view && ANSWERABLE.has(view.state)
    ? (view.summaries || []).filter((s) => !s.resolution)
    : [];
  const wanted = new Set(open.map((s) => s.summary_id));
  for (const node of [...container.children]) {
    if (!wanted.has(node.dataset.summaryId)) node.remove();
  }
  const shown = new Set([...container.children].map((node) => node.dataset.summaryId));
  for (const summary of open) {
    if (!shown.has(summary.summary_id)) container.append(card(summary, send));
  }
  container.hidden = open.length === 0;
}
