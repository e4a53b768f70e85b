// The Persona tab: shell, interview, progress, drafts, banners, history and crisis handling.

import { Connection } from "./connection.js";
import { $, el, fill, clear, formatDate, plural } from "./dom.js";
import * as model from "./model.js";
import * as drafts from "./drafts.js";
import { ReviewDialog, TranscriptDialog } from "./review.js";
import { PersonaView, renderServer } from "./persona-view.js";
import { applySummaryEvent, renderSummaries } from "./summary.js";
import { TrainingDialog } from "./training.js";

const DRAFT_DEBOUNCE_MS = 1200;

/** Text as the server accepts it: a lone UTF-16 surrogate (a broken paste) becomes U+FFFD. */
function wellFormed(text) {
  return typeof text.toWellFormed === "function" ? text.toWellFormed() : text;
}
const IDLE_BEFORE_ASK_AGAIN_MS = 1500;
const UNFINISHED = new Set(["active", "paused", "completed", "finalized"]);

const app = {
  conn: null,
  name: "", // the person's name as their persona uses it (identity.name); "" until they give it
  personaView: null,
  user: null, // the login name (drafts kept in this browser are per user)
  config: null, // welcome.config
  sessionId: null, // the session on screen
  view: null, // its model (see model.js)
  sessions: [], // summaries for banners and history
  myConnections: new Set(), // our connection ids, old and new (for draft.saved "by")
  submitting: false,
  idleTimer: null,
  snapshotWaiters: [],
  review: null,
  transcript: null,
  discardingBanner: null, // session id whose banner shows the discard confirmation
  editing: null, // {questionId, text, error} while an earlier answer is being edited
  edited: new Map(), // question id -> what the page told the person after an edit
};

const CTRL_ENTER_KEY = "personagen.sendWithCtrlEnter";

// Unsent answer text for the open question, kept in step with the server's draft revisions.
const draft = {
  questionId: null,
  baseRev: 0, // the newest revision the server has (ours or another tab's)
  sentText: "", // what the server has at baseRev
  inFlight: false,
  timer: null,
  conflict: null, // {text, rev} of the other tab's version
  offer: null, // {text, from} a version not chosen after a reconnect or reload, offered to the person
};

// -- shell ----------------------------------------------------------------------------------

function setupTabs(listId, onSelect = () => {}) {
  const tabs = [...$(listId).querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    onSelect(tab.id);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: tabs.length - 1 - index };
      if (!(event.key in moves)) return;
      event.preventDefault();
      select(tabs[(index + moves[event.key] + tabs.length) % tabs.length], true);
    });
  });
}

const STATUS_TEXT = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline: will reconnect",
  closed: "Disconnected",
  "logged-out": "Not logged in",
};

function showStatus({ status, retryInMs }) {
  const node = $("#conn");
  node.dataset.status = status;
  document.body.dataset.connection = status;
  let text = STATUS_TEXT[status] || status;
  if (status === "reconnecting" && retryInMs > 1500) text = `Reconnecting… (next try in ${Math.round(retryInMs / 1000)} s)`;
  node.textContent = text;
  renderInterview();
}

function connected() {
  return app.conn && app.conn.ready;
}

function toast(text) {
  const node = $("#toast");
  node.textContent = text;
  node.hidden = !text;
  clearTimeout(toast.timer);
  if (text) toast.timer = setTimeout(() => (node.hidden = true), 8000);
}

function showLogin(reason) {
  $("#login-panel").hidden = false;
  $("#login-reason").textContent = reason;
  $("#panel-persona").hidden = true;
  $("#panel-server").hidden = true;
  $("#main-tabs").hidden = true;
  $("#logout-form").hidden = true;
  $("#who").hidden = true;
}

function setName(name) {
  app.name = name;
  $("#start-name").hidden = Boolean(name);
  if (app.user) $("#who-name").textContent = name ? `${name} (${app.user})` : app.user;
}

function showIdentity(user, backend) {
  $("#who-name").textContent = app.name ? `${app.name} (${user})` : user;
  $("#who").hidden = false;
  $("#logout-form").hidden = false;
  if (backend && backend.label) {
    $("#interviewer-label").textContent = backend.label;
    $("#interviewer").title = backend.reason || "";
    $("#interviewer").hidden = false;
  }
}

// -- sessions: open, close, snapshot --------------------------------------------------------

function waitForSnapshot(sessionId) {
  return new Promise((resolve) => app.snapshotWaiters.push({ sessionId, resolve }));
}

async function openSession(sessionId, { resume = false, review = false } = {}) {
  if (app.sessionId && app.sessionId !== sessionId) app.conn.forget(app.sessionId);
  app.sessionId = sessionId;
  app.view = null;
  app.editing = null;
  app.edited.clear();
  resetDraft(null);
  renderAll();
  const snapshot = waitForSnapshot(sessionId);
  try {
    await app.conn.open(sessionId);
  } catch (error) {
    toast(`Could not open the interview: ${error.message}`);
    closeSession();
    return;
  }
  await snapshot;
  if (app.sessionId !== sessionId || !app.view) return;
  if (resume && app.view.state === "paused" && app.view.pause_reason !== "crisis") {
    await command("session.resume");
  }
  if (review && (app.view.state === "completed" || app.view.state === "finalized")) {
    app.review.open();
  }
  scrollConversationToEnd();
  focusComposer();
}

function scrollConversationToEnd() {
  const scroller = $("#conversation");
  scroller.scrollTop = scroller.scrollHeight;
}

function closeSession() {
  if (app.sessionId) app.conn.forget(app.sessionId);
  app.sessionId = null;
  app.view = null;
  resetDraft(null);
  renderAll();
  refreshSessions();
}

