// Sign-in, setup and registration pages: show why the last attempt failed, and the register link
// when the gym allows it. No inline script: the Content-Security-Policy forbids it.
"use strict";

(function () {
  const messages = {
    unauthorized: "That user name and password do not match.",
    rate_limited: "Too many attempts. Wait a minute and try again.",
    forbidden: "That is not possible here.",
    invalid_request: "Check the user name (letters, digits, . _ -) and a password of at least 8 characters.",
    registration_closed: "Registration is closed: ask your gym for an account.",
    internal_error: "Something went wrong on our side. Try again.",
  };
  const code = new URLSearchParams(window.location.search).get("error");
  const box = document.querySelector("[data-testid=login-error]");
  if (code && box) {
    box.textContent = messages[code] || "That did not work. Try again.";
    box.hidden = false;
  }
  const register = document.querySelector("[data-testid=register-link]");
  if (register) {
    fetch("/api/config", { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((config) => { register.hidden = !config.open_registration; })
      .catch(() => {});
  }
  const first = document.querySelector("input[name=username]");
  if (first) first.focus();
})();
