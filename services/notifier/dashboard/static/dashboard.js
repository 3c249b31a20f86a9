// The live decision dashboard: sign-in, the event stream and the wiring. No library and no
// inline script (the page's CSP forbids both). EventSource cannot send an Authorization or
// X-API-Key header, so the stream is read with fetch() and parsed by sse.js; render.js draws.
"use strict";

(function (ns) {
  const STORAGE_KEY = "prescreen.dashboard.credential";
  const STREAM_URL = "/v1/decisions/stream";
  const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
  const SILENCE_MS = 45000; // several keep-alives missed: the connection is dead
  const MAX_BACKOFF_MS = 30000;

  let controller = null;
  let reconnectTimer = null;
  let retryMs = 3000;
  let failures = 0;

  const byId = (id) => document.getElementById(id);

  // --- credentials ---------------------------------------------------------------------------

  function authHeaders(credential) {
    // A JWT has three base64url parts; anything else is taken for an API key.
    if (JWT_SHAPE.test(credential)) {
      return { Authorization: "Bearer " + credential };
    }
    return { "X-API-Key": credential };
  }

  function storedCredential() {
    try {
      return window.sessionStorage.getItem(STORAGE_KEY);
    } catch (err) {
      return null;
    }
  }

  function forgetCredential() {
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch (err) {
      // storage disabled: nothing was kept
    }
  }

  // --- connection ----------------------------------------------------------------------------

  function setStatus(state, text) {
    const badge = byId("connection");
    badge.dataset.state = state;
    badge.textContent = text || state.replace("-", " ");
  }

  function showSignIn(message) {
    byId("sign-in").hidden = false;
    byId("dashboard").hidden = true;
    byId("sign-out").hidden = true;
    byId("sign-in-error").textContent = message || "";
    setStatus("signed-out", "signed out");
  }

  function stop() {
    if (reconnectTimer !== null) {
      window.clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
    if (controller !== null) {
      controller.abort();
      controller = null;
    }
  }

  function scheduleReconnect() {
    failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, retryMs * Math.pow(2, Math.min(failures - 1, 4)));
    setStatus("reconnecting", "reconnecting in " + Math.round(delay / 1000) + " s");
    reconnectTimer = window.setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  async function problemDetail(response) {
    try {
      const problem = await response.json();
      return typeof problem.detail === "string" ? problem.detail : response.statusText;
    } catch (err) {
      return response.statusText;
    }
  }

  async function connect() {
    stop();
    const credential = storedCredential();
    if (!credential) {
      showSignIn("");
      return;
    }
    const own = new AbortController();
    controller = own;
    setStatus("connecting", "connecting");
    let response;
    try {
      response = await fetch(STREAM_URL, {
        headers: Object.assign({ Accept: "text/event-stream" }, authHeaders(credential)),
        cache: "no-store",
        credentials: "omit",
        signal: own.signal,
      });
    } catch (err) {
      if (!own.signal.aborted) {
        scheduleReconnect();
      }
      return;
    }
    if (response.status === 401 || response.status === 403) {
      const detail = await problemDetail(response);
      forgetCredential();
      controller = null;
      showSignIn("Not signed in: " + detail);
      return;
    }
    if (!response.ok || response.body === null) {
      if (!own.signal.aborted) {
        scheduleReconnect();
      }
      return;
    }
    await read(response.body, own);
  }

  async function read(body, own) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const push = ns.createParser(onEvent, (ms) => {
      retryMs = ms;
    });
    let watchdog = null;
    const arm = () => {
      window.clearTimeout(watchdog);
      watchdog = window.setTimeout(() => own.abort(), SILENCE_MS);
    };
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        arm();
        push(value);
      }
    } catch (err) {
      // aborted (sign-out or silence) or the network dropped: handled below
    } finally {
      window.clearTimeout(watchdog);
    }
    if (controller === own) {
      controller = null;
      scheduleReconnect();
    }
  }

  function onEvent(name, data) {
    let payload;
    try {
      payload = JSON.parse(data);
    } catch (err) {
      return;
    }
    if (name === "snapshot") {
      failures = 0;
      byId("sign-in").hidden = true;
      byId("dashboard").hidden = false;
      byId("sign-out").hidden = false;
      setStatus("live", "live");
      ns.render.snapshot(payload);
    } else if (name === "decision") {
      ns.render.decision(payload);
    }
  }

  // --- wiring --------------------------------------------------------------------------------

  function start() {
    byId("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId("credential");
      const credential = input.value.trim();
      input.value = "";
      if (!credential) {
        byId("sign-in-error").textContent = "Enter an API key or an access token.";
        return;
      }
      try {
        window.sessionStorage.setItem(STORAGE_KEY, credential);
      } catch (err) {
        byId("sign-in-error").textContent = "Session storage is disabled in this browser.";
        return;
      }
      byId("sign-in-error").textContent = "";
      failures = 0;
      connect();
    });
    byId("sign-out").addEventListener("click", () => {
      stop();
      forgetCredential();
      ns.render.clear();
      showSignIn("");
    });
    if (storedCredential()) {
      connect();
    } else {
      showSignIn("");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})((window.prescreenDashboard = window.prescreenDashboard || {}));
