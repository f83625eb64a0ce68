// The admin page (/admin): invitations with their link and QR code, members, rooms, notices and
// the store's status, over the JSON API under /api/admin/. Every change reaches connected members
// at once (the server applies it as the CLI's changes are). Text is rendered with textContent;
// only the QR code, an SVG the server drew from libqrencode's matrix, is inserted as markup.
"use strict";

(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const flash = $("[data-testid=flash]");
  let users = [];
  let rooms = [];

  function say(text, failed) {
    flash.textContent = text;
    flash.classList.toggle("failed", !!failed);
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch("/api/admin/" + path, options);
    if (response.status === 401) {
      window.location.assign("/login?error=signed_out");
      throw new Error("signed out");
    }
    const answer = await response.json().catch(() => ({ ok: false, error: { message: "the server answered " + response.status } }));
    if (!response.ok || answer.ok === false) throw new Error((answer.error && answer.error.message) || "that did not work");
    return answer;
  }

  // Runs an action, says how it went, and refreshes what it changed.
  async function act(what, work, refresh) {
    try {
      const answer = await work();
      say(what);
      if (refresh) await refresh();
      return answer;
    } catch (error) {
      say("Could not do that: " + error.message + ".", true);
      return null;
    }
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("data-") || key.startsWith("aria-") || key === "for" || key === "role") node.setAttribute(key, value);
      else node[key] = value;
    });
    (children || []).forEach((child) => { if (child) node.append(child); });
    return node;
  }

  function button(label, onClick, extra) {
    const node = el("button", Object.assign({ type: "button", class: "secondary", text: label }, extra || {}));
    node.addEventListener("click", onClick);
    return node;
  }

  function showLink(prefix, link, svg) {
    const box = $(`[data-testid=${prefix}-result]`);
    $(`[data-testid=${prefix}-link]`).value = link;
    const qr = $(`[data-testid=${prefix}-qr]`);
    // The server's SVG: parsed as SVG (never as HTML), so nothing in it can run.
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    qr.replaceChildren(document.importNode(doc.documentElement, true));
    box.hidden = false;
    $(`[data-testid=${prefix}-link]`).focus();
    $(`[data-testid=${prefix}-link]`).select();
  }

  // MARK: Invitations

  async function loadInvites() {
    const answer = await api("GET", "invites");
    const list = $("[data-testid=invites]");
    list.replaceChildren();
    if (answer.invites.length === 0) list.append(el("li", { class: "empty", text: "No invitations yet." }));
    for (const invite of answer.invites) {
      const uses = invite.uses_allowed === null ? `${invite.uses} used, no limit` : `${invite.uses} of ${invite.uses_allowed} used`;
      const until = invite.expires_at ? `until ${new Date(invite.expires_at).toLocaleString()}` : "never expires";
      const facts = `${invite.state.replace("_", " ")} · ${uses} · ${until} · makes ${invite.role}s`;
      const item = el("li", { class: "card", "data-invite": String(invite.id), "data-state": invite.state }, [
        el("p", { class: "card-title", text: `Invitation #${invite.id}` }),
        el("p", { class: "card-facts", text: facts }),
      ]);
      if (invite.state === "valid") {
        item.append(el("div", { class: "card-actions" }, [
          button("Revoke", () => act(`Invitation #${invite.id} revoked.`, () => api("POST", `invites/${invite.id}/revoke`), loadInvites),
                 { "aria-label": `Revoke invitation #${invite.id}` }),
        ]));
      }
      list.append(item);
    }
  }

  $("[data-testid=invite-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const answer = await act("Invitation created: share the link or print the QR code.", () => api("POST", "invites", {
      uses: form.uses.value ? Number(form.uses.value) : null, expires: form.expires.value, role: form.role.value,
    }), loadInvites);
    if (answer) showLink("invite", answer.link, answer.qr_svg);
  });

  // Printing shows only the invitation's QR code and link (see chat.css, @media print).
  $("[data-testid=print-invite]").addEventListener("click", () => {
    document.body.classList.add("printing-invite");
    window.print();
    document.body.classList.remove("printing-invite");
  });

  // MARK: Members

  async function loadUsers() {
    const query = $("#user-query").value.trim();
    const answer = await api("GET", "users" + (query ? "?q=" + encodeURIComponent(query) : ""));
    users = answer.users;
    const list = $("[data-testid=users]");
    list.replaceChildren();
    if (users.length === 0) list.append(el("li", { class: "empty", text: query ? "Nobody matches." : "No members yet." }));
    for (const user of users) list.append(userCard(user));
  }

  function userCard(user) {
    const name = user.name;
    const display = el("input", { value: user.display_name, name: "display_name", "aria-label": `Display name of ${name}` });
    const role = el("select", { name: "role", "aria-label": `Role of ${name}` }, ["member", "moderator", "admin"].map((r) => el("option", { value: r, text: r, selected: r === user.role })));
    const edit = el("form", { class: "card-edit" }, [display, role, el("button", { type: "submit", class: "secondary", text: "Save", "aria-label": `Save ${name}` })]);
    edit.addEventListener("submit", (event) => {
      event.preventDefault();
      act(`Saved ${name}.`, () => api("POST", `users/${encodeURIComponent(name)}/set`, { display_name: display.value, role: role.value }), loadUsers);
    });
    const state = user.disabled ? "disabled" : "active";
    return el("li", { class: "card", "data-user": name }, [
      el("p", { class: "card-title" }, [el("bdi", { text: user.display_name }), document.createTextNode(` (${name})`)]),
      el("p", { class: "card-facts", text: `${user.role} · ${state}` + (user.has_password ? "" : " · no password yet") }),
      edit,
      el("div", { class: "card-actions" }, [
        button("Reset password", async () => {
          const answer = await act(`One-time sign-in link made for ${name}: whoever opens it sets ${name}'s password.`,
            () => api("POST", `users/${encodeURIComponent(name)}/reset`), loadUsers);
          if (answer) showLink("signin", answer.link, answer.qr_svg);
        }, { "aria-label": `Reset the password of ${name}` }),
        user.disabled
          ? button("Enable", () => act(`Enabled ${name}.`, () => api("POST", `users/${encodeURIComponent(name)}/enable`), loadUsers), { "aria-label": `Enable ${name}` })
          : button("Disable", () => act(`Disabled ${name}: they are signed out everywhere.`, () => api("POST", `users/${encodeURIComponent(name)}/disable`), loadUsers),
            { "aria-label": `Disable ${name}`, class: "secondary danger" }),
      ]),
    ]);
  }

  $("[data-testid=user-search]").addEventListener("submit", (event) => {
    event.preventDefault();
    loadUsers().catch((error) => say("Could not search: " + error.message + ".", true));
  });

  $("[data-testid=add-user-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const name = form.username.value.trim();
    const answer = await act(`Added ${name}: give them the sign-in link to set their password.`, () => api("POST", "users", {
      username: name, display_name: form.display_name.value, role: form.role.value,
    }), loadUsers);
    if (answer) {
      form.reset();
      showLink("signin", answer.link, answer.qr_svg);
    }
  });

  // MARK: Rooms

  async function loadRooms() {
    const answer = await api("GET", "rooms");
    rooms = answer.rooms;
    const list = $("[data-testid=rooms]");
    list.replaceChildren();
    for (const room of rooms) list.append(roomCard(room));
    const select = $("#notice-room");
    const chosen = select.value;
    select.replaceChildren(...rooms.filter((r) => !r.archived).map((r) => el("option", { value: r.name, text: r.name, selected: r.name === chosen })));
  }

  function roomCard(room) {
    const name = room.name;
    const description = el("input", { value: room.description, name: "description", maxLength: 200, "aria-label": `Description of ${name}` });
    const edit = el("form", { class: "card-edit" }, [description, el("button", { type: "submit", class: "secondary", text: "Save", "aria-label": `Save the description of ${name}` })]);
    edit.addEventListener("submit", (event) => {
      event.preventDefault();
      act(`Saved the description of ${name}.`, () => api("POST", `rooms/${name}/description`, { description: description.value }), loadRooms);
    });
    const facts = (room.is_private ? "private" : "public") + (room.archived ? " · archived" : "");
    const card = el("li", { class: "card", "data-room": name }, [
      el("p", { class: "card-title", text: (room.is_private ? "🔒 " : "# ") + name }),
      el("p", { class: "card-facts", text: facts }),
      edit,
      el("div", { class: "card-actions" }, [
        room.archived
          ? button("Unarchive", () => act(`Room ${name} is back.`, () => api("POST", `rooms/${name}/unarchive`), loadRooms), { "aria-label": `Unarchive ${name}` })
          : button("Archive", () => act(`Room ${name} archived.`, () => api("POST", `rooms/${name}/archive`), loadRooms), { "aria-label": `Archive ${name}`, class: "secondary danger" }),
      ]),
    ]);
    if (room.is_private) {
      const members = el("ul", { class: "members", "aria-label": `Members of ${name}` });
      for (const member of room.members || []) {
        members.append(el("li", {}, [
          el("bdi", { text: member.display_name }),
          document.createTextNode(` (${member.name}) `),
          button("Remove", () => act(`Removed ${member.name} from ${name}.`, () => api("POST", `rooms/${name}/members/${encodeURIComponent(member.name)}/remove`), loadRooms),
                 { "aria-label": `Remove ${member.name} from ${name}` }),
        ]));
      }
      if ((room.members || []).length === 0) members.append(el("li", { class: "empty", text: "No members yet." }));
      const who = el("input", { name: "user", autocapitalize: "none", spellcheck: false, required: true, "aria-label": `User name to add to ${name}` });
      const add = el("form", { class: "card-edit" }, [who, el("button", { type: "submit", class: "secondary", text: "Add member", "aria-label": `Add a member to ${name}` })]);
      add.addEventListener("submit", (event) => {
        event.preventDefault();
        act(`Added ${who.value.trim()} to ${name}.`, () => api("POST", `rooms/${name}/members`, { user: who.value.trim() }), loadRooms);
      });
      card.append(el("p", { class: "card-facts", text: "Members:" }), members, add);
    }
    return card;
  }

  $("[data-testid=add-room-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const answer = await act(`Room ${form.name.value} added.`, () => api("POST", "rooms", {
      name: form.name.value.trim(), description: form.description.value, private: form.private.checked,
    }), loadRooms);
    if (answer) form.reset();
  });

  $("[data-testid=notice-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const answer = await act(`Notice posted to ${form.room.value}.`, () => api("POST", `rooms/${form.room.value}/notice`, { text: form.text.value }));
    if (answer) form.text.value = "";
  });

  // MARK: Status

  async function loadStatus() {
    const answer = await api("GET", "status");
    const list = $("[data-testid=status]");
    list.replaceChildren();
    for (const [term, value] of answer.facts) {
      list.append(el("dt", { text: term }), el("dd", { text: value }));
    }
  }

  Promise.all([loadInvites(), loadUsers(), loadRooms(), loadStatus()])
    .then(() => { document.body.dataset.loaded = "true"; })
    .catch((error) => say("Could not load the admin data: " + error.message + ".", true));
})();
