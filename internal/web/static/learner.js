// The learner's page: the terminal, and the grade, hint and next buttons,
// whose answers are HTML fragments the server renders.
"use strict";

const ckat = ckatTerminal(
  document.getElementById("terminal"), "api/terminal",
  document.getElementById("status"), false);
window.ckat = ckat;

async function post(button, url, target) {
  const buttons = document.querySelectorAll(".buttons button");
  buttons.forEach((b) => { b.disabled = true; });
  const label = button.textContent;
  button.textContent = label + "…";
  try {
    const resp = await fetch(url, { method: "POST", credentials: "same-origin" });
    const body = await resp.text();
    if (resp.ok) {
      target.innerHTML = body;
    } else {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = body;
      target.replaceChildren(p);
    }
  } catch (err) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = "The server cannot be reached: " + err;
    target.replaceChildren(p);
  } finally {
    button.textContent = label;
    buttons.forEach((b) => { b.disabled = false; });
    ckat.term.focus();
  }
}

const result = document.getElementById("result");
document.getElementById("grade").addEventListener("click", (e) => post(e.target, "api/grade", result));
document.getElementById("hint").addEventListener("click", (e) => post(e.target, "api/hint", result));
document.getElementById("next").addEventListener("click", async (e) => {
  await post(e.target, "api/next", document.getElementById("task"));
  result.replaceChildren();
});
