// How one reviewed change reads: a sentence for people, the JSON path and value as a detail,
// and which answers it comes from. Pure functions of the review frame and the session view.

const ITEM_LABELS = {
  "values.core": "the value",
  "values.boundaries": "the boundary",
  "goals.shortTerm": "the short-term goal",
  "goals.midTerm": "the mid-term goal",
  "goals.longTerm": "the long-term goal",
  "personality.interests": "the interest",
  "personality.traits": "the trait",
  "personality.communicationStyle.tone": "the tone",
  "personality.communicationStyle": "your communication style",
  "context.currentFocus": "the current focus",
  "context.projects": "the project",
  "context.domains": "the domain",
  "background.keyExperiences": "the experience",
  "background": "your story",
};
const MAIN_KEYS = ["value", "goal", "name", "title", "text", "domain", "project", "description"];
const VERBS = { add: "Add", update: "Change", remove: "Remove" };

/** The text a person recognises an item by. */
export function mainText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && !Array.isArray(value)) {
    const key = MAIN_KEYS.find((k) => typeof value[k] === "string" && value[k]);
    if (key) return value[key];
  }
  return "";
}

/** The string fields of a change's new item a person may reword: [[field, text], ...]. */
export function editableFields(change) {
  if (change.kind === "remove") return [];
  if (typeof change.new === "string") return [["", change.new]];
  if (change.new && typeof change.new === "object" && !Array.isArray(change.new)) {
    return Object.entries(change.new).filter(([key, value]) => typeof value === "string" && key !== "name");
  }
  return [];
}

export function isEvidence(change) {
  return String(change.section || "").split(".")[0] === "x-personagen";
}

function squash(text) {
  return String(text || "").toLowerCase().replace(/\s+/g, " ").trim();
}

/** The question numbers the draft cites for an item with this text. */
export function evidenceNumbers(ready, view, text) {
  const wanted = squash(text);
  if (!wanted || !ready.draft) return [];
  const ids = new Set();
  for (const value of Object.values(ready.draft)) {
    for (const item of Array.isArray(value) ? value : value && typeof value === "object" ? [value] : []) {
      const own = [item.value, item.goal, item.text, item.trait].map(squash);
      if (own.includes(wanted)) for (const id of item.evidence || []) ids.add(id);
    }
  }
  const questions = (view && view.questions) || [];
  return [...ids].map((id) => questions.findIndex((q) => q.id === id) + 1).filter((n) => n > 0).sort((a, b) => a - b);
}

function listNumbers(numbers) {
  if (numbers.length === 1) return `question ${numbers[0]}`;
  return `questions ${numbers.slice(0, -1).join(", ")} and ${numbers[numbers.length - 1]}`;
}

/** {lead, subject, source}: "Add the value", "honesty", "from your answer to question 1". */
export function sentence(change, ready, view, edited) {
  const label = ITEM_LABELS[change.section];
  const value = change.kind === "remove" ? change.old : change.new;
  const subject = edited || mainText(value);
  if (!label || !subject) return { lead: change.summary, subject: "", source: "" };
  const numbers = change.kind === "remove" ? [] : evidenceNumbers(ready, view, mainText(value));
  const source = numbers.length ? `from your answer${numbers.length > 1 ? "s" : ""} to ${listNumbers(numbers)}` : "";
  return { lead: `${VERBS[change.kind] || change.kind} ${label}`, subject, source };
}

/** Whether a persona has nothing a strategy could keep or drop (so all strategies agree). */
export function hasContent(persona) {
  const skip = new Set(["version", "lastUpdated", "x-personagen", "identity"]);
  const filled = (value) =>
    Array.isArray(value) ? value.length > 0 : value && typeof value === "object" ? Object.values(value).some(filled) : value !== "" && value !== null && value !== undefined;
  return Object.entries(persona || {}).some(([key, value]) => !skip.has(key) && filled(value));
}
