// /join/CODE (an invitation: pick a user name, a display name and a password) and /welcome/CODE
// (a one-time sign-in link: set a password). Says whether the link still works, then posts the
// form with fetch and lands in the chat. No inline script: the Content-Security-Policy forbids it.
"use strict";

(function () {
  const parts = window.location.pathname.split("/").filter(Boolean);
  const kind = parts[0] === "welcome" ? "welcome" : "join";
  const code = parts[1] || "";
  const stateBox = document.querySelector("[data-testid=invite-state]");
  const errorBox = document.querySelector("[data-testid=login-error]");
  const form = document.querySelector("[data-testid=join-form]");
  const states = {
    join: {
      valid: "You are invited. Pick a user name and a password to join.",
      expired: "This invitation has expired. Ask the front desk for a new one.",
      used_up: "This invitation has been used up. Ask the front desk for a new one.",
      revoked: "This invitation was withdrawn. Ask the front desk for a new one.",
      not_found: "This invitation link is not valid. Check it, or ask the front desk for a new one.",
    },
    welcome: {
      valid: "Choose a password to sign in.",
      expired: "This sign-in link has expired. Ask the front desk for a new one.",
      used_up: "This sign-in link was used already. Sign in with your password, or ask for a new link.",
      revoked: "This sign-in link was withdrawn. Ask the front desk for a new one.",
      not_found: "This sign-in link is not valid. Ask the front desk for a new one.",
    },
  }[kind];
  const messages = {
    rate_limited: "Too many attempts. Wait a little and try again.",
    internal_error: "Something went wrong on our side. Try again.",
    storage_full: "The server's disk is full, so nothing can be saved right now. Tell the gym; try again later.",
    mismatch: "The two passwords differ. Type the same password twice.",
  };

  function showState(state, extra) {
    stateBox.dataset.state = state;
    stateBox.textContent = (states[state] || states.not_found) + (extra ? " " + extra : "");
    form.hidden = state !== "valid";
    if (state === "valid") {
      const first = form.querySelector("input");
      if (first) first.focus();
    }
  }
  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }
  function sentence(text) {
    if (!text) return "";
    const first = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(first) ? first : first + ".";
  }

  fetch("/api/" + kind + "/" + encodeURIComponent(code), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => response.json())
    .then((answer) => {
      if (answer.ok && answer.state) {
        let extra = "";
        if (kind === "welcome" && answer.user) extra = "Account: " + answer.user.name + ".";
        showState(answer.state, answer.state === "valid" ? extra : "");
      } else {
        showState((answer.error && answer.error.reason) || "not_found");
      }
    })
    .catch(() => showState("not_found"));

  const urlError = new URLSearchParams(window.location.search).get("error");
  // A form posted without script comes back with ?error=REASON.
  if (urlError && states[urlError] && urlError !== "valid") showError(states[urlError]);
  else if (urlError) showError(messages[urlError] || "That did not work. Check the form and try again.");

  const toggle = document.querySelector("[data-testid=show-password]");
  if (toggle) {
    toggle.addEventListener("change", () => {
      form.querySelectorAll("input[name^=password]").forEach((input) => { input.type = toggle.checked ? "text" : "password"; });
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const data = new FormData(form);
    if (data.get("password") !== data.get("password_confirm")) {
      showError(messages.mismatch);
      form.querySelector("input[name=password_confirm]").focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(window.location.pathname, {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(data).toString(),
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.ok !== false) {
        window.location.assign("/chat");
        return;
      }
      const error = answer.error || {};
      if (error.reason && states[error.reason] && error.reason !== "valid") {
        showState(error.reason);
      }
      showError(messages[error.code] || sentence(error.message) || messages.internal_error);
      form.querySelectorAll("input[name^=password]").forEach((input) => { input.value = ""; });
      const focus = /name/.test(error.message || "") ? form.querySelector("input[name=username]") : form.querySelector("input[name=password]");
      if (focus && !form.hidden) focus.focus();
    } catch (failure) {
      showError("The server could not be reached. Check the connection and try again.");
    } finally {
      button.disabled = false;
    }
  });
})();
