// The page's copy of one session: built from a `session.snapshot` view, then advanced by each
// session event. Pure (no DOM), so the drawing code only ever reads it.

export const CATEGORY_LABELS = {
  values: "Values",
  goals: "Goals",
  style: "Style",
  biography: "Biography",
  current_focus: "Current focus",
};

// The same nouns the server's progress message uses (server/interview/coverage.py).
export const CATEGORY_NOUNS = {
  values: "your values",
  goals: "your goals",
  style: "how you communicate",
  biography: "your story",
  current_focus: "what you are focused on now",
};

export function categoryLabel(category) {
  return CATEGORY_LABELS[category] || String(category).replace(/_/g, " ");
}

/** "1 item understood; 1 more to cover your goals" / "2 items understood · covered". */
export function remainingSentence(item) {
  const noun = CATEGORY_NOUNS[item.category] || categoryLabel(item.category).toLowerCase();
  if (typeof item.understood === "number") {
    // Coverage counts what was understood (extracted items), not words typed.
    const got = item.understood ? `${item.understood} ${item.understood === 1 ? "item" : "items"} understood` : "Nothing understood yet";
    if (item.covered) return `${got} · covered`;
    return `${got}; ${item.remaining_items} more to cover ${noun}`;
  }
  if (item.covered) return "Covered";
  const count = item.remaining_answers;
  return `${count} more ${count === 1 ? "answer" : "answers"} about ${noun}`;
}

/** A deep copy of a snapshot's `session` view, with the fields the page adds. */
export function fromSnapshot(view) {
  const copy = structuredClone(view);
  copy.notice = null; // {kind: "stopped"|"error"|"queued", message, retryable}
  return copy;
}

function question(view, id) {
  return view.questions.find((item) => item.id === id);
}

/**
 * Apply one session event to the view (mutates it). Returns the event kind the drawing code
 * should react to, or null when the frame changed nothing here.
 */
export function applyEvent(view, frame) {
  switch (frame.type) {
    case "question.start":
      view.generating = {
        question_id: frame.question_id,
        category: frame.category,
        number: frame.number,
        text: "",
      };
      view.notice = null;
      return frame.type;
    case "question.delta":
      if (!view.generating || view.generating.question_id !== frame.question_id) return null;
      view.generating.text += frame.text;
      return frame.type;
    case "question.reset":
      if (view.generating && view.generating.question_id === frame.question_id) view.generating.text = "";
      return frame.type;
    case "question.end": {
      // The final text is authoritative, whatever was streamed before it.
      let item = question(view, frame.question_id);
      if (!item) {
        item = { id: frame.question_id, answer: null, skipped: false };
        view.questions.push(item);
      }
      Object.assign(item, { category: frame.category, text: frame.text, source: frame.source });
      view.pending_question_id = frame.question_id;
      view.generating = null;
      view.notice = null;
      return frame.type;
    }
    case "generation.queued":
      view.notice = { kind: "queued", message: "Waiting for the interviewer: another question is being written first." };
      return frame.type;
    case "generation.stopped":
      view.generating = null;
      view.notice = { kind: "stopped", message: "You stopped this question.", retryable: true };
      return frame.type;
    case "generation.error":
      view.generating = null;
      view.notice = { kind: "error", message: frame.message, code: frame.code, retryable: frame.retryable !== false };
      return frame.type;
    case "answer.recorded": {
      const item = question(view, frame.question_id);
      if (item) {
        item.answer = { text: frame.text, revision: frame.revision, crisis: frame.crisis };
      }
      if (view.pending_question_id === frame.question_id) view.pending_question_id = null;
      if (view.draft && view.draft.question_id === frame.question_id) view.draft = null;
      return frame.type;
    }
    case "question.skipped": {
      const item = question(view, frame.question_id);
      if (item) item.skipped = true;
      if (view.pending_question_id === frame.question_id) view.pending_question_id = null;
      if (view.draft && view.draft.question_id === frame.question_id) view.draft = null;
      return frame.type;
    }
    case "draft.saved":
      view.draft = { question_id: frame.question_id, text: frame.text, rev: frame.rev };
      return frame.type;
    case "progress":
      view.progress = frame.progress;
      return frame.type;
    case "session.state":
      view.state = frame.state;
      view.pause_reason = frame.state === "paused" ? frame.reason : null;
      view.crisis_message = frame.crisis_message || null;
      if (frame.state !== "active") view.notice = null;
      return frame.type;
    case "review.extracting":
    case "review.ready":
      return frame.type;
    case "session.applied":
      view.application = {
        strategy: frame.strategy,
        change_ids: frame.change_ids,
        backup: frame.backup,
        restore_hint: frame.restore_hint,
      };
      return frame.type;
    default:
      return null;
  }
}

/** The question the person can answer now, if any. */
export function pendingQuestion(view) {
  if (!view || !view.pending_question_id) return null;
  return question(view, view.pending_question_id) || null;
}

export function questionText(view, id) {
  const item = view && question(view, id);
  // A corrected summary (s1, s2, ...) is evidence too: the person's correction.
  const summary = view && (view.summaries || []).find((s) => s.summary_id === id);
  if (summary && summary.resolution) return `Your correction of a summary: ${summary.resolution.text}`;
  return item ? item.text : null;
}

export const STATE_LABELS = {
  active: "In progress",
  paused: "Paused",
  completed: "Complete: ready for review",
  finalized: "Waiting for your review",
  applied: "Applied to your persona",
  discarded: "Discarded",
  unreadable: "Unreadable",
};
