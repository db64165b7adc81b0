// A terminal on a lab's node over a WebSocket: keystrokes go out as binary
// messages, resizes as {"type":"resize"} text messages, and output comes
// back as binary. The server tells the terminal's size in {"type":"size"}
// text messages; a read-only view takes it, so that the learner's screen
// is drawn as the learner sees it. When the connection drops, it connects
// again (the server keeps the shell for a while) and the screen is drawn
// again from the server's scrollback.
"use strict";

function ckatTerminal(el, url, statusEl, readOnly) {
  const term = new Terminal({
    cursorBlink: !readOnly,
    disableStdin: readOnly,
    fontSize: 14,
    scrollback: 5000,
    fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace",
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  if (!readOnly) fit.fit();

  const enc = new TextEncoder();
  let ws = null;
  let attempt = 0;
  let stopped = false;

  function status(text, cls) {
    statusEl.textContent = text;
    statusEl.className = "status " + (cls || "");
  }
  function send(data) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
  }
  function sendSize() {
    if (!readOnly) send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
  }
  function connect() {
    const u = new URL(url, location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(u);
    sock.binaryType = "arraybuffer";
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      term.reset();
      status(readOnly ? "connected (read-only)" : "connected", "ok");
      sendSize();
      if (!readOnly) term.focus();
    };
    sock.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(e.data));
        return;
      }
      const m = JSON.parse(e.data);
      if (readOnly && m.type === "size") term.resize(m.cols, m.rows);
    };
    sock.onclose = (e) => {
      if (stopped || ws !== sock) return;
      attempt++;
      const delay = Math.min(10000, 500 * 2 ** Math.min(attempt, 5));
      const why = e.reason ? e.reason + "; " : "connection lost; ";
      status(why + "reconnecting in " + Math.round(delay / 1000) + " s…", "warn");
      setTimeout(() => { if (!stopped) connect(); }, delay);
    };
  }

  if (!readOnly) term.onData((d) => send(enc.encode(d)));
  term.onResize(sendSize);
  // A read-only view keeps the size of the terminal it shows.
  const onWindowResize = () => { if (!readOnly) fit.fit(); };
  window.addEventListener("resize", onWindowResize);
  connect();

  return {
    term: term,
    fit: () => fit.fit(),
    // drop closes the socket as a network blip would; the terminal
    // connects again by itself.
    drop: () => { if (ws) ws.close(); },
    close: () => {
      stopped = true;
      window.removeEventListener("resize", onWindowResize);
      if (ws) ws.close();
      term.dispose();
    },
  };
}
