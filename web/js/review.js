// The review dialog (transcript, evidence, strategy, per-change checkboxes, side-by-side diff,
// apply/discard) and the read-only transcript dialog.

import { $, el, fill, clear, formatDate, plural } from "./dom.js";
import { renderDiff } from "./diff.js";
import { categoryLabel, questionText } from "./model.js";
import { editableFields, hasContent, isEvidence, mainText, sentence } from "./review-rows.js";

const SELECTION_DELAY_MS = 150;

const STRATEGY_ORDER = ["merge", "replace", "append"];
const STRATEGY_LABELS = { merge: "Merge", replace: "Replace", append: "Append" };

// Draft sections in the order people read them, with how to show one item.
const DRAFT_SECTIONS = [
  ["values", "Values", (item) => [item.value, item.description]],
  ["boundaries", "Boundaries", (item) => [item.text]],
  ["goals", "Goals", (item) => [item.goal, { shortTerm: "short term", midTerm: "mid term", longTerm: "long term" }[item.horizon] || item.horizon]],
  ["traits", "Personality traits", (item) => [`${item.trait}: ${Math.round(item.score * 100)} %`]],
  ["tone", "Tone", (item) => [item.text]],
  ["verbosity", "Verbosity", (item) => [item.text]],
  ["interests", "Interests", (item) => [item.text]],
  ["key_experiences", "Key experiences", (item) => [item.text]],
  ["narrative", "Your story", (item) => [item.text]],
  ["current_focus", "Current focus", (item) => [item.text]],
  ["projects", "Projects", (item) => [item.text]],
  ["domains", "Domains", (item) => [item.text]],
];

/** A compact one-line rendering of a JSON value for the change list. */
function brief(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 240 ? `${text.slice(0, 237)}…` : text;
}

/** The file name `personagen persona restore` takes, from a backup path. */
export function restoreHint(backup) {
  return backup ? `personagen persona restore ${backup.split("/").pop()}` : null;
}

/** Questions and answers of a session view as list items (plain text, never JSON). */
export function renderTranscript(list, view) {
  clear(list);
  const questions = (view && view.questions) || [];
  if (!questions.length) {
    list.append(el("li", { className: "muted" }, "No questions were asked yet."));
    return;
  }
  questions.forEach((question, index) => {
    let answer;
    if (question.skipped) answer = el("p", { className: "answer skipped" }, "Skipped");
    else if (question.answer) {
      answer = el(
        "div",
        { className: "answer" },
        el("p", { className: "answer-text" }, question.answer.text),
        question.answer.crisis ? el("p", { className: "small muted" }, "Set aside: this answer is not used in your persona or the training data.") : null,
      );
    } else answer = el("p", { className: "answer skipped" }, "Not answered");
    list.append(
      el(
        "li",
        { dataset: { questionId: question.id } },
        el("p", { className: "q-meta" }, `Question ${index + 1} · ${categoryLabel(question.category)}`),
        el("p", { className: "question-text" }, question.text),
        answer,
      ),
    );
  });
}

