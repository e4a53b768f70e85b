// The page's protocol v1 client for /ws: hello, request ids, reconnect with backoff, and resume.
//
// Guarantees to the rest of the page (the same ones server/client.py gives Python callers):
// * every session event is delivered at most once and in seq order: after a reconnect each
//   opened session is re-opened with its (epoch, last_seq), the server replays what was missed
//   or sends a snapshot, and any event with seq <= the last one applied is dropped;
// * a gap in seq (which the server never causes) or an epoch change without a snapshot makes
//   the client ask for a fresh snapshot instead of drawing something wrong;
// * a request that was in flight when the connection dropped is sent again with the same id
//   once reconnected; the server runs each id once and answers a repeat with the same reply.

const PROTOCOL_VERSION = 1;
// Close codes after which reconnecting cannot help (see server/protocol.py).
const FINAL_CLOSE_CODES = new Set([1008, 1009, 4400, 4401, 4403]);
const CLOSE_RATE_LIMITED = 4429;
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_EVERY_MS = 15000;
const SILENCE_LIMIT_MS = 45000;

export class RequestError extends Error {
  constructor(frame) {
    super(frame.message || "the request failed");
    this.frame = frame;
    this.code = frame.code || "error";
    this.retryable = Boolean(frame.retryable);
  }
}

