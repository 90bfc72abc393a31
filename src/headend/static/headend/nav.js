// The staff menu on a narrow screen (templates/base.html, app.css "Phone and keyboard"): the
// "Menu" link becomes a disclosure button that shows and hides the sidebar's links. Without this
// script the link still works: it jumps to #site-menu, which CSS (:target) opens.
// Also: a "Go back" link on an error page (data-back) returns through the browser's history, so
// a form refused for its size comes back with what was typed; without a script it follows its href.
(() => {
  "use strict";

  function setUp(sidebar) {
    const button = sidebar.querySelector("[data-menu-button]");
    const menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    button.setAttribute("role", "button");
    button.setAttribute("aria-expanded", "false");

    const open = (opened) => {
      button.setAttribute("aria-expanded", String(opened));
      sidebar.toggleAttribute("data-menu-open", opened);
    };
    button.addEventListener("click", (event) => {
      event.preventDefault();
      open(button.getAttribute("aria-expanded") !== "true");
    });
    // A link with role="button" answers Space as a button does (Enter already clicks it).
    button.addEventListener("keydown", (event) => {
      if (event.key === " ") {
        event.preventDefault();
        button.click();
      }
    });
    // Escape closes the open menu and puts focus back on its button.
    sidebar.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        open(false);
        button.focus();
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-menu]").forEach(setUp);
    document.querySelectorAll("a[data-back]").forEach((link) => {
      link.addEventListener("click", (event) => {
        if (window.history.length > 1) {
          event.preventDefault();
          window.history.back();
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
