// The browser's own copy of unsent answers, so no keystroke depends on the server alone.
//
// One localStorage entry per user and session: {question_id, text, base_rev, acked}. `base_rev`
// is the newest server revision this text was typed on top of; `acked` says the server
// acknowledged exactly this text. After a reconnect or a reload the page compares it with the
// server's draft: the local text is newer when the server has not seen a revision beyond
// `base_rev` (a server that lost revisions in a crash has a smaller one).

const PREFIX = "personagen.draft.";

function key(user, sessionId) {
  return `${PREFIX}${user || "?"}.${sessionId}`;
}

export function loadLocal(user, sessionId) {
  try {
    const raw = localStorage.getItem(key(user, sessionId));
    if (!raw) return null;
    const entry = JSON.parse(raw);
    if (!entry || typeof entry.text !== "string" || typeof entry.question_id !== "string") return null;
    return { question_id: entry.question_id, text: entry.text, base_rev: Number(entry.base_rev) || 0, acked: !!entry.acked };
  } catch {
    return null; // storage disabled or an entry from another version: the server copy still counts
  }
}

export function saveLocal(user, sessionId, entry) {
  try {
    localStorage.setItem(key(user, sessionId), JSON.stringify(entry));
  } catch {
    // Private mode or a full quota: the server's autosave is the only copy then.
  }
}

export function dropLocal(user, sessionId) {
  try {
    localStorage.removeItem(key(user, sessionId));
  } catch {
    // nothing to drop
  }
}

/**
 * Which text goes in the box for question `questionId`: the server's draft or the local copy.
 * Returns {text, other, otherFrom, localNewer}: `other` is the version not chosen (offered to
 * the person) or null when both say the same.
 */
export function chooseDraft(local, server, questionId) {
  const serverText = server && server.question_id === questionId ? server.text : "";
  const serverRev = server && server.question_id === questionId ? server.rev : 0;
  const mine = local && local.question_id === questionId ? local : null;
  if (!mine || mine.text === serverText) {
    return { text: serverText, other: null, otherFrom: null, localNewer: false, serverRev };
  }
  if (mine.base_rev >= serverRev) {
    return { text: mine.text, other: serverText || null, otherFrom: "server", localNewer: true, serverRev };
  }
  return { text: serverText, other: mine.text || null, otherFrom: "browser", localNewer: false, serverRev };
}