export class ReviewDialog {
  /**
   * @param {object} options
   * @param {import("./connection.js").Connection} options.conn
   * @param {() => object|null} options.view       the open session's view
   * @param {() => string|null} options.sessionId  the open session's id
   * @param {() => void} options.onChanged         the session was applied or discarded
   */
  constructor({ conn, view, sessionId, onChanged, onShowPersona }) {
    this.conn = conn;
    this.onShowPersona = onShowPersona;
    this.edits = new Map(); // change id -> {field: text} (field "" for a string item)
    this.editing = new Set(); // change ids whose wording form is open
    this.selectionTimer = null;
    this.selectionSerial = 0;
    this.seenProposed = new Map(); // strategy -> JSON of its full proposal, to spot equal results
    this.view = view;
    this.sessionId = sessionId;
    this.onChanged = onChanged;
    this.dialog = $("#review-dialog");
    this.strategy = "merge";
    this.ready = null; // the review.ready frame on show
    this.waiting = false; // a review.request is out
    this.unticked = new Set();
    this.applying = false;
    this.applied = null;
    this.forSession = null;
    $("#review-close").addEventListener("click", () => this.close());
    $("#apply-button").addEventListener("click", () => this.apply());
    $("#review-refresh").addEventListener("click", () => this.request(this.strategy));
    $("#review-discard").addEventListener("click", () => this.toggleDiscard(true));
    $("#review-discard-no").addEventListener("click", () => this.toggleDiscard(false));
    $("#review-discard-yes").addEventListener("click", () => this.discard());
    this.dialog.addEventListener("close", () => this.toggleDiscard(false, false));
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    this.ready = null;
    this.applied = null;
    this.unticked.clear();
    this.edits.clear();
    this.editing.clear();
    this.seenProposed.clear();
    $("#review-note").hidden = false;
    $("#review-conflict").hidden = true;
    $("#review-result").hidden = true;
    $("#review-body").hidden = true;
    $("#review-actions").hidden = false;
    this.toggleDiscard(false, false);
    if (!this.dialog.open) this.dialog.showModal();
    $("#review-title").focus();
    // Reopening keeps the strategy chosen last for this session; otherwise the server's choice.
    const view = this.view();
    if (this.forSession !== this.sessionId()) {
      this.forSession = this.sessionId();
      this.strategy = (view && view.review && view.review.strategy) || "merge";
    }
    this.request(this.strategy);
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  status(text) {
    $("#review-status").textContent = text;
  }

  request(strategy) {
    this.strategy = strategy;
    this.waiting = true;
    $("#review-conflict").hidden = true;
    const view = this.view();
    this.status(
      view && view.state === "completed"
        ? "Reading your answers to draft the update… this can take a moment."
        : `Preparing the ${STRATEGY_LABELS[strategy] || strategy} preview…`,
    );
    this.renderActions();
    this.conn
      .request("review.request", { session_id: this.sessionId(), strategy }, { resend: true })
      .catch((error) => {
        this.waiting = false;
        this.status(`The review could not be prepared: ${error.message}`);
        this.renderActions();
      });
  }

  /** Session events the dialog cares about (only while it is open). */
  onEvent(frame) {
    if (!this.dialog.open) return;
    if (frame.type === "review.extracting") {
      this.status(`Reading your answers with the ${frame.backend}…`);
    } else if (frame.type === "review.ready") {
      if (frame.strategy !== this.strategy) return; // an older request; the newer one follows
      // Rewordings follow their change across previews while its id (identity, kind,
      // values) stays the same; a change that is gone takes its rewording with it.
      const ids = new Set((frame.changes || []).map((change) => change.id));
      for (const id of [...this.edits.keys()]) if (!ids.has(id)) this.edits.delete(id);
      for (const id of [...this.editing]) if (!ids.has(id)) this.editing.delete(id);
      this.ready = frame;
      this.seenProposed.set(frame.strategy, JSON.stringify(frame.proposed));
      this.waiting = false;
      this.status("");
      this.render();
      if (this.edits.size || this.unticked.size) this.scheduleSelection();
    } else if (frame.type === "session.applied" && !this.applying) {
      // Applied from another tab; our own apply shows its result when its ack arrives.
      this.showApplied(frame);
    }
  }

  render() {
    const ready = this.ready;
    if (!ready) return;
    $("#review-body").hidden = false;
    this.renderStrategies(ready);
    this.renderChanges(ready);
    this.renderDiff(ready);
    this.renderDraft(ready);
    renderTranscript($("#review-transcript"), this.view());
    this.renderActions();
  }

  renderStrategies(ready) {
    const set = $("#strategy-set");
    const legend = set.querySelector("legend");
    clear(set);
    set.append(legend);
    const descriptions = ready.strategies || {};
    for (const name of STRATEGY_ORDER) {
      if (!(name in descriptions)) continue;
      const id = `strategy-${name}`;
      const input = el("input", {
        type: "radio",
        name: "strategy",
        id,
        value: name,
        checked: name === this.strategy,
        attrs: { "aria-describedby": `${id}-help` },
        on: { change: () => this.request(name) },
      });
      set.append(
        el(
          "div",
          { className: "strategy" },
          input,
          el("label", { htmlFor: id }, STRATEGY_LABELS[name] || name),
          el("p", { id: `${id}-help`, className: "small muted" }, descriptions[name]),
        ),
      );
    }
  }

  visibleChanges(ready) {
    return (ready.changes || []).filter((change) => !isEvidence(change));
  }

  renderChanges(ready) {
    const list = $("#change-list");
    clear(list);
    const changes = this.visibleChanges(ready);
    if (!changes.length) {
      list.append(el("li", { className: "muted" }, "No changes: your persona already says all of this."));
      return;
    }
    for (const change of changes) list.append(this.changeRow(ready, change));
    if ((ready.changes || []).some(isEvidence)) {
      list.append(
        el("li", { className: "small muted" }, "Which answer supports each item is saved with it automatically (under x-personagen in core.json), for the items you apply."),
      );
    }
  }

  changeRow(ready, change) {
    const id = `change-${change.id}`;
    const box = el("input", {
      type: "checkbox",
      id,
      checked: !this.unticked.has(change.id),
      dataset: { changeId: change.id },
      on: {
        change: (event) => {
          if (event.target.checked) this.unticked.delete(change.id);
          else this.unticked.add(change.id);
          this.renderActions();
          this.scheduleSelection();
        },
      },
    });
    const edit = this.edits.get(change.id);
    const editedMain = edit ? edit.value || edit.goal || edit.text || edit[""] || null : null;
    const words = sentence(change, ready, this.view(), editedMain);
    const fields = editableFields(change);
    const row = el(
      "li",
      { className: `change kind-${change.kind}`, dataset: { changeId: change.id } },
      box,
      el(
        "label",
        { htmlFor: id },
        el("span", { className: "summary" }, words.lead, words.subject ? [" ", el("em", {}, words.subject)] : null),
        words.source ? el("span", { className: "small muted" }, words.source) : null,
        edit ? el("span", { className: "small" }, "Reworded by you") : null,
      ),
      el(
        "details",
        { className: "path" },
        el("summary", {}, "Details"),
        el("p", {}, el("code", {}, change.path), ` · ${change.kind}`),
        change.old !== null && change.old !== undefined ? el("p", { className: "old" }, "was: ", brief(change.old)) : null,
        change.new !== null && change.new !== undefined ? el("p", { className: "new" }, "becomes: ", brief(this.editedValue(change))) : null,
      ),
    );
    if (fields.length && !this.unticked.has(change.id)) row.append(this.wordingForm(change, fields));
    return row;
  }

  editedValue(change) {
    const edit = this.edits.get(change.id);
    if (!edit) return change.new;
    if (typeof change.new === "string") return edit[""];
    return { ...change.new, ...edit };
  }

  wordingForm(change, fields) {
    const open = this.editing.has(change.id);
    const holder = el("div", { className: "edit-item" });
    if (!open) {
      holder.append(
        el("button", { type: "button", className: "linkish", on: { click: () => this.toggleWording(change.id, true) } }, "Edit the wording"),
      );
      return holder;
    }
    const current = this.edits.get(change.id) || {};
    for (const [field, text] of fields) {
      const inputId = `edit-${change.id}-${field || "text"}`;
      const input = el(field === "description" ? "textarea" : "input", {
        id: inputId,
        value: field in current ? current[field] : text,
        attrs: { maxlength: 2000 },
        on: { input: (event) => this.setEdit(change, field, event.target.value) },
      });
      input.value = field in current ? current[field] : text;
      holder.append(el("label", { htmlFor: inputId }, field ? mainLabel(field) : "Text"), input);
    }
    holder.append(
      el("div", {}, el("button", { type: "button", on: { click: () => this.toggleWording(change.id, false) } }, "Done editing"),
        " ",
        this.edits.has(change.id) ? el("button", { type: "button", className: "linkish", on: { click: () => this.resetWording(change.id) } }, "Undo my rewording") : null),
    );
    return holder;
  }

  toggleWording(changeId, open) {
    if (open) this.editing.add(changeId);
    else this.editing.delete(changeId);
    this.renderChanges(this.ready);
    const target = document.querySelector(open ? `#change-list li[data-change-id="${changeId}"] .edit-item input, #change-list li[data-change-id="${changeId}"] .edit-item textarea` : `#change-list li[data-change-id="${changeId}"] input[type=checkbox]`);
    if (target) target.focus();
  }

  resetWording(changeId) {
    this.edits.delete(changeId);
    this.editing.delete(changeId);
    this.renderChanges(this.ready);
    this.scheduleSelection();
  }

  setEdit(change, field, text) {
    const original = typeof change.new === "string" ? change.new : change.new[field];
    const edit = { ...(this.edits.get(change.id) || {}) };
    if (text.trim() === String(original).trim()) delete edit[field];
    else edit[field] = text;
    if (Object.keys(edit).length) this.edits.set(change.id, edit);
    else this.edits.delete(change.id);
    this.scheduleSelection();
  }

  /** Ask the server what applying these ticks and rewordings would write; show that. */
  scheduleSelection() {
    clearTimeout(this.selectionTimer);
    $("#diff-summary").textContent = "Updating the proposed side…";
    this.selectionTimer = setTimeout(() => this.fetchSelection(), SELECTION_DELAY_MS);
  }

  async fetchSelection() {
    const ready = this.ready;
    if (!ready) return;
    const serial = ++this.selectionSerial;
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(this.sessionId())}/selection`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(this.applyFields()),
      });
      const body = await response.json();
      if (serial !== this.selectionSerial || ready !== this.ready) return;
      if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
      this.renderDiff(ready, body.persona);
    } catch (error) {
      if (serial === this.selectionSerial) $("#diff-summary").textContent = `The proposed side could not be updated: ${error.message}`;
    }
  }

  /** The review.apply fields for what is ticked and reworded now (evidence goes along). */
  applyFields() {
    const ready = this.ready;
    const edits = {};
    const chosen = new Set(this.chosen());
    for (const [id, edit] of this.edits) {
      if (!chosen.has(id)) continue;
      const change = ready.changes.find((c) => c.id === id);
      edits[id] = typeof change.new === "string" ? edit[""] : edit;
    }
    return { strategy: ready.strategy, base_digest: ready.base_digest, change_ids: this.chosen(), edits: Object.keys(edits).length ? edits : null };
  }

  renderDiff(ready, proposed = null) {
    const shown = proposed || ready.proposed;
    const { table, removed, added, unchanged } = renderDiff(ready.current, shown);
    fill($("#diff-box"), table);
    $("#diff-box").dataset.strategy = ready.strategy;
    $("#diff-box").dataset.selection = proposed ? "chosen" : "all";
    $("#diff-summary").textContent = unchanged
      ? "With what is ticked, core.json stays as it is."
      : `${plural(removed, "line")} removed or changed on the left, ${plural(added, "line")} added or changed on the right: exactly what Apply writes with what is ticked now (${STRATEGY_LABELS[ready.strategy] || ready.strategy}).`;
    this.renderSameNote(ready);
  }

  /** Say why switching strategies changes nothing, when it does not. */
  renderSameNote(ready) {
    const note = $("#strategy-same");
    const mine = this.seenProposed.get(ready.strategy);
    const twins = [...this.seenProposed].filter(([name, json]) => name !== ready.strategy && json === mine).map(([name]) => STRATEGY_LABELS[name] || name);
    let text = "";
    if (!hasContent(ready.current)) {
      text = "Your persona is empty so far, so Merge, Replace and Append all give the same result: they only differ in what happens to entries that are already there.";
    } else if (twins.length) {
      text = `${twins.join(" and ")} gave the same result here: the interview found nothing that those strategies treat differently in your current persona.`;
    }
    note.textContent = text;
    note.hidden = !text;
  }

  renderDraft(ready) {
    const box = $("#draft-box");
    clear(box);
    const draft = ready.draft || {};
    const view = this.view();
    let any = false;
    for (const [key, label, describe] of DRAFT_SECTIONS) {
      const value = draft[key];
      const items = Array.isArray(value) ? value : value ? [value] : [];
      if (!items.length) continue;
      any = true;
      const list = el("ul", { className: "draft-items" });
      for (const item of items) {
        const [main, secondary] = describe(item);
        const evidence = (item.evidence || []).map((qid) => {
          const text = questionText(view, qid);
          return el("li", {}, el("span", { className: "qid" }, qid.toUpperCase()), " ", text || "(question not found)");
        });
        list.append(
          el(
            "li",
            {},
            el("p", { className: "draft-main" }, main),
            secondary ? el("p", { className: "small" }, secondary) : null,
            el(
              "details",
              { className: "evidence" },
              el("summary", {}, `Based on ${plural(evidence.length, "answer")} · confidence ${Math.round((item.confidence || 0) * 100)} %`),
              el("ol", {}, evidence),
            ),
          ),
        );
      }
      box.append(el("h4", {}, label), list);
    }
    if (!any) box.append(el("p", { className: "muted" }, "The interview did not find anything to add."));
    // Special-category clauses the extractor left out of an item (the rest of the item is kept).
    const held = draft.held_back || [];
    if (held.length) {
      box.append(
        el("h4", {}, "Held back (not written to core.json)"),
        el("ul", { className: "draft-items held-back" }, held.map((h) =>
          el("li", {}, el("p", { className: "draft-main" }, `“${h.clause}” (${(h.categories || []).join(", ")})`),
            el("p", { className: "small" }, `Left out of “${h.item}”. Add it to your persona yourself if you want it there.`)))),
      );
    }
    if (ready.notes && ready.notes.length) {
      box.append(el("ul", { className: "small muted" }, ready.notes.map((note) => el("li", {}, note))));
    }
  }

  /** The ticked visible change ids (evidence changes are added by the server). */
  chosen() {
    return ((this.ready && this.ready.changes) || []).filter((c) => !isEvidence(c)).map((c) => c.id).filter((id) => !this.unticked.has(id));
  }

  renderActions() {
    const button = $("#apply-button");
    const count = this.chosen().length;
    const total = this.ready ? this.visibleChanges(this.ready).length : 0;
    button.disabled = this.waiting || this.applying || !this.ready || count === 0 || Boolean(this.applied);
    button.textContent = this.applying
      ? "Applying…"
      : count === total
        ? `Apply ${plural(count, "change")}`
        : `Apply ${count} of ${plural(total, "change")}`;
    document.querySelectorAll("#strategy-set input").forEach((input) => {
      input.disabled = this.applying;
    });
  }

  async apply() {
    const ready = this.ready;
    if (!ready || this.applying) return;
    this.applying = true;
    $("#review-conflict").hidden = true;
    this.renderActions();
    try {
      const fields = this.applyFields();
      const visible = fields.change_ids.length;
      const ack = await this.conn.request("review.apply", { session_id: this.sessionId(), ...fields });
      this.showApplied({ strategy: ready.strategy, change_ids: ack.change_ids, visible, edited: fields.edits ? Object.keys(fields.edits).length : 0, backup: ack.backup, restore_hint: restoreHint(ack.backup) });
    } catch (error) {
      if (error.code === "conflict") {
        $("#review-conflict").hidden = false;
        this.status("");
      } else {
        this.status(`Not applied: ${error.message}`);
      }
    } finally {
      this.applying = false;
      this.renderActions();
    }
  }

  showApplied(result) {
    if (this.applied) return;
    this.applied = result;
    const box = $("#review-result");
    const hint = result.restore_hint || restoreHint(result.backup);
    const known = (this.ready && this.ready.changes) || [];
    const count = result.visible ?? result.change_ids.filter((id) => !known.some((c) => c.id === id && isEvidence(c))).length;
    const backupName = result.backup ? result.backup.split("/").pop() : null;
    fill(
      box,
      el("h3", {}, "Applied: your persona is updated"),
      el(
        "p",
        {},
        `${plural(count, "change")} written to your core.json with the ${STRATEGY_LABELS[result.strategy] || result.strategy} strategy`,
        result.edited ? `, ${plural(result.edited, "item")} in your own wording` : "",
        ".",
      ),
      result.backup
        ? [
            el(
              "p",
              {},
              "The previous version was saved as ",
              el("a", { href: `/api/persona/backups/${encodeURIComponent(backupName)}`, target: "_blank", rel: "noopener", className: "backup-link" }, el("code", {}, result.backup)),
              ". You can restore it from Your persona → History.",
            ),
            el("p", { className: "small muted" }, "Or on the server: ", el("code", { className: "restore-hint" }, hint)),
          ]
        : el("p", {}, "There was no core.json before, so no backup was needed."),
      el(
        "div",
        { className: "composer-actions" },
        el("button", { type: "button", className: "primary", on: { click: () => (this.close(), this.onShowPersona && this.onShowPersona()) } }, "See your persona"),
        el("button", { type: "button", on: { click: () => this.close() } }, "Done"),
      ),
    );
    $("#review-note").hidden = true;
    box.hidden = false;
    $("#review-body").hidden = true;
    $("#review-actions").hidden = true;
    $("#review-conflict").hidden = true;
    this.status("");
    box.focus();
    this.onChanged();
  }

  toggleDiscard(show, focus = true) {
    $("#review-discard-confirm").hidden = !show;
    $("#review-discard").hidden = show;
    if (focus) (show ? $("#review-discard-no") : $("#review-discard")).focus();
  }

  async discard() {
    try {
      await this.conn.request("session.discard", { session_id: this.sessionId() });
      this.close();
      this.onChanged();
    } catch (error) {
      this.status(`Not discarded: ${error.message}`);
    }
  }
}

/** The read-only dialog for a finished interview, from GET /api/sessions/{id}. */
export class TranscriptDialog {
  constructor() {
    this.dialog = $("#transcript-dialog");
    $("#transcript-close").addEventListener("click", () => this.dialog.close());
  }

  async open(summary) {
    const info = $("#transcript-info");
    fill(info, el("p", {}, "Loading…"));
    clear($("#transcript-list"));
    $("#transcript-dialog-title").textContent = `Interview of ${formatDate(summary.created_at)}`;
    if (!this.dialog.open) this.dialog.showModal();
    $("#transcript-dialog-title").focus();
    let view;
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(summary.session_id)}`, {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      view = await response.json();
      if (!response.ok) throw new Error((view.error && view.error.message) || `HTTP ${response.status}`);
    } catch (error) {
      fill(info, el("p", { className: "error" }, `Could not load it: ${error.message}`));
      return;
    }
    const application = view.application;
    fill(
      info,
      el("p", {}, `${summary.state === "applied" ? "Applied" : summary.state === "discarded" ? "Discarded" : "Finished"} · interviewer: ${view.backend}`),
      application
        ? el(
            "p",
            {},
            `Applied ${formatDate(application.applied_at)} with the ${application.strategy} strategy.`,
            application.backup ? [" Backup: ", el("code", {}, application.backup), ". Restore with ", el("code", {}, restoreHint(application.backup)), "."] : "",
          )
        : null,
      el("p", {}, el("a", { href: `/api/sessions/${encodeURIComponent(summary.session_id)}?format=markdown`, download: `${summary.session_id}.md` }, "Download the transcript as Markdown")),
    );
    renderTranscript($("#transcript-list"), view);
  }
}

function mainLabel(field) {
  return { value: "Value", goal: "Goal", description: "In your words", text: "Text" }[field] || field.charAt(0).toUpperCase() + field.slice(1);
}
