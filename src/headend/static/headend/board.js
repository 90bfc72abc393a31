/* Kanban boards: drag a card to another column, or use its "Move to" form, to move it.
 *
 * Without this script each card's form posts and the page comes back (post/redirect/get).
 * With it, the move is posted in the background: the server answers with the card as it now
 * is (which replaces the old one), or 409 with the reason, shown above the board while the
 * card goes back where it was. Order inside a column is the server's (soonest go-live first),
 * so cards are only moved between columns. */
(function () {
  "use strict";

  const board = document.querySelector("[data-board]");
  if (!board || !board.hasAttribute("data-can-move")) return;
  const message = document.getElementById("board-message");
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");

  function say(text, kind) {
    const line = document.createElement("p");
    line.className = kind === "error" ? "flash flash-error" : "flash";
    if (kind === "error") line.setAttribute("role", "alert");
    line.textContent = text;
    message.replaceChildren(line);
  }

  function bump(list, by) {
    const count = list.closest(".board-column").querySelector(".board-count");
    count.textContent = String(Math.max(0, Number(count.textContent) + by));
  }

  function putBack(card, fromList, oldIndex) {
    fromList.insertBefore(card, fromList.children[oldIndex] || null);
  }

  async function reason(response) {
    if (!response) return "The server could not be reached; nothing was moved.";
    if (response.status === 409 || response.status === 400) return (await response.text()).trim();
    if (response.status === 403) return "Your role may not move cards on this board.";
    if (response.status === 404) return "That card no longer exists; reload the board.";
    return "The move failed (HTTP " + response.status + "); nothing was moved.";
  }

  /* `card` is already in `list`; post the move and keep it there, or put it back. */
  async function move(card, list, fromList, oldIndex) {
    const form = card.querySelector("form.move-form");
    const body = form ? new FormData(form) : new FormData();
    body.set("to", list.dataset.status);
    card.setAttribute("aria-busy", "true");
    let response = null;
    try {
      response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        headers: Object.assign({}, headers, { "HX-Request": "true" }),
        body: body,
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    }
    card.removeAttribute("aria-busy");
    if (response && response.ok) {
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const fresh = template.content.firstElementChild;
      card.replaceWith(fresh);
      bump(fromList, -1);
      bump(list, +1);
      say(card.dataset.number + " moved to " + list.dataset.label + ".", "success");
      return fresh;
    }
    putBack(card, fromList, oldIndex);
    say(card.dataset.number + " not moved: " + (await reason(response)), "error");
    return null;
  }

  board.querySelectorAll(".board-list").forEach(function (list) {
    window.Sortable.create(list, {
      group: board.dataset.group,
      sort: false,
      animation: 150,
      // Pointer events rather than the browser's drag and drop: one behaviour everywhere,
      // touch screens included, and the card follows the pointer as it is.
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 3,
      draggable: ".board-card",
      filter: "a, select, button, input, option",
      preventOnFilter: false,
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      dragClass: "board-card-drag",
      onEnd: function (event) {
        if (event.from === event.to) return;
        move(event.item, event.to, event.from, event.oldIndex);
      },
    });
  });

  /* The keyboard way: the card's "Move to" form, handled like a drop at the top of the column. */
  board.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.move-form");
    if (!form) return;
    const card = form.closest(".board-card");
    const list = board.querySelector('.board-list[data-status="' + form.elements.to.value + '"]');
    if (!card || !list) return; // let the form post
    event.preventDefault();
    const fromList = card.parentElement;
    const oldIndex = Array.prototype.indexOf.call(fromList.children, card);
    list.prepend(card);
    const fresh = await move(card, list, fromList, oldIndex);
    const focus = (fresh || card).querySelector("select, .card-number");
    if (focus) focus.focus();
  });
})();
