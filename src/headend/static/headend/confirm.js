/* A form with data-confirm="question" asks before it is sent (what an inline onsubmit did; the
 * Content-Security-Policy runs no inline script). Cancelling sends nothing. */
(function () {
  "use strict";

  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );
})();
