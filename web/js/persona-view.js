// "Your persona" (core.json by section, the name, download, history with restore) and the
// Server tab. Everything is read over the small HTTP API; text goes in as text nodes only.

import { $, el, fill, clear, formatDate, plural } from "./dom.js";

const HIDDEN_KEYS = new Set(["version", "lastUpdated", "x-personagen"]);
const SECTION_TITLES = {
  identity: "Who you are",
  personality: "Personality and style",
  values: "Values",
  goals: "Goals",
  context: "What you are working on",
  background: "Your story",
};
const LABEL_KEYS = ["value", "goal", "name", "title", "label", "text", "domain", "project"];

function humanize(key) {
  const spaced = String(key).replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase();
}

function isEmpty(value) {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value).every(isEmpty);
  return false;
}

/** One list item: its main label in bold, the rest as a short line after it. */
function itemNode(item) {
  if (item === null || typeof item !== "object") return el("li", {}, String(item));
  const main = LABEL_KEYS.find((key) => typeof item[key] === "string" && item[key]);
  const rest = Object.entries(item)
    .filter(([key, value]) => key !== main && !(key === "name" && item.name === item[main]) && !isEmpty(value))
    .map(([key, value]) => (key === "description" ? String(value) : `${humanize(key).toLowerCase()} ${typeof value === "object" ? JSON.stringify(value) : value}`));
  return el("li", {}, main ? el("strong", {}, item[main]) : null, rest.length ? `${main ? " — " : ""}${rest.join(" · ")}` : "");
}

function valueNode(value) {
  if (Array.isArray(value)) return el("ul", {}, value.map(itemNode));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => !isEmpty(v));
    // A map of numbers (traits 0–1) reads best as "openness 0.9".
    if (entries.every(([, v]) => typeof v === "number")) {
      return el("ul", {}, entries.map(([k, v]) => el("li", {}, `${humanize(k)}: ${v}`)));
    }
    return el("dl", {}, entries.map(([k, v]) => [el("dt", {}, humanize(k)), el("dd", {}, valueNode(v))]));
  }
  return String(value);
}

export function renderPersona(container, persona) {
  clear(container);
  const sections = Object.entries(persona || {}).filter(([key, value]) => !HIDDEN_KEYS.has(key) && !isEmpty(value));
  if (!sections.length) {
    container.append(el("p", { className: "muted" }, "Nothing is in your persona yet. Finish an interview and apply its review to fill it."));
    return;
  }
  for (const [key, value] of sections) {
    container.append(
      el("section", { className: "card", dataset: { section: key } }, el("h3", {}, SECTION_TITLES[key] || humanize(key)), valueNode(value)),
    );
  }
}

async function getJSON(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json", ...(options.headers || {}) }, ...options });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `${response.status} ${response.statusText}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

/** The "Your persona" sub-tab. `onName(name)` tells the page the person's name changed. */
export class PersonaView {
  constructor({ onName, toast }) {
    this.onName = onName;
    this.toast = toast;
    this.digest = null;
    $("#name-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveName($("#name-input").value);
    });
  }

  async refresh() {
    $("#profile-status").textContent = "Loading…";
    try {
      const [{ persona, digest }, { backups }] = await Promise.all([getJSON("/api/persona"), getJSON("/api/persona/backups")]);
      this.digest = digest;
      renderPersona($("#profile-sections"), persona);
      const name = persona && persona.identity && persona.identity.name ? persona.identity.name : "";
      if (document.activeElement !== $("#name-input")) $("#name-input").value = name;
      $("#profile-download").hidden = !persona;
      $("#profile-status").textContent = persona ? `core.json, last changed ${formatDate(persona.lastUpdated) || "(no date recorded)"}` : "";
      this.renderBackups(backups);
      return persona;
    } catch (error) {
      $("#profile-status").textContent = `Your persona could not be read: ${error.message}`;
      return null;
    }
  }

  renderBackups(backups) {
    const list = $("#backups-list");
    clear(list);
    $("#backups-empty").hidden = backups.length > 0;
    for (const backup of backups) {
      list.append(
        el(
          "li",
          { dataset: { backup: backup.name } },
          el("p", {}, el("span", { className: "history-date" }, `Before the change of ${formatDate(backup.stamp)}`), el("br"), el("span", { className: "small muted" }, backup.name)),
          el(
            "span",
            { className: "history-actions" },
            el("a", { href: `/api/persona/backups/${encodeURIComponent(backup.name)}`, target: "_blank", rel: "noopener" }, "View"),
            " ",
            el("button", { type: "button", on: { click: () => this.restore(backup.name) } }, "Restore"),
          ),
        ),
      );
    }
  }

  async restore(name) {
    $("#restore-status").textContent = "Restoring…";
    try {
      const result = await getJSON("/api/persona/restore", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, expected_digest: this.digest }),
      });
      await this.refresh();
      fill($("#restore-status"), `Restored ${result.restored}. The version it replaced is kept as `, el("code", {}, result.backup || "(none)"), ".");
    } catch (error) {
      $("#restore-status").textContent = `Not restored: ${error.message}`;
      await this.refresh();
    }
  }

  async saveName(raw) {
    const name = raw.trim();
    const status = $("#name-status");
    if (!name) {
      status.textContent = "Please write a name.";
      return false;
    }
    status.textContent = "Saving…";
    try {
      const result = await getJSON("/api/persona/name", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      status.textContent = `Saved: your persona calls you ${result.name}.`;
      this.onName(result.name);
      await this.refresh();
      return true;
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
      return false;
    }
  }
}

/** The Server tab: which interviewer, Ollama, live sessions. */
export async function renderServer() {
  $("#server-status").textContent = "Checking…";
  let info;
  try {
    info = await getJSON("/api/server");
  } catch (error) {
    $("#server-status").textContent = `The server could not be asked: ${error.message}`;
    return;
  }
  $("#server-status").textContent = `Checked ${formatDate(new Date().toISOString())}.`;
  fill($("#server-backend"), el("strong", {}, info.backend.label || info.backend.name));
  $("#server-reason").textContent = info.backend.reason ? `Why: ${info.backend.reason}.` : "";
  const ollama = info.ollama;
  fill(
    $("#server-ollama"),
    el("span", { className: ollama.reachable ? "state-ok" : "state-bad" }, ollama.reachable ? "Reachable" : "Not reachable"),
    ` at ${ollama.host}`,
    ollama.version ? ` (version ${ollama.version})` : "",
    ".",
    // The probe's sentence says what went wrong; when all is well the lines below say it.
    ollama.reachable && ollama.model_present ? "" : ` ${ollama.detail}`,
  );
  const models = $("#server-models");
  clear(models);
  if (ollama.reachable) {
    models.append(el("li", {}, el("strong", {}, "Models pulled: "), ollama.models.length ? ollama.models.join(", ") : "none"));
  }
  models.append(el("li", {}, el("strong", {}, "Model used: "), ollama.model, ollama.model_present ? " (available)" : " (not available)"));
  const pull = $("#server-pull");
  pull.hidden = !ollama.pull_command;
  if (ollama.pull_command) {
    fill(pull, ollama.reachable ? "Get the model with " : "Install and start Ollama, then get the model with ", el("code", {}, ollama.pull_command), " and restart personagen.");
  }
  const yours = info.your_live_sessions.length;
  $("#server-live").textContent = `${plural(info.live_sessions, "interview")} in memory on this server (${yours} of them yours).`;
}