export class Connection extends EventTarget {
  /**
   * Events (CustomEvent, details in `event.detail`):
   *   status   {status: "connecting"|"connected"|"reconnecting"|"offline"|"closed", retryInMs}
   *   welcome  the welcome frame (on every (re)connect)
   *   session  a session event or snapshot, deduplicated, for an opened session
   *   notice   an error frame that answers no request of ours
   *   fatal    {code, reason} the server closed for good (4401: log in again)
   */
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.ready = false;
    this.status = "connecting";
    this.welcome = null;
    this.positions = new Map(); // session_id -> {epoch, lastSeq}
    this.pending = new Map(); // request id -> {frame, resolve, reject, resend}
    this.prefix = `web-${Math.random().toString(36).slice(2, 8)}`;
    this.counter = 0;
    this.attempt = 0;
    this.retryTimer = null;
    this.lastFrameAt = Date.now();
    this.stopped = false;
    this.stats = { connects: 0, replays: 0, snapshots: 0, dropped: 0, resyncs: 0 };
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => {
      if (!this.ready) this.setStatus("offline");
    });
    setInterval(() => this.keepAlive(), PING_EVERY_MS);
  }

  get connectionId() {
    return this.welcome ? this.welcome.connection_id : null;
  }

  start() {
    this.connect();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setStatus(status, extra = {}) {
    this.status = status;
    this.emit("status", { status, ...extra });
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stopped) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.ready = false;
    ws.addEventListener("open", () => {
      this.send(ws, {
        type: "hello",
        v: PROTOCOL_VERSION,
        client: { name: "personagen-web", version: "1" },
      });
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => this.onClose(ws, event));
  }

  send(ws, frame) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  onFrame(frame) {
    const kind = frame.type;
    if (kind === "welcome") {
      this.onWelcome(frame);
      return;
    }
    if (kind === "pong") return;
    const id = frame.id;
    if ((kind === "ack" || kind === "error" || kind === "sessions") && id && this.pending.has(id)) {
      const entry = this.pending.get(id);
      this.pending.delete(id);
      if (kind === "error") {
        entry.reject(new RequestError(frame));
      } else {
        if (kind === "ack" && frame.session_id && entry.opens && !this.positions.has(frame.session_id)) {
          this.positions.set(frame.session_id, { epoch: null, lastSeq: 0 });
        }
        entry.resolve(frame);
      }
      return;
    }
    if (kind === "ack" || kind === "sessions") return; // replies to requests we no longer wait for
    if (kind === "error") {
      this.emit("notice", frame);
      return;
    }
    this.onSessionFrame(frame);
  }

  onSessionFrame(frame) {
    const sessionId = frame.session_id;
    if (typeof sessionId !== "string") return;
    const position = this.positions.get(sessionId);
    if (!position) return; // a session this page is no longer showing
    if (frame.type === "session.snapshot") {
      position.epoch = frame.epoch;
      position.lastSeq = frame.seq;
      this.stats.snapshots += 1;
      this.emit("session", frame);
      return;
    }
    if (frame.type === "replay") {
      this.stats.replays += 1;
      this.emit("session", frame);
      return;
    }
    if (typeof frame.seq !== "number") {
      this.emit("session", frame);
      return;
    }
    if (position.epoch === frame.epoch) {
      if (frame.seq <= position.lastSeq) {
        this.stats.dropped += 1; // already applied before a reconnect
        return;
      }
      if (frame.seq > position.lastSeq + 1) {
        this.resync(sessionId); // a gap: never draw from a partial history
        return;
      }
    } else if (position.epoch !== null) {
      this.resync(sessionId); // the server's log changed under us: start from a snapshot
      return;
    }
    position.epoch = frame.epoch;
    position.lastSeq = frame.seq;
    this.emit("session", frame);
  }

  /** Ask for a fresh snapshot of a session (session.open without a resume point). */
  resync(sessionId) {
    const position = this.positions.get(sessionId);
    if (!position || position.resyncing) return;
    position.resyncing = true;
    position.epoch = null;
    position.lastSeq = 0;
    this.stats.resyncs += 1;
    this.request("session.open", { session_id: sessionId }, { resend: false })
      .catch(() => {})
      .finally(() => {
        position.resyncing = false;
      });
  }

  onWelcome(frame) {
    this.welcome = frame;
    this.ready = true;
    this.attempt = 0;
    this.stats.connects += 1;
    this.setStatus("connected");
    // Re-open every session this page shows, from where it was: the server replays the missed
    // events, or sends a snapshot when it cannot (restart, compacted log).
    for (const [sessionId, position] of this.positions) {
      const fields = { session_id: sessionId };
      if (position.epoch !== null) {
        fields.epoch = position.epoch;
        fields.last_seq = position.lastSeq;
      }
      this.request("session.open", fields, { resend: false }).catch((error) => {
        this.emit("notice", error.frame || { code: "error", message: String(error) });
      });
    }
    // Then the requests that were in flight, with their original ids.
    for (const [id, entry] of this.pending) {
      if (entry.sentOn === this.ws) continue;
      if (!entry.resend && entry.sentOn) {
        this.pending.delete(id);
        entry.reject(new RequestError({ code: "connection_lost", message: "the connection was lost", retryable: true }));
        continue;
      }
      entry.sentOn = this.ws;
      this.send(this.ws, entry.frame);
    }
    this.emit("welcome", frame);
  }

  onClose(ws, event) {
    if (ws !== this.ws) return;
    this.ready = false;
    this.ws = null;
    if (FINAL_CLOSE_CODES.has(event.code)) {
      this.stopped = true;
      for (const entry of this.pending.values()) {
        entry.reject(new RequestError({ code: "connection_closed", message: event.reason || "the server closed the connection" }));
      }
      this.pending.clear();
      this.setStatus("closed", { code: event.code, reason: event.reason });
      this.emit("fatal", { code: event.code, reason: event.reason });
      return;
    }
    const base = event.code === CLOSE_RATE_LIMITED ? 5000 : BACKOFF_START_MS;
    const delay = Math.min(BACKOFF_MAX_MS, base * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setStatus(navigator.onLine === false ? "offline" : "reconnecting", { retryInMs: delay });
  }

  /** Skip the backoff wait (the browser came back online, or the person asked to retry). */
  reconnectNow() {
    if (this.stopped || this.ready || !this.retryTimer) return;
    this.connect();
  }

  keepAlive() {
    if (!this.ready || !this.ws) return;
    if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
      this.ws.close(4000, "no reply to pings"); // half-open connection: reconnect
      return;
    }
    this.send(this.ws, { type: "ping", t: Date.now() });
  }

  /**
   * Send a request and wait for its ack (or `sessions` reply). Rejects with RequestError.
   * Requests made while disconnected are sent once connected. `resend: false` requests are
   * not repeated after a reconnect (they are rejected with code connection_lost instead).
   */
  request(type, fields = {}, { resend = true } = {}) {
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const frame = { type, id, ...fields };
    return new Promise((resolve, reject) => {
      if (this.stopped) {
        reject(new RequestError({ code: "connection_closed", message: "not connected" }));
        return;
      }
      const entry = {
        frame,
        resolve,
        reject,
        resend,
        opens: type === "session.open" || type === "session.start",
        sentOn: null,
      };
      this.pending.set(id, entry);
      if (this.ready && this.send(this.ws, frame)) entry.sentOn = this.ws;
    });
  }

  /** Start following a session (its snapshot and events arrive as `session` events). */
  open(sessionId) {
    // The position is created when the ack arrives, just before the snapshot that follows it.
    return this.request("session.open", { session_id: sessionId });
  }

  /** Stop delivering a session's events (the server keeps the session; nothing is lost). */
  forget(sessionId) {
    this.positions.delete(sessionId);
  }
}
