// The instructor's page: the class's grid from server-sent events, a
// read-only terminal on any learner's lab, and reset.
"use strict";

const marks = { pass: "✔", fail: "✘", error: "!" };
const statusEl = document.getElementById("status");
const table = document.getElementById("grid");
const message = document.getElementById("message");
let grid = null;
let viewer = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function since(ms) {
  if (!ms) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  return Math.floor(s / 3600) + " h ago";
}

function render() {
  if (!grid) return;
  const head = el("tr");
  for (const h of ["Learner", "Lab", "Stage", "Score", "Last grade", "Hints"]) head.append(el("th", h));
  for (const c of grid.checks) head.append(el("th", c, "check"));
  head.append(el("th", ""));
  table.tHead.replaceChildren(head);

  const rows = grid.rows.map((r) => {
    const tr = el("tr");
    tr.dataset.learner = r.learner;
    tr.append(el("td", r.learner, "learner"));
    const state = el("td", r.frozen ? "frozen (idle)" : r.state, "state " + r.state);
    if (r.message) state.title = r.message;
    tr.append(state);
    tr.append(el("td", r.stage ? r.stageNumber + "/" + r.stages + " " + r.stage : "?"));
    tr.append(el("td", r.graded ? r.score + "/" + r.maxScore : "–", "score"));
    const last = el("td", since(r.lastGrade), "since");
    last.dataset.ms = r.lastGrade;
    tr.append(last);
    tr.append(el("td", String(r.hints)));
    for (const c of grid.checks) {
      const st = r.cells[c];
      const td = el("td", st ? marks[st] : "", "cell " + (st || "none"));
      if (r.messages[c]) td.title = r.messages[c];
      tr.append(td);
    }
    const actions = el("td", undefined, "actions");
    const view = el("button", "View");
    view.type = "button";
    view.addEventListener("click", () => openViewer(r.learner));
    const reset = el("button", "Reset");
    reset.type = "button";
    reset.addEventListener("click", () => resetLab(r.learner, reset));
    actions.append(view, reset);
    tr.append(actions);
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
}

function tick() {
  document.querySelectorAll("td.since").forEach((td) => { td.textContent = since(Number(td.dataset.ms)); });
}
setInterval(tick, 1000);

function openViewer(learner) {
  if (viewer) viewer.close();
  document.getElementById("viewer").hidden = false;
  document.getElementById("viewing").textContent = learner + "'s terminal";
  viewer = ckatTerminal(document.getElementById("terminal"),
    "api/terminal?learner=" + encodeURIComponent(learner),
    document.getElementById("viewer-status"), true);
}
document.getElementById("close").addEventListener("click", () => {
  if (viewer) viewer.close();
  viewer = null;
  document.getElementById("viewer").hidden = true;
});

async function resetLab(learner, button) {
  if (!confirm("Start " + learner + "'s lab over? Their work on the node is undone.")) return;
  button.disabled = true;
  message.textContent = "Resetting " + learner + "'s lab…";
  try {
    const resp = await fetch("api/reset?learner=" + encodeURIComponent(learner),
      { method: "POST", credentials: "same-origin" });
    message.textContent = await resp.text();
  } catch (err) {
    message.textContent = "The server cannot be reached: " + err;
  } finally {
    button.disabled = false;
  }
}

function listen() {
  const es = new EventSource("api/events");
  es.addEventListener("grid", (e) => {
    grid = JSON.parse(e.data);
    statusEl.textContent = "live · updated " + new Date().toLocaleTimeString();
    statusEl.className = "status ok";
    render();
  });
  es.onerror = () => {
    statusEl.textContent = "connection lost; reconnecting…";
    statusEl.className = "status warn";
  };
}
listen();