async function startInterview() {
  const button = $("#start-button");
  // The first interview asks the person's name: the persona and its training prompt use it.
  const typed = $("#start-name").hidden ? "" : $("#start-name-input").value.trim();
  button.disabled = true;
  try {
    if (typed && !(await app.personaView.saveName(typed))) {
      toast($("#name-status").textContent);
      return;
    }
    const ack = await app.conn.request("session.start");
    if (app.sessionId && app.sessionId !== ack.session_id) app.conn.forget(app.sessionId);
    app.sessionId = ack.session_id;
    app.view = null;
    resetDraft(null);
    renderAll();
    refreshSessions();
  } catch (error) {
    toast(`Could not start an interview: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

/** A session command for the open session; errors are shown, not thrown. */
async function command(type, fields = {}) {
  if (!app.sessionId) return null;
  try {
    return await app.conn.request(type, { session_id: app.sessionId, ...fields });
  } catch (error) {
    toast(error.message);
    return null;
  }
}

function onSessionFrame(frame) {
  if (frame.session_id !== app.sessionId) return;
  if (frame.type === "session.snapshot") {
    app.view = model.fromSnapshot(frame.session);
    reconcileDraft();
    renderAll();
    for (const waiter of app.snapshotWaiters.filter((w) => w.sessionId === frame.session_id)) waiter.resolve();
    app.snapshotWaiters = app.snapshotWaiters.filter((w) => w.sessionId !== frame.session_id);
    return;
  }
  if (frame.type === "replay") {
    document.body.dataset.replays = String(app.conn.stats.replays);
    return;
  }
  if (!app.view) return;
  if (applySummaryEvent(app.view, frame)) return renderSummaries(app.view, $("#summaries"), command);
  const kind = model.applyEvent(app.view, frame);
  switch (kind) {
    case "question.delta":
    case "question.reset":
      renderStreamingText();
      break;
    case "question.start":
      renderAll();
      scrollConversationToEnd();
      break;
    case "question.end":
      reconcileDraft();
      renderAll();
      scrollConversationToEnd();
      focusComposer();
      break;
    case "answer.recorded":
    case "question.skipped":
      if (draft.questionId === frame.question_id) {
        $("#answer").value = "";
        resetDraft(null);
        drafts.dropLocal(app.user, app.sessionId);
      }
      renderAll();
      break;
    case "draft.saved":
      onDraftSaved(frame);
      break;
    case "session.state":
      // No question can be answered any more: this browser's copy of a draft has no use.
      if (!["active", "paused"].includes(frame.state)) drafts.dropLocal(app.user, frame.session_id);
      renderAll();
      if (frame.state === "discarded") {
        toast("The interview was discarded.");
        closeSession();
      } else if (frame.crisis_message) {
        $("#crisis").focus();
      }
      refreshSessions();
      break;
    case "session.applied":
      renderAll();
      refreshSessions();
      break;
    case null:
      break;
    default:
      renderAll();
  }
  if (kind && kind.startsWith("review.") || kind === "session.applied") app.review.onEvent(frame);
  if (frame.type.startsWith("training.")) app.training.onEvent(frame);
}

// -- drafts ---------------------------------------------------------------------------------

function resetDraft(questionId) {
  clearTimeout(draft.timer);
  Object.assign(draft, { questionId, baseRev: 0, sentText: "", inFlight: false, timer: null, conflict: null, offer: null });
  renderDraftConflict();
  renderDraftOffer();
  setDraftStatus("");
}

/** Keep this browser's copy of the box in step (acked: the server confirmed exactly this text). */
function rememberLocal(acked = false) {
  if (!draft.questionId || !app.sessionId) return;
  const text = $("#answer").value;
  drafts.saveLocal(app.user, app.sessionId, { question_id: draft.questionId, text, base_rev: draft.baseRev, acked });
}

/** Line the answer box up with the view after a snapshot or a new question. */
function reconcileDraft() {
  const pending = model.pendingQuestion(app.view);
  const textarea = $("#answer");
  if (!pending) {
    if (draft.questionId) {
      textarea.value = "";
      resetDraft(null);
    }
    return;
  }
  const saved = app.view.draft && app.view.draft.question_id === pending.id ? app.view.draft : null;
  if (draft.questionId !== pending.id) {
    loadDraftFor(pending.id, saved);
    return;
  }
  // Same question (a reconnect or a resync): decide again from what the server has.
  const serverText = saved ? saved.text : "";
  const serverRev = saved ? saved.rev : 0;
  draft.conflict = null;
  if (textarea.value === serverText) {
    // The server has exactly what is in the box (perhaps saved just before a drop).
    draft.sentText = serverText;
    draft.baseRev = serverRev;
    if (serverText) setDraftStatus("Draft saved");
  } else if (serverRev <= draft.baseRev) {
    // Nobody saved anything newer than what this text was typed on; a server that lost
    // revisions in a crash has an older one. The box wins; the server's copy is offered.
    const lost = serverRev < draft.baseRev || textarea.value === draft.sentText;
    draft.sentText = serverText;
    draft.baseRev = serverRev;
    // Only a server that lost revisions has a different older version worth offering.
    if (serverText && lost) draft.offer = { text: serverText, from: "server" };
    setDraftStatus(lost ? "The server lost your latest draft; saving it again…" : "Unsaved changes");
    scheduleDraft(0);
  } else if (textarea.value === draft.sentText) {
    // Nothing typed since the last save here: another tab's newer text wins; ours is offered.
    if (textarea.value) draft.offer = { text: textarea.value, from: "browser" };
    textarea.value = serverText;
    draft.sentText = serverText;
    draft.baseRev = serverRev;
    setDraftStatus("Updated from another tab or device");
    rememberLocal(true);
  } else {
    draft.conflict = { text: serverText, rev: serverRev };
    setDraftStatus("Draft not saved: changed elsewhere");
  }
  renderDraftConflict();
  renderDraftOffer();
  updateCount();
}

/** A question newly on screen: the server's draft or this browser's copy, whichever is newer. */
function loadDraftFor(questionId, saved) {
  const textarea = $("#answer");
  resetDraft(questionId);
  const local = drafts.loadLocal(app.user, app.sessionId);
  const choice = drafts.chooseDraft(local, saved, questionId);
  textarea.value = choice.text;
  draft.baseRev = choice.serverRev;
  draft.sentText = saved ? saved.text : "";
  if (choice.other) draft.offer = { text: choice.other, from: choice.otherFrom };
  if (choice.localNewer) {
    setDraftStatus("Restored from this browser; saving…");
    scheduleDraft(0);
  } else if (saved) {
    setDraftStatus("Draft restored");
  }
  renderDraftOffer();
  updateCount();
}

function renderDraftOffer() {
  const box = $("#draft-offer");
  box.hidden = !draft.offer;
  if (!draft.offer) return;
  $("#draft-offer-title").textContent =
    draft.offer.from === "server"
      ? "The server has an older version of this answer. The box keeps your newer text."
      : "This browser had a different, older version of this answer. The box shows the newer one.";
  $("#draft-offer-text").textContent = draft.offer.text;
}

function takeOffer(use) {
  const offer = draft.offer;
  draft.offer = null;
  renderDraftOffer();
  if (!offer || !use) return;
  $("#answer").value = offer.text;
  updateCount();
  rememberLocal();
  setDraftStatus("Unsaved changes");
  scheduleDraft(0);
  $("#answer").focus();
}

function setDraftStatus(text) {
  $("#draft-status").textContent = text;
}

function scheduleDraft(delay = DRAFT_DEBOUNCE_MS) {
  clearTimeout(draft.timer);
  draft.timer = setTimeout(sendDraft, delay);
}

async function sendDraft() {
  draft.timer = null;
  const view = app.view;
  const pending = model.pendingQuestion(view);
  if (!pending || pending.id !== draft.questionId || draft.conflict || draft.inFlight) return;
  if (!connected() || !(view.state === "active" || view.state === "paused")) return;
  const text = $("#answer").value;
  if (text === draft.sentText) return;
  draft.inFlight = true;
  setDraftStatus("Saving draft…");
  const sessionId = app.sessionId;
  const questionId = draft.questionId;
  try {
    const ack = await app.conn.request(
      "draft.update",
      { session_id: sessionId, question_id: questionId, text: wellFormed(text), base_rev: draft.baseRev },
      { resend: false },
    );
    if (draft.questionId !== questionId) return;
    draft.baseRev = Math.max(draft.baseRev, ack.rev);
    draft.sentText = text;
    if ($("#answer").value === text) {
      setDraftStatus("Draft saved");
      rememberLocal(true);
    }
  } catch (error) {
    if (draft.questionId !== questionId) return;
    if (error.code === "conflict") {
      if (!draft.conflict) {
        draft.conflict = { text: null, rev: null };
        app.conn.resync(sessionId); // the snapshot brings the other version's text
      }
      renderDraftConflict();
      setDraftStatus("Draft not saved: changed elsewhere");
    } else if (error.code === "connection_lost") {
      setDraftStatus("Draft not saved yet: reconnecting");
    } else {
      setDraftStatus(`Draft not saved: ${error.message}`);
    }
  } finally {
    draft.inFlight = false;
  }
  if (draft.questionId === questionId && !draft.conflict && $("#answer").value !== draft.sentText) scheduleDraft();
}

function onDraftSaved(frame) {
  if (frame.question_id !== draft.questionId) return;
  if (app.myConnections.has(frame.by)) {
    // Our own save (possibly one whose ack was lost in a drop): the server has this text.
    if (frame.rev >= draft.baseRev) {
      draft.baseRev = frame.rev;
      draft.sentText = frame.text;
    }
    return;
  }
  const textarea = $("#answer");
  if (textarea.value === draft.sentText && !draft.inFlight && !draft.conflict) {
    textarea.value = frame.text;
    draft.sentText = frame.text;
    draft.baseRev = frame.rev;
    updateCount();
    rememberLocal(true);
    setDraftStatus("Updated from another tab or device");
  } else {
    draft.conflict = { text: frame.text, rev: frame.rev };
    renderDraftConflict();
    setDraftStatus("Draft not saved: changed elsewhere");
  }
}

function renderDraftConflict() {
  const box = $("#draft-conflict");
  box.hidden = !draft.conflict;
  if (!draft.conflict) return;
  const known = draft.conflict.text !== null;
  $("#draft-conflict-other").textContent = known ? draft.conflict.text || "(empty)" : "Loading the other version…";
  $("#conflict-theirs").disabled = !known;
  $("#conflict-mine").disabled = !known;
}

function resolveConflict(keepMine) {
  const conflict = draft.conflict;
  if (!conflict || conflict.text === null) return;
  draft.conflict = null;
  if (keepMine) {
    draft.baseRev = conflict.rev;
    draft.sentText = conflict.text;
    scheduleDraft(0);
  } else {
    $("#answer").value = conflict.text;
    draft.sentText = conflict.text;
    draft.baseRev = conflict.rev;
    rememberLocal(true);
    setDraftStatus("Using the other version");
  }
  renderDraftConflict();
  updateCount();
  $("#answer").focus();
}

// -- answering ------------------------------------------------------------------------------

function limits() {
  const config = app.config || {};
  return { min: config.min_answer_length || 0, max: config.max_answer_length || 2000 };
}

function updateCount() {
  const { min, max } = limits();
  const length = $("#answer").value.trim().length;
  const node = $("#answer-count");
  let text = `${length} / ${max} characters`;
  if (length < min) text += ` · at least ${min} (${min - length} more)`;
  node.textContent = text;
  node.dataset.state = length < min ? "short" : length > max ? "long" : "ok";
  renderComposerButtons();
}

async function submitAnswer() {
  const pending = model.pendingQuestion(app.view);
  if (!pending || app.submitting || app.view.state !== "active") return;
  const text = $("#answer").value;
  const { min, max } = limits();
  const length = text.trim().length;
  if (length < min || length > max) {
    showComposerError(length < min ? `Please write at least ${min} characters (${min - length} more).` : `Please keep it under ${max} characters.`);
    return;
  }
  clearTimeout(draft.timer);
  app.submitting = true;
  showComposerError("");
  renderComposerButtons();
  try {
    await app.conn.request("answer.submit", { session_id: app.sessionId, question_id: pending.id, text: wellFormed(text) });
    drafts.dropLocal(app.user, app.sessionId);
    if (draft.questionId === pending.id || draft.questionId === null) {
      $("#answer").value = "";
      resetDraft(null);
    }
  } catch (error) {
    showComposerError(error.message);
  } finally {
    app.submitting = false;
    renderInterview();
  }
}

async function skipQuestion() {
  const pending = model.pendingQuestion(app.view);
  if (!pending) return;
  await command("answer.skip", { question_id: pending.id });
}

function showComposerError(text) {
  const node = $("#composer-error");
  node.textContent = text;
  node.hidden = !text;
}

function focusComposer() {
  const textarea = $("#answer");
  const active = document.activeElement;
  // Never take the focus from a summary correction being typed.
  const idle = !active || active === document.body || (active.closest("#interview") && !active.closest("#summaries"));
  if (idle && !$("#composer").hidden && !textarea.readOnly && !app.review.isOpen) textarea.focus({ preventScroll: false });
}

// -- drawing --------------------------------------------------------------------------------

function renderAll() {
  renderInterview();
  renderProgress();
  renderBanners();
  renderHistory();
}

function questionNumber(view, id) {
  return view.questions.findIndex((q) => q.id === id) + 1;
}

function renderInterview() {
  const view = app.view;
  const open = Boolean(app.sessionId);
  $("#start-panel").hidden = open;
  $("#interview").hidden = !open;
  if (!open) return;
  if (!view) {
    $("#session-status").textContent = "Loading…";
    for (const id of ["#current", "#composer", "#done-panel", "#crisis", "#discard-confirm"]) $(id).hidden = true;
    clear($("#log"));
    return;
  }
  const progress = view.progress || {};
  const parts = [model.STATE_LABELS[view.state] || view.state];
  if (view.state === "paused" && view.pause_reason === "user") parts[0] = "Paused by you";
  parts.push(`${progress.answered || 0} of up to ${progress.max_questions || "?"} answered`);
  parts.push(`started ${formatDate(view.created_at)}`);
  $("#session-status").textContent = parts.join(" · ");
  renderControls(view);
  renderCrisis(view);
  renderLog(view);
  renderSummaries(view, $("#summaries"), command);
  renderCurrent(view);
  renderComposer(view);
  renderDone(view);
}

function renderControls(view) {
  const live = view.state === "active" || view.state === "paused";
  const canFinish = live && view.progress && view.progress.can_finish_early;
  const online = connected();
  $("#pause-button").hidden = view.state !== "active" || (app.config && app.config.allow_resume === false);
  $("#resume-button").hidden = !(view.state === "paused" && view.pause_reason !== "crisis");
  $("#finish-button").hidden = !canFinish;
  $("#discard-button").hidden = !UNFINISHED.has(view.state);
  for (const id of ["#pause-button", "#resume-button", "#finish-button", "#discard-button"]) $(id).disabled = !online;
  if (!UNFINISHED.has(view.state)) $("#discard-confirm").hidden = true;
}

function renderCrisis(view) {
  const show = view.state === "paused" && Boolean(view.crisis_message);
  const box = $("#crisis");
  box.hidden = !show;
  if (!show) return;
  const message = $("#crisis-message");
  clear(message);
  for (const paragraph of view.crisis_message.split("\n")) {
    if (paragraph.trim()) message.append(el("p", {}, paragraph));
  }
  $("#crisis-resume").disabled = !connected();
}

const EDITABLE = new Set(["active", "paused", "completed", "finalized"]);

function renderLog(view) {
  const log = $("#log");
  const scroller = $("#conversation");
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  const focused = document.activeElement && document.activeElement.id === "edit-text" ? document.activeElement : null;
  const caret = focused ? [focused.selectionStart, focused.selectionEnd] : null;
  clear(log);
  view.questions.forEach((question, index) => {
    if (question.id === view.pending_question_id) return;
    log.append(
      el(
        "li",
        { className: "turn", dataset: { questionId: question.id } },
        el("p", { className: "q-meta" }, `Question ${index + 1} · ${model.categoryLabel(question.category)}`),
        el("p", { className: "bubble question" }, question.text),
        renderAnswer(view, question),
      ),
    );
  });
  const again = caret && document.getElementById("edit-text");
  if (again) {
    again.focus();
    again.setSelectionRange(caret[0], caret[1]); // a redraw while typing keeps the caret
  }
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/** An earlier answer: its bubble with an Edit button, or the form that edits it in place. */
function renderAnswer(view, question) {
  if (question.skipped) return el("p", { className: "bubble answer skipped" }, "Skipped");
  if (!question.answer) return null;
  const editable = EDITABLE.has(view.state) && !question.answer.crisis;
  if (editable && app.editing && app.editing.questionId === question.id) return renderEditForm(question);
  const note = app.edited.get(question.id);
  return [
    el(
      "div",
      { className: "bubble answer" },
      el("span", { className: "visually-hidden" }, "Your answer: "),
      question.answer.text,
      question.answer.crisis ? el("p", { className: "small" }, "Set aside: not used in your persona.") : null,
    ),
    note ? el("p", { className: "edit-note", attrs: { role: "status" } }, note) : null,
    editable
      ? el(
          "button",
          {
            type: "button",
            className: "linkish edit-answer",
            attrs: { "aria-label": `Edit your answer to question ${questionNumber(view, question.id)}` },
            on: { click: () => startEdit(question) },
          },
          "Edit",
        )
      : null,
  ];
}

function renderEditForm(question) {
  const editing = app.editing;
  const textarea = el("textarea", { id: "edit-text", value: editing.text, attrs: { "aria-label": "Your edited answer" } });
  textarea.value = editing.text;
  textarea.addEventListener("input", () => (editing.text = textarea.value));
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Escape") cancelEdit();
    else if (isSendKey(event)) {
      event.preventDefault();
      saveEdit(question);
    }
  });
  return el(
    "form",
    { className: "edit-form", on: { submit: (event) => (event.preventDefault(), saveEdit(question)) } },
    textarea,
    editing.error ? el("p", { className: "error", attrs: { role: "alert" } }, editing.error) : null,
    el(
      "div",
      { className: "composer-actions" },
      el("button", { type: "submit", className: "primary", disabled: editing.saving || !connected() }, editing.saving ? "Saving…" : "Save the edit"),
      el("button", { type: "button", on: { click: cancelEdit } }, "Cancel"),
    ),
  );
}

function startEdit(question) {
  app.editing = { questionId: question.id, text: question.answer.text, error: null, saving: false };
  renderInterview();
  const box = document.getElementById("edit-text");
  if (box) box.focus();
}

function cancelEdit() {
  const questionId = app.editing && app.editing.questionId;
  app.editing = null;
  renderInterview();
  const button = questionId && document.querySelector(`#log li[data-question-id="${CSS.escape(questionId)}"] .edit-answer`);
  if (button) button.focus();
}

async function saveEdit(question) {
  const editing = app.editing;
  if (!editing || editing.saving) return;
  const before = question.answer.text;
  if (editing.text.trim() === before.trim()) return cancelEdit();
  const stateBefore = app.view.state;
  editing.saving = true;
  editing.error = null;
  renderInterview();
  try {
    await app.conn.request("answer.edit", { session_id: app.sessionId, question_id: question.id, text: wellFormed(editing.text) });
    const recorded = app.view && app.view.questions.find((q) => q.id === question.id);
    const revision = recorded && recorded.answer && recorded.answer.revision > 1 ? ` (version ${recorded.answer.revision})` : "";
    const reviewNote =
      stateBefore === "finalized"
        ? "The review you had is out of date: reviewing again works your persona update out from the edited answer."
        : stateBefore === "completed"
          ? "Your persona update will be worked out from the edited answer when you review it."
          : "The edited answer is what your persona update will use.";
    app.edited.set(question.id, `Edited${revision}. ${reviewNote}`);
    app.editing = null;
    toast("Your answer was changed.");
  } catch (error) {
    editing.error = error.message;
  } finally {
    editing.saving = false;
    renderInterview();
  }
}

function renderCurrent(view) {
  const box = $("#current");
  const meta = $("#current-meta");
  const text = $("#current-text");
  const notice = $("#current-notice");
  const stop = $("#stop-button");
  const next = $("#next-button");
  const pending = model.pendingQuestion(view);
  const generating = view.generating;
  const active = view.state === "active";
  const showIdle = active && !pending && !generating;
  box.hidden = !(generating || pending || (active && (view.notice || showIdle)));
  box.setAttribute("aria-busy", String(Boolean(generating)));
  box.dataset.state = generating ? "streaming" : pending ? "asked" : "idle";
  stop.hidden = !generating;
  stop.disabled = !connected();
  clearTimeout(app.idleTimer);
  if (generating) {
    meta.textContent = `Question ${generating.number} · ${model.categoryLabel(generating.category)}`;
    text.hidden = false;
    text.dataset.questionId = generating.question_id;
    renderStreamingText();
  } else if (pending) {
    meta.textContent = `Question ${questionNumber(view, pending.id)} · ${model.categoryLabel(pending.category)}`;
    text.hidden = false;
    text.dataset.questionId = pending.id;
    text.textContent = pending.text;
  } else {
    meta.textContent = "";
    text.hidden = true;
    text.textContent = "";
    delete text.dataset.questionId;
  }
  const message = view.notice ? view.notice.message : "";
  notice.hidden = !message && !(showIdle && !view.notice);
  notice.textContent = message || (showIdle ? "Waiting for the next question…" : "");
  notice.dataset.kind = view.notice ? view.notice.kind : "idle";
  next.hidden = true;
  next.disabled = !connected();
  if (showIdle && view.notice && view.notice.kind !== "queued") {
    next.hidden = false;
  } else if (showIdle) {
    // Normally the next question starts at once; if nothing comes (after a stop or an error
    // before this page loaded), offer to ask again.
    app.idleTimer = setTimeout(() => {
      if (app.view === view && view.state === "active" && !view.generating && !model.pendingQuestion(view)) {
        next.hidden = false;
      }
    }, IDLE_BEFORE_ASK_AGAIN_MS);
  }
}

function renderStreamingText() {
  const view = app.view;
  if (!view || !view.generating) return;
  const text = $("#current-text");
  text.textContent = view.generating.text;
  text.classList.toggle("typing", true);
}

function renderComposer(view) {
  const form = $("#composer");
  const live = view.state === "active" || view.state === "paused";
  form.hidden = !live || (view.state === "paused" && Boolean(view.crisis_message));
  $("#current-text").classList.toggle("typing", Boolean(view.generating));
  if (form.hidden) return;
  const pending = model.pendingQuestion(view);
  const textarea = $("#answer");
  const { max } = limits();
  textarea.maxLength = max;
  textarea.readOnly = !pending;
  textarea.setAttribute("aria-disabled", String(!pending));
  textarea.placeholder = pending ? "Write your answer here…" : view.generating ? "The question is still being written…" : "";
  $("#answer-label").textContent = pending ? `Your answer to question ${questionNumber(view, pending.id)}` : "Your answer";
  updateCount();
}

function renderComposerButtons() {
  const view = app.view;
  if (!view) return;
  const pending = model.pendingQuestion(view);
  const { min, max } = limits();
  const length = $("#answer").value.trim().length;
  const ready = Boolean(pending) && view.state === "active" && connected() && !app.submitting;
  const submit = $("#submit-button");
  submit.disabled = !ready || length < min || length > max;
  submit.textContent = app.submitting ? "Sending…" : "Send answer";
  $("#skip-button").disabled = !ready;
  if (view.state === "paused") submit.title = "Resume the interview to send answers";
  else submit.removeAttribute("title");
}

function renderDone(view) {
  const box = $("#done-panel");
  const body = $("#done-body");
  const finished = view.state === "completed" || view.state === "finalized";
  const applied = view.state === "applied" && view.application;
  box.hidden = !(finished || applied);
  if (box.hidden) return;
  const progress = view.progress || {};
  const button = $("#review-button");
  if (finished) {
    $("#done-title").textContent = view.state === "finalized" ? "Your review is waiting" : "The interview is complete";
    fill(
      body,
      el("p", {}, `${plural(progress.answered || 0, "answer")} recorded. ${progress.message || ""}`),
      el("p", {}, "Look at what it found and choose what to write to your persona. Nothing changes until you apply it."),
    );
    button.hidden = false;
    button.textContent = view.state === "finalized" ? "Open the review" : "Review your persona update";
    button.disabled = !connected();
  } else {
    const application = view.application;
    const hint = application.restore_hint || (application.backup ? `personagen persona restore ${application.backup.split("/").pop()}` : null);
    $("#done-title").textContent = "Applied to your persona";
    fill(
      body,
      // (change_ids also counts the evidence records, so no number here: the review showed it.)
      el("p", {}, `Written to your core.json with the ${application.strategy} strategy. `, el("button", { type: "button", className: "linkish", on: { click: () => ($("#tab-profile").click(), $("#tab-profile").focus()) } }, "See your persona")),
      application.backup
        ? [el("p", {}, "Previous version saved as ", el("code", {}, application.backup), "."), el("p", {}, "Restore it with ", el("code", {}, hint), ".")]
        : el("p", {}, "There was no core.json before, so no backup was needed."),
      el("p", {}, "Next: the training data. Nothing is written to it until you have looked at it."),
      el("button", { type: "button", id: "training-button", on: { click: () => app.training.open() } }, "Review the training data"),
    );
    button.hidden = true;
  }
}

function renderProgress() {
  const panel = $("#progress-panel");
  const view = app.view;
  panel.hidden = !view || !view.progress;
  if (panel.hidden) return;
  const progress = view.progress;
  const list = $("#progress-list");
  clear(list);
  for (const item of progress.categories) {
    const label = model.categoryLabel(item.category);
    const id = `progress-${item.category}`;
    list.append(
      el(
        "li",
        { className: item.covered ? "covered" : "", dataset: { category: item.category } },
        el("div", { className: "progress-head" }, el("span", { id: `${id}-label` }, label), el("span", { className: "percent" }, `${item.percent} %`)),
        el(
          "div",
          {
            className: "bar",
            attrs: {
              role: "progressbar",
              "aria-labelledby": `${id}-label`,
              "aria-valuemin": "0",
              "aria-valuemax": "100",
              "aria-valuenow": String(item.percent),
              "aria-valuetext": `${item.percent} %, ${model.remainingSentence(item)}`,
            },
          },
          el("span", { className: "fill", attrs: { style: `width: ${Math.min(100, item.percent)}%` } }),
          el("span", { className: "target", attrs: { style: `left: ${item.target_percent}%`, title: `covered at ${item.target_percent} %` } }),
        ),
        el("p", { className: "remaining small" }, model.remainingSentence(item)),
      ),
    );
  }
  const summary = [`${progress.answered} of up to ${progress.max_questions} questions answered.`];
  if (progress.complete) summary.push("Complete.");
  else if (progress.can_finish_early) summary.push("You can finish early now.");
  else summary.push(`You can finish early after ${progress.min_answers} answers.`);
  $("#progress-summary").textContent = summary.join(" ");
  $("#progress-message").textContent = progress.message;
}

// -- banners and history --------------------------------------------------------------------

async function refreshSessions() {
  if (!connected()) return;
  try {
    const reply = await app.conn.request("sessions.list", {}, { resend: false });
    app.sessions = reply.sessions || [];
  } catch {
    return;
  }
  renderBanners();
  renderHistory();
}

function renderBanners() {
  const box = $("#banners");
  clear(box);
  // While an unfinished interview waits, resuming it is the main action, not starting another.
  const waiting = app.sessions.some((summary) => UNFINISHED.has(summary.state) && summary.session_id !== app.sessionId);
  $("#start-button").classList.toggle("primary", !waiting);
  $("#start-button").textContent = waiting ? "Start another interview" : "Start a new interview";
  for (const summary of app.sessions) {
    if (!UNFINISHED.has(summary.state) || summary.session_id === app.sessionId) continue;
    const id = summary.session_id;
    const review = summary.state === "completed" || summary.state === "finalized";
    const text = review
      ? `An interview is waiting for your review (${summary.answered} answered)`
      : `You have an unfinished interview (${summary.answered} of ${summary.max_questions} answered)`;
    const confirming = app.discardingBanner === id;
    const banner = el(
      "div",
      { className: "banner", attrs: { role: "region", "aria-label": "Unfinished interview" }, dataset: { sessionId: id } },
      el(
        "p",
        {},
        text,
        summary.pause_reason === "crisis" ? " · paused for your safety" : "",
        el("span", { className: "muted small" }, ` · started ${formatDate(summary.created_at)}`),
      ),
    );
    if (confirming) {
      banner.append(
        el(
          "div",
          { className: "confirm", attrs: { role: "group", "aria-label": "Confirm discarding" } },
          el("p", {}, "Discard it for good? Its answers will not be used."),
          el("button", { type: "button", className: "danger", on: { click: () => discardFromBanner(id) } }, "Yes, discard it"),
          el("button", { type: "button", on: { click: () => setBannerConfirm(null) } }, "Keep it"),
        ),
      );
    } else {
      banner.append(
        el(
          "div",
          { className: "banner-actions" },
          el(
            "button",
            { type: "button", className: "primary", on: { click: () => openSession(id, { resume: !review, review }) } },
            review ? "Review" : "Resume",
          ),
          el("button", { type: "button", on: { click: () => setBannerConfirm(id) } }, "Discard"),
        ),
      );
    }
    box.append(banner);
  }
}

function setBannerConfirm(id) {
  app.discardingBanner = id;
  renderBanners();
  const selector = id ? `[data-session-id="${CSS.escape(id)}"] .confirm button:last-child` : null;
  if (selector) document.querySelector(selector)?.focus();
}

async function discardFromBanner(sessionId) {
  app.discardingBanner = null;
  try {
    await app.conn.request("session.discard", { session_id: sessionId });
    toast("The interview was discarded.");
  } catch (error) {
    toast(`Not discarded: ${error.message}`);
  }
  refreshSessions();
}

function renderHistory() {
  const list = $("#history-list");
  clear(list);
  $("#history-empty").hidden = app.sessions.length > 0;
  for (const listed of app.sessions) {
    const id = listed.session_id;
    const actions = [];
    const isOpen = id === app.sessionId;
    // The open session's line follows the live view, not the last list from the server.
    const summary =
      isOpen && app.view
        ? { ...listed, state: app.view.state, answered: app.view.progress.answered, asked: app.view.questions.length }
        : listed;
    if (summary.state === "unreadable") {
      actions.push(el("span", { className: "error small" }, summary.error || "unreadable"));
    } else if (isOpen) {
      actions.push(el("span", { className: "small muted" }, "open now"));
    } else if (summary.state === "active" || summary.state === "paused") {
      actions.push(el("button", { type: "button", on: { click: () => openSession(id, { resume: true }) } }, "Resume"));
    } else if (summary.state === "completed" || summary.state === "finalized") {
      actions.push(el("button", { type: "button", on: { click: () => openSession(id, { review: true }) } }, "Review"));
    } else {
      actions.push(el("button", { type: "button", on: { click: () => app.transcript.open(summary) } }, "Read"));
      if (summary.state === "applied") {
        const openTraining = () => openSession(id).then(() => app.training.open());
        actions.push(el("button", { type: "button", on: { click: openTraining } }, "Training data"));
      }
    }
    const counts = summary.state === "unreadable" ? "" : `${summary.answered} answered of ${summary.asked} asked`;
    list.append(
      el(
        "li",
        { dataset: { sessionId: id, state: summary.state } },
        el(
          "div",
          {},
          el("p", { className: "history-date" }, formatDate(summary.created_at) || id),
          el("p", { className: "small muted" }, el("span", { className: `state state-${summary.state}` }, model.STATE_LABELS[summary.state] || summary.state), counts ? ` · ${counts}` : ""),
        ),
        el("div", { className: "history-actions" }, actions),
      ),
    );
  }
}

// -- wiring ---------------------------------------------------------------------------------

function wireControls() {
  $("#start-button").addEventListener("click", startInterview);
  $("#pause-button").addEventListener("click", async () => {
    clearTimeout(draft.timer);
    await sendDraft();
    await command("session.pause");
  });
  $("#resume-button").addEventListener("click", () => command("session.resume"));
  $("#crisis-resume").addEventListener("click", () => command("session.resume"));
  $("#finish-button").addEventListener("click", () => command("session.finish"));
  $("#discard-button").addEventListener("click", () => {
    $("#discard-confirm").hidden = false;
    $("#discard-no").focus();
  });
  $("#discard-no").addEventListener("click", () => {
    $("#discard-confirm").hidden = true;
    $("#discard-button").focus();
  });
  $("#discard-yes").addEventListener("click", async () => {
    $("#discard-confirm").hidden = true;
    await command("session.discard");
  });
  $("#close-button").addEventListener("click", () => {
    closeSession();
    $("#start-button").focus();
  });
  $("#stop-button").addEventListener("click", () => command("generation.stop"));
  $("#next-button").addEventListener("click", () => {
    app.view.notice = null;
    renderInterview();
    command("question.next");
  });
  $("#review-button").addEventListener("click", () => app.review.open());
  $("#conflict-theirs").addEventListener("click", () => resolveConflict(false));
  $("#conflict-mine").addEventListener("click", () => resolveConflict(true));
  $("#offer-use").addEventListener("click", () => takeOffer(true));
  $("#offer-dismiss").addEventListener("click", () => takeOffer(false));
  $("#skip-button").addEventListener("click", skipQuestion);
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submitAnswer();
  });
  const textarea = $("#answer");
  textarea.addEventListener("input", () => {
    updateCount();
    showComposerError("");
    if (draft.questionId) rememberLocal();
    if (draft.questionId && !draft.conflict) {
      setDraftStatus(textarea.value === draft.sentText ? "Draft saved" : "Unsaved changes");
      scheduleDraft();
    }
  });
  textarea.addEventListener("keydown", (event) => {
    if (isSendKey(event)) {
      event.preventDefault();
      submitAnswer();
    }
  });
  const ctrlSetting = $("#ctrl-enter-setting");
  ctrlSetting.checked = sendWithCtrlEnter();
  renderSendHint();
  ctrlSetting.addEventListener("change", () => {
    try {
      localStorage.setItem(CTRL_ENTER_KEY, ctrlSetting.checked ? "1" : "0");
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    app.ctrlEnter = ctrlSetting.checked;
    renderSendHint();
  });
  window.addEventListener("pagehide", () => {
    // Leaving the page: send what was typed (best effort; the server also autosaves).
    if (draft.timer) sendDraft();
  });
}

function sendWithCtrlEnter() {
  if (typeof app.ctrlEnter === "boolean") return app.ctrlEnter;
  let stored = null;
  try {
    stored = localStorage.getItem(CTRL_ENTER_KEY);
  } catch {
    // storage disabled: fall back to the device's default
  }
  if (stored !== null) return stored === "1";
  // On a touch keyboard Enter is the only way to break a line, so it does not send there.
  return window.matchMedia("(pointer: coarse)").matches;
}

/** Enter sends (Shift+Enter is a new line); with the setting on, only Ctrl/⌘+Enter sends. */
function isSendKey(event) {
  if (event.key !== "Enter" || event.isComposing) return false;
  if (event.ctrlKey || event.metaKey) return true;
  return !sendWithCtrlEnter() && !event.shiftKey && !event.altKey;
}

function renderSendHint() {
  $("#send-hint").textContent = sendWithCtrlEnter()
    ? "Ctrl+Enter (⌘+Enter on a Mac) sends your answer; Enter starts a new line."
    : "Enter sends your answer; Shift+Enter starts a new line.";
}

async function whoAmI() {
  try {
    const response = await fetch("/api/me?optional=1", { credentials: "same-origin", headers: { accept: "application/json" } });
    if (response.status === 401) return { loggedIn: false };
    if (!response.ok) return { loggedIn: null };
    const me = await response.json();
    return me.user ? { loggedIn: true, ...me } : { loggedIn: false };
  } catch {
    return { loggedIn: null }; // the server is unreachable: the socket will keep trying
  }
}

async function main() {
  setupTabs("#main-tabs", (id) => id === "tab-server" && renderServer());
  setupTabs("#persona-tabs", (id) => id === "tab-profile" && app.personaView.refresh());
  app.personaView = new PersonaView({ onName: (name) => setName(name), toast });
  $("#server-refresh").addEventListener("click", renderServer);
  wireControls();
  const me = await whoAmI();
  if (me.loggedIn === false) {
    showStatus({ status: "logged-out" });
    showLogin("You are not logged in.");
    return;
  }
  if (me.loggedIn) {
    app.user = me.user;
    setName(me.name || "");
    showIdentity(me.user, me.backend);
  }

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const conn = new Connection(`${scheme}//${location.host}/ws`);
  app.conn = conn;
  app.review = new ReviewDialog({
    conn,
    view: () => app.view,
    sessionId: () => app.sessionId,
    onChanged: () => refreshSessions(),
    onShowPersona: () => {
      $("#tab-persona").click();
      $("#tab-profile").click();
      $("#tab-profile").focus();
    },
  });
  app.transcript = new TranscriptDialog();
  app.training = new TrainingDialog({ conn, sessionId: () => app.sessionId });
  conn.addEventListener("status", (event) => showStatus(event.detail));
  conn.addEventListener("welcome", (event) => {
    const welcome = event.detail;
    app.config = welcome.config;
    app.myConnections.add(welcome.connection_id);
    app.user = welcome.user;
    showIdentity(welcome.user, welcome.backend);
    // Until the full list arrives, the welcome's incomplete sessions drive the banner.
    const known = new Map(app.sessions.map((s) => [s.session_id, s]));
    for (const summary of welcome.incomplete_sessions || []) known.set(summary.session_id, summary);
    app.sessions = [...known.values()];
    renderAll();
    refreshSessions();
    // Unsent typing is saved once the replay (or snapshot) of the open session has arrived.
    if (draft.questionId && $("#answer").value !== draft.sentText) scheduleDraft();
  });
  conn.addEventListener("session", (event) => onSessionFrame(event.detail));
  conn.addEventListener("notice", (event) => toast(event.detail.message || "The server reported an error."));
  conn.addEventListener("fatal", (event) => {
    const { code, reason } = event.detail;
    if (code === 4401) {
      showStatus({ status: "logged-out" });
      showLogin("Your login has expired or was revoked. Please log in again.");
    }
    else toast(`The server closed the connection: ${reason || code}. Reload the page to try again.`);
  });
  conn.start();
}

main();
