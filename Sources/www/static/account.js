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
    storage_full: "The server's disk is full, so nothing can be saved right now. Tell the gym; try again later.",
    signed_out: "You were signed out (or your account was disabled). Sign in again.",
    user_exists: "That user name is taken: pick another.",
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
  // Forms are sent with fetch so a mistake keeps what was typed (but the password) and shows the
  // server's own sentence; without script the form still posts and redirects.
  const form = document.querySelector("form.account-form");
  if (form && window.fetch) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(new FormData(form)).toString(),
          credentials: "same-origin",
        });
        const answer = await response.json().catch(() => ({}));
        if (response.ok && answer.ok !== false) {
          window.location.assign("/chat");
          return;
        }
        const error = answer.error || {};
        show(messages[error.code] && error.code !== "invalid_request" ? messages[error.code] : sentence(error.message) || messages.internal_error);
        form.querySelectorAll("input[type=password]").forEach((input) => { input.value = ""; });
        const focus = error.code === "unauthorized" ? form.querySelector("input[type=password]") : form.querySelector("input[name=username]");
        if (focus) focus.focus();
      } catch (failure) {
        show("The server could not be reached. Check the connection and try again.");
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
  function sentence(text) {
    if (!text) return "";
    const first = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(first) ? first : first + ".";
  }
  function show(text) {
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  const first = document.querySelector("input[name=username]");
  if (first) first.focus();
})();
