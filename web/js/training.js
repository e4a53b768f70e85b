// The "Training data" step after the persona review: every answered turn as the export policy
// would write it (kept, redacted with the reasons, or left out with the reason), a checkbox per
// turn to leave it out, and a button that writes the file. Nothing is written before that.

import { el, fill, plural } from "./dom.js";
import { categoryLabel } from "./model.js";

const DECISION_LABELS = { keep: "Kept as written", redact: "Kept, with parts removed", exclude: "Left out" };

export class TrainingDialog {
  /**
   * @param {object} options
   * @param {import("./connection.js").Connection} options.conn
   * @param {() => string|null} options.sessionId  the open session's id
   */
  constructor({ conn, sessionId }) {
    this.conn = conn;
    this.sessionId = sessionId;
    this.excluded = new Set();
    this.ready = null;
    this.status = el("p", { className: "review-status", attrs: { role: "status" } });
    this.list = el("ol", { id: "training-list", className: "transcript" });
    this.result = el("div", { id: "training-result", className: "result", hidden: true, attrs: { tabindex: "-1" } });
    this.writeButton = el("button", { type: "button", id: "training-write", className: "primary", on: { click: () => this.write() } }, "Write the training file");
    this.dialog = el(
      "dialog",
      { id: "training-dialog", className: "review", attrs: { "aria-labelledby": "training-title" } },
      el(
        "div",
        { className: "dialog-head" },
        el("h2", { id: "training-title", attrs: { tabindex: "-1" } }, "Training data"),
        el("button", { type: "button", className: "linkish", on: { click: () => this.close() } }, "Close"),
      ),
      el(
        "p",
        {},
        "This is what the training file would hold: your answers as the model would learn them. Addresses, ",
        "phone and ID numbers, health details, other people's names and anything that reads like an ",
        "instruction are removed; turns with crisis content are never included. Untick any turn to leave it out.",
      ),
      this.status,
      this.result,
      this.list,
      el("div", { className: "dialog-actions" }, this.writeButton),
    );
    document.body.append(this.dialog);
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    this.excluded.clear();
    this.ready = null;
    this.result.hidden = true;
    fill(this.list);
    if (!this.dialog.open) this.dialog.showModal();
    this.dialog.querySelector("#training-title").focus();
    this.request();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  async request() {
    this.status.textContent = "Preparing the training data…";
    this.writeButton.disabled = true;
    try {
      await this.conn.request("training.review", { session_id: this.sessionId(), excluded: [...this.excluded] });
    } catch (error) {
      this.status.textContent = `The training data could not be prepared: ${error.message || error}`;
    }
  }

  /** Session events: training.ready redraws the list, training.exported shows the result. */
  onEvent(frame) {
    if (!this.dialog.open || frame.session_id !== this.sessionId()) return;
    if (frame.type === "training.ready") {
      this.ready = frame;
      this.render();
    } else if (frame.type === "training.exported") {
      this.ready = frame;
      this.render();
      fill(
        this.result,
        el("p", {}, `${plural(frame.records, "turn")} written to `, el("code", {}, frame.path), "."),
        el("p", { className: "small muted" }, `Export policy ${frame.policy_version}.`),
      );
      this.result.hidden = false;
      this.result.focus();
    }
  }

  render() {
    const turns = this.ready.turns || [];
    const kept = turns.filter((turn) => turn.decision !== "exclude").length;
    this.status.textContent = `${plural(kept, "turn")} of ${turns.length} would be written (policy ${this.ready.policy_version}).`;
    this.writeButton.disabled = false;
    this.writeButton.textContent = `Write ${plural(kept, "turn")} to the training file`;
    fill(this.list, turns.map((turn) => this.renderTurn(turn)));
  }

  renderTurn(turn) {
    const byPerson = this.excluded.has(turn.question_id);
    const lockedOut = turn.decision === "exclude" && !byPerson;
    const box = el("input", {
      type: "checkbox",
      checked: turn.decision !== "exclude",
      disabled: lockedOut,
      attrs: { "aria-label": `Include ${turn.question_id} in the training file` },
      on: { change: (event) => this.toggle(turn.question_id, !event.target.checked) },
    });
    const reasons = turn.reasons.length ? ` (${turn.reasons.join(", ")})` : "";
    return el(
      "li",
      { dataset: { questionId: turn.question_id, decision: turn.decision } },
      el("label", { className: "q-meta" }, box, ` ${turn.question_id.toUpperCase()} · ${categoryLabel(turn.category)} · ${DECISION_LABELS[turn.decision]}${reasons}`),
      turn.decision === "exclude"
        ? null
        : [el("p", { className: "question-text" }, turn.question), el("p", { className: "answer-text" }, turn.answer)],
    );
  }

  toggle(questionId, leaveOut) {
    if (leaveOut) this.excluded.add(questionId);
    else this.excluded.delete(questionId);
    this.result.hidden = true;
    this.request();
  }

  async write() {
    this.writeButton.disabled = true;
    this.status.textContent = "Writing the training file…";
    try {
      await this.conn.request("training.export", { session_id: this.sessionId(), excluded: [...this.excluded] });
    } catch (error) {
      this.status.textContent = `Nothing was written: ${error.message || error}`;
      this.writeButton.disabled = false;
    }
  }
}
