/* The dispatch calendar: drag a block, or an unassigned task, onto a technician's day to give it
 * to them and fix it on that day; or use its "Move…" form (technician and day), which works
 * from the keyboard and, without this script, posts and comes back (post/redirect/get).
 *
 * With this script a move is posted in the background with the block's own form, the day and
 * technician of the cell it was dropped on set in it. The server answers with the calendar as
 * it now is (every load and forecast moved by the reforecast), which replaces the old one, or
 * with the reason it refused (400, 409), shown above the calendar while the block goes back. */
(function () {
  "use strict";

  const root = document.querySelector("[data-dispatch]");
  if (!root || !window.Sortable) return;
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");

  function say(text, kind) {
    const message = document.getElementById("dispatch-message");
    if (!message) return;
    const line = document.createElement("p");
    line.className = kind === "error" ? "flash flash-error" : "flash";
    if (kind === "error") line.setAttribute("role", "alert");
    line.textContent = text;
    message.replaceChildren(line);
  }

  async function reason(response) {
    if (!response) return "The server could not be reached; nothing was moved.";
    if (response.status === 409 || response.status === 400) return (await response.text()).trim();
    if (response.status === 403) return "Your role may not move this task.";
    if (response.status === 404) return "That task no longer exists; reload the page.";
    return "The move failed (HTTP " + response.status + "); nothing was moved.";
  }

  /* Post `form` (a block's "Move…" form); on success replace the calendar and return true. */
  async function post(form, block) {
    block.setAttribute("aria-busy", "true");
    let response = null;
    try {
      response = await fetch(form.action, {
        method: "POST",
        headers: Object.assign({}, headers, { "HX-Request": "true" }),
        body: new FormData(form),
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    }
    block.removeAttribute("aria-busy");
    if (response && response.ok) {
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const board = template.content.querySelector("#dispatch-board");
      if (board) {
        document.getElementById("dispatch-board").replaceWith(board);
        start();
        return true;
      }
    }
    const why = await reason(response);
    say(block.dataset.number + " not moved: " + why, "error");
    // And on the block's own form, where the keyboard user is.
    let note = form.querySelector("small.error[data-move-error]");
    if (!note) {
      note = document.createElement("small");
      note.className = "error";
      note.setAttribute("data-move-error", "");
      form.prepend(note);
    }
    note.textContent = why;
    return false;
  }

  function putBack(item, fromList, oldIndex) {
    fromList.insertBefore(item, fromList.children[oldIndex] || null);
  }

  /* Focus the first "Move…" of the task after the calendar was drawn again. */
  function focusTask(taskId) {
    const block = document.querySelector('#dispatch-board .dispatch-block[data-task="' + taskId + '"]');
    const target = block && (block.querySelector("summary") || block.querySelector("a"));
    if (target) target.focus();
  }

  function start() {
    root.querySelectorAll(".dispatch-list").forEach(function (list) {
      const unassigned = list.hasAttribute("data-unassigned");
      window.Sortable.create(list, {
        group: { name: "dispatch", pull: true, put: !unassigned },
        sort: false,
        animation: 150,
        // Pointer events, not the browser's drag and drop: one behaviour everywhere, touch included.
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 3,
        draggable: ".dispatch-block[data-movable]",
        filter: "a, select, button, input, option, summary, label",
        preventOnFilter: false,
        ghostClass: "dispatch-block-ghost",
        chosenClass: "dispatch-block-chosen",
        onEnd: async function (event) {
          if (event.from === event.to) return;
          const block = event.item;
          const form = block.querySelector("form.dispatch-move-form");
          if (!form) return putBack(block, event.from, event.oldIndex);
          form.elements.technician.value = event.to.dataset.technician;
          form.elements.date.value = event.to.dataset.date;
          if (!(await post(form, block))) putBack(block, event.from, event.oldIndex);
        },
      });
    });
  }

  /* The keyboard way: the block's "Move…" form, posted like a drop. */
  root.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.dispatch-move-form");
    if (!form) return;
    event.preventDefault();
    const block = form.closest(".dispatch-block");
    if (await post(form, block)) focusTask(block.dataset.task);
  });

  start();
})();
