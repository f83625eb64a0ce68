// The chat page: the FitnessChat class of the original design (initializeChat, selectRoom,
// sendMessage, displayMessage, handleTypingIndicator, updateParticipants) over ChatSocket.
// Message text is always rendered with textContent, never as HTML.
"use strict";

// The server's limit; it counts user-perceived characters (grapheme clusters), as Segmenter does.
const MAX_MESSAGE_CHARACTERS = 2000;
// Consecutive messages of one sender closer than this share one name and time.
const GROUP_WINDOW_MS = 5 * 60 * 1000;
// The reaction picker: a handful of common ones, each with the name a screen reader says.
const PICKER_EMOJIS = [
  ["👍", "thumbs up"], ["❤️", "heart"], ["😂", "laughing"], ["💪", "flexed biceps"], ["🔥", "fire"], ["🎉", "party"],
];
const EMOJI_NAMES = new Map(PICKER_EMOJIS);

function emojiName(emoji) {
  return EMOJI_NAMES.get(emoji) || emoji.replace(/^:|:$/g, "").replace(/_/g, " ");
}

// Local calendar day of a date, as a key ("2026-11-25").
function dayKey(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

// "Today", "Yesterday", or the date ("Sunday 22 November", with the year when it is not this year's).
function dayLabel(date, now = new Date()) {
  if (dayKey(date) === dayKey(now)) return "Today";
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return date.toLocaleDateString([], options);
}

function characterCount(text) {
  if (typeof Intl !== "undefined" && Intl.Segmenter) {
    let count = 0;
    for (const _ of new Intl.Segmenter().segment(text)) count += 1;
    return count;
  }
  return Array.from(text).length;
}

class FitnessChat {
  constructor(doc) {
    this.doc = doc;
    this.el = {
      rooms: doc.querySelector("[data-testid=rooms]"),
      messages: doc.querySelector("[data-testid=messages]"),
      typing: doc.querySelector("[data-testid=typing]"),
      input: doc.querySelector("[data-testid=message-input]"),
      composer: doc.querySelector("[data-testid=composer]"),
      send: doc.querySelector(".composer .send"),
      error: doc.querySelector("[data-testid=composer-error]"),
      connection: doc.querySelector("[data-testid=connection]"),
      me: doc.querySelector("[data-testid=me]"),
      title: doc.getElementById("room-title"),
      description: doc.querySelector("[data-testid=room-description]"),
      participants: doc.querySelector("[data-testid=participants]"),
      directRooms: doc.querySelector("[data-testid=direct-rooms]"),
      directHint: doc.querySelector("[data-testid=direct-hint]"),
      menu: doc.querySelector("[data-testid=menu-toggle]"),
    };
    this.me = null;
    this.role = "member";
    this.rooms = [];
    this.directRooms = new Map();    // room name → {name, title, peer} of the direct rooms we know
    this.currentRoom = null;
    this.shownIds = new Set();
    this.messages = new Map();       // message id → the latest message, for the current room
    this.lastShown = null;           // the last message appended (grouping and day separators)
    this.participants = new Map();   // user id → {user, online}
    this.typers = new Map();         // user id → display name, for the current room
    this.typingSent = 0;
    this.typingIdle = null;
    this.joining = null;
  }

  initializeChat() {
    const socket = new ChatSocket();
    this.socket = socket;
    socket.on("state", (state, detail) => this.showConnection(state, detail));
    socket.on("connect_error", (error) => {
      // Signed out elsewhere, expired or disabled: the sign-in page says why.
      if (error.message === "unauthorized") window.location.assign("/login?error=signed_out");
      else this.showConnection("refused", error);
    });
    socket.on("connect", () => {
      // After a reconnect, join again: the history catches up with what was missed.
      if (this.currentRoom) this.selectRoom(this.currentRoom, { quiet: true });
    });
    socket.on("status", (data) => {
      this.me = data.user;
      this.el.me.textContent = data.user.display_name;
      this.showAdminLink();
    });
    socket.on("rooms_list", (data) => this.showRooms(data.rooms));
    socket.on("new_message", (message) => {
      if (message.room === this.currentRoom) this.displayMessage(message);
    });
    socket.on("message_updated", (message) => {
      if (message.room === this.currentRoom) this.updateMessage(message);
    });
    socket.on("message_deleted", (data) => {
      if (data.room === this.currentRoom) this.markDeleted(data.id);
    });
    socket.on("reaction_updated", (data) => {
      if (data.room === this.currentRoom) this.updateReactions(data.id, data.reactions);
    });
    socket.on("user_joined", (data) => {
      if (data.room === this.currentRoom) this.setParticipant(data.user, true);
      this.refreshRoomsSoon();
    });
    socket.on("user_left", (data) => {
      if (data.room !== this.currentRoom) return;
      this.participants.delete(data.user.id);
      this.updateParticipants();
      this.refreshRoomsSoon();
    });
    socket.on("presence", (data) => {
      if (this.participants.has(data.user.id)) this.setParticipant(data.user, data.online);
      this.refreshRoomsSoon();
    });
    socket.on("room_removed", (data) => this.removedFrom(data));
    socket.on("user_typing", (data) => this.handleTypingIndicator(data));
    socket.on("error", (error) => this.showError(error));

    this.el.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendMessage();
    });
    this.el.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendMessage();
      }
    });
    this.el.input.addEventListener("input", () => {
      this.autoGrow();
      this.checkLength();
      this.noteTyping();
    });
    this.el.menu.addEventListener("click", () => this.toggleDrawer());
    // A click anywhere else closes the reaction picker.
    this.doc.addEventListener("click", (event) => {
      if (this.picker && !this.picker.contains(event.target) && !(this.pickerButton && this.pickerButton.contains(event.target))) {
        this.closePicker();
      }
    });
    this.doc.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.doc.body.classList.contains("drawer-open")) {
        this.toggleDrawer(false);
        this.el.menu.focus();
      }
    });
    socket.connect();
  }

  // Admins get a link to /admin (asked again on every connect: an admin may have changed the role).
  showAdminLink() {
    const link = this.doc.querySelector("[data-testid=admin-link]");
    if (!link) return;
    fetch("/api/me", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => response.json())
      .then((me) => {
        link.hidden = me.role !== "admin";
        const role = me.role === "admin" ? "admin" : "member";
        if (role !== this.role) {
          this.role = role;
          this.refreshAllMessages();  // admins may delete any message
        }
      })
      .catch(() => {});
  }

  // On a phone the people online and the account's buttons are behind the menu button.
  toggleDrawer(open = !this.doc.body.classList.contains("drawer-open")) {
    this.doc.body.classList.toggle("drawer-open", open);
    this.el.menu.setAttribute("aria-expanded", String(open));
  }

  // MARK: Rooms

  showRooms(rooms) {
    this.rooms = rooms;
    const groups = [[], []];
    for (const room of rooms) {
      if (room.kind === "direct") {
        this.directRooms.set(room.name, room);
        groups[1].push(room);
      } else {
        groups[0].push(room);
      }
    }
    const render = (list, entries) => {
      list.replaceChildren();
      for (const room of entries) {
        const item = this.doc.createElement("li");
        const button = this.doc.createElement("button");
        button.type = "button";
        button.className = room.kind === "direct" ? "room direct" : "room";
        button.dataset.room = room.name;
        if (room.name === this.currentRoom) button.setAttribute("aria-current", "true");
        const name = this.doc.createElement("span");
        name.className = "room-name";
        const online = this.doc.createElement("span");
        online.className = "room-online";
        const description = this.doc.createElement("span");
        description.className = "room-about";
        if (room.kind === "direct") {
          const title = this.doc.createElement("bdi");
          title.textContent = room.title || (room.peer && room.peer.display_name) || room.name;
          name.append(title);
          if (room.peer) {
            button.dataset.peer = room.peer.name;
            description.textContent = `@${room.peer.name}`;
          }
          online.textContent = room.online > 1 ? "online" : "";
        } else {
          name.textContent = (room.is_private ? "🔒 " : "# ") + room.name;
          online.textContent = `${room.online} online`;
          description.textContent = room.description;
        }
        button.append(name, online, description);
        button.addEventListener("click", () => this.selectRoom(room.name));
        item.append(button);
        list.append(item);
      }
    };
    render(this.el.rooms, groups[0]);
    render(this.el.directRooms, groups[1]);
    this.el.directHint.hidden = groups[1].length > 0;
    if (!this.currentRoom && !this.joining && !this.removedNotice && rooms.length) {
      const general = rooms.find((room) => room.name === "general") || groups[0][0] || rooms[0];
      this.selectRoom(general.name, { quiet: true, keepFocus: true });
    }
  }

  // How a room is titled: "# name", or the other person's name for a direct one.
  roomTitle(room) {
    const direct = this.directRooms.get(room.name) || (room.kind === "direct" ? room : null);
    if (direct) {
      const peer = direct.peer ? ` (@${direct.peer.name})` : "";
      return { title: direct.title || room.name, description: `Direct messages${peer}`, placeholder: `Message ${direct.title || room.name}` };
    }
    return { title: "# " + room.name, description: room.description, placeholder: `Message #${room.name}` };
  }

  // A direct conversation with someone online: opened (or found) by the server, then joined.
  async openDirect(user) {
    try {
      const answer = await this.socket.request("open_direct", { user: user.name });
      if (!answer.ok) { this.showError(answer.error); return; }
      this.directRooms.set(answer.room.name, answer.room);
      if (!this.rooms.some((room) => room.name === answer.room.name)) {
        this.showRooms([...this.rooms, { ...answer.room, online: 1, participants: 2 }]);
      }
      this.toggleDrawer(false);
      await this.selectRoom(answer.room.name);
    } catch (error) {
      this.showError({ code: "offline", message: "Not connected — trying again…" });
    }
  }

  refreshRoomsSoon() {
    clearTimeout(this.roomsTimer);
    this.roomsTimer = setTimeout(() => this.socket.emit("get_rooms"), 300);
  }

  async selectRoom(name, { quiet = false, keepFocus = false } = {}) {
    this.joining = name;
    try {
      const answer = await this.socket.request("join_room", { room: name });
      if (this.joining !== name) return;
      if (!answer.ok) { this.showError(answer.error); return; }
      this.currentRoom = name;
      this.removedNotice = false;
      const shown = this.roomTitle(answer.room);
      this.el.title.textContent = shown.title;
      this.el.description.textContent = shown.description;
      for (const button of this.doc.querySelectorAll(".rooms button.room")) {
        if (button.dataset.room === name) {
          button.setAttribute("aria-current", "true");
          button.scrollIntoView({ block: "nearest", inline: "nearest" });  // the phone's strip of chips
        } else {
          button.removeAttribute("aria-current");
        }
      }
      if (!quiet) this.toggleDrawer(false);
      this.clearMessages();
      if (answer.has_more) {
        const more = this.doc.createElement("li");
        more.className = "notice history-note";
        more.textContent = "Older messages are in the room's history.";
        this.el.messages.append(more);
      }
      for (const message of answer.messages) this.displayMessage(message, { scroll: false });
      if (!answer.messages.length) {
        const empty = this.doc.createElement("li");
        empty.className = "notice empty-note";
        empty.textContent = "No messages yet: say hi!";
        this.el.messages.append(empty);
      }
      this.scrollToEnd();
      this.participants.clear();
      for (const p of answer.participants) this.participants.set(p.user.id, p);
      this.updateParticipants();
      this.typers.clear();
      this.renderTyping();
      this.refreshRoomsSoon();
      this.el.input.disabled = false;
      this.el.send.disabled = false;
      this.el.input.placeholder = shown.placeholder;
      this.clearError();
      if (!keepFocus && !quiet) this.el.input.focus();
    } catch (error) {
      if (!quiet) this.showError({ code: "offline", message: "Not connected — trying again…" });
    } finally {
      if (this.joining === name) this.joining = null;
    }
  }

  // An admin ended our membership: out of the room at once, with a notice instead of the input.
  removedFrom(data) {
    this.refreshRoomsSoon();
    if (data.room !== this.currentRoom) return;
    this.currentRoom = null;
    this.joining = null;
    this.removedNotice = true;  // stay out (no automatic room) until the member picks one
    this.stopTyping();
    this.el.title.textContent = "No room";
    this.el.description.textContent = "";
    for (const button of this.doc.querySelectorAll(".rooms button.room")) button.removeAttribute("aria-current");
    this.clearMessages();
    const notice = this.doc.createElement("li");
    notice.className = "notice removed-note";
    notice.dataset.testid = "room-removed";
    notice.textContent = data.message || `You were removed from '${data.room}'.`;
    this.el.messages.replaceChildren(notice);
    this.participants.clear();
    this.updateParticipants();
    this.typers.clear();
    this.renderTyping();
    this.el.input.value = "";
    this.el.input.disabled = true;
    this.el.send.disabled = true;
    this.el.input.placeholder = "Pick a room";
    this.el.error.textContent = notice.textContent;
    this.el.error.dataset.code = "room_removed";
  }

  // MARK: Messages

  async sendMessage() {
    const text = this.el.input.value;
    if (!this.currentRoom || !text.trim() || !this.checkLength()) return;
    const room = this.currentRoom;
    this.stopTyping();
    this.el.send.disabled = true;
    try {
      const answer = await this.socket.request("send_message", { room, message: text });
      if (answer.ok) {
        if (this.el.input.value === text) this.el.input.value = "";
        this.autoGrow();
        this.clearError();
        if (room === this.currentRoom) this.displayMessage(answer.message);
      } else {
        this.showError(answer.error);
      }
    } catch (error) {
      this.showError({ code: "offline", message: "Not sent: the connection dropped. Your text is still here." });
    } finally {
      this.el.send.disabled = false;
    }
  }

  clearMessages() {
    this.shownIds.clear();
    this.messages.clear();
    this.lastShown = null;
    this.closePicker();
    this.el.messages.replaceChildren();
  }

  // Appends a message: a day separator first when it starts a new day, and no name or time of its
  // own when it follows one of the same sender's within a few minutes.
  displayMessage(message, { scroll = true } = {}) {
    if (this.shownIds.has(message.id)) return;
    this.shownIds.add(message.id);
    this.messages.set(message.id, message);
    const list = this.el.messages;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const created = new Date(message.created_at);
    const previous = this.lastShown;
    const empty = list.querySelector(".empty-note");
    if (empty) empty.remove();
    if (!previous || dayKey(new Date(previous.created_at)) !== dayKey(created)) {
      list.append(this.daySeparator(created));
    } else {
      this.refreshDayLabels();
    }
    const item = this.doc.createElement("li");
    item.dataset.messageId = String(message.id);
    item.dataset.continued = String(this.continues(previous, message));
    this.renderMessage(item, message);
    this.lastShown = message;
    list.append(item);
    if (message.message_type === "text") {
      this.typers.delete(message.user.id);
      this.renderTyping();
    }
    const mine = this.me && message.user && message.user.id === this.me.id;
    if (scroll && (nearBottom || mine)) this.scrollToEnd();
  }

  continues(previous, message) {
    if (!previous || previous.message_type !== "text" || message.message_type !== "text") return false;
    if (!previous.user || !message.user || previous.user.id !== message.user.id) return false;
    const before = new Date(previous.created_at);
    const now = new Date(message.created_at);
    return dayKey(before) === dayKey(now) && now - before >= 0 && now - before <= GROUP_WINDOW_MS;
  }

  daySeparator(date) {
    const item = this.doc.createElement("li");
    item.className = "day-separator";
    item.dataset.testid = "day-separator";
    item.dataset.day = dayKey(date);
    const label = this.doc.createElement("h3");
    label.className = "day-label";
    label.textContent = dayLabel(date);
    item.append(label);
    return item;
  }

  // A page left open past midnight: "Today" becomes "Yesterday".
  refreshDayLabels() {
    for (const item of this.el.messages.querySelectorAll(".day-separator")) {
      const [year, month, day] = item.dataset.day.split("-").map(Number);
      const label = dayLabel(new Date(year, month - 1, day));
      const heading = item.firstElementChild;
      if (heading.textContent !== label) heading.textContent = label;
    }
  }

  messageItem(id) {
    return this.el.messages.querySelector(`li[data-message-id="${Number(id)}"]`);
  }

  // Someone edited a message (or we did): the whole message again, in place.
  updateMessage(message) {
    if (!this.shownIds.has(message.id)) return;
    this.messages.set(message.id, message);
    const item = this.messageItem(message.id);
    if (!item) return;
    if (item.dataset.editing === "true" && !message.deleted) return;  // shown when the edit ends
    this.renderMessage(item, message);
  }

  markDeleted(id) {
    const message = this.messages.get(id);
    if (!message) return;
    this.updateMessage({ ...message, deleted: true, message: "", reactions: [] });
  }

  updateReactions(id, reactions) {
    const message = this.messages.get(id);
    if (!message) return;
    message.reactions = reactions;
    const item = this.messageItem(id);
    if (!item || message.deleted) return;
    const bar = item.querySelector(".reactions");
    if (bar) this.renderReactions(bar, message);
  }

  // The role became known (or changed): delete buttons for admins.
  refreshAllMessages() {
    for (const [id, message] of this.messages) {
      const item = this.messageItem(id);
      if (item && item.dataset.editing !== "true") this.renderMessage(item, message);
    }
  }

  canEdit(message) {
    return Boolean(this.me && message.user && message.user.id === this.me.id
      && message.message_type === "text" && !message.deleted);
  }

  canDelete(message) {
    if (message.deleted || !this.me) return false;
    if (this.role === "admin") return true;
    return message.message_type === "text" && Boolean(message.user && message.user.id === this.me.id);
  }

  // (Re)builds one message's item from the message: the text always as textContent.
  renderMessage(item, message) {
    const focusedAction = item.contains(this.doc.activeElement) ? this.doc.activeElement.dataset.action : null;
    if (this.picker && item.contains(this.picker)) this.closePicker();
    item.replaceChildren();
    delete item.dataset.editing;
    const mine = Boolean(this.me && message.user && message.user.id === this.me.id);
    const type = message.message_type;
    if (type === "join" || type === "leave") {
      item.className = "notice";
      item.append(this.nameElement(message.user), type === "join" ? " joined the room" : " left the room");
      if (message.deleted) item.replaceChildren(this.tombstone());
      this.appendActions(item, message);
    } else if (type === "system") {
      item.className = "notice system-notice";
      item.dataset.testid = "system-notice";
      const label = this.doc.createElement("span");
      label.className = "notice-label";
      label.textContent = "Notice";
      const text = this.doc.createElement("p");
      text.className = "text";
      if (message.deleted) text.append(this.tombstone());
      else text.textContent = message.message;
      const from = this.doc.createElement("p");
      from.className = "notice-from";
      if (message.user) from.append("from ", this.nameElement(message.user), " · ");
      from.append(this.timeElement(message.created_at));
      item.append(label, text, from);
      this.appendActions(item, message);
    } else {
      const continued = item.dataset.continued === "true";
      item.className = "message" + (mine ? " mine" : "") + (continued ? " continued" : "") + (message.deleted ? " deleted" : "");
      const meta = this.doc.createElement("p");
      meta.className = continued ? "meta visually-hidden" : "meta";
      const author = this.doc.createElement("span");
      author.className = "author";
      author.textContent = message.user ? message.user.display_name : "Someone";
      if (message.user) author.title = `@${message.user.name}`;  // tells look-alike display names apart
      meta.append(author, " ", this.timeElement(message.created_at));
      const body = this.doc.createElement("p");
      body.className = "text";
      if (message.deleted) {
        body.append(this.tombstone());
        item.append(meta, body);
      } else {
        body.textContent = message.message;
        if (message.is_edited) {
          const edited = this.doc.createElement("span");
          edited.className = "edited";
          edited.dataset.testid = "edited";
          edited.textContent = "(edited)";
          if (message.edited_at) edited.title = `Edited ${new Date(message.edited_at).toLocaleString()}`;
          body.append(" ", edited);
        }
        // One row under the message: its reactions, then what the viewer may do with it.
        const footer = this.doc.createElement("div");
        footer.className = "message-footer";
        const bar = this.doc.createElement("div");
        bar.className = "reactions";
        bar.setAttribute("role", "group");
        bar.setAttribute("aria-label", "Reactions");
        this.renderReactions(bar, message);
        footer.append(bar);
        this.appendActions(footer, message, item);
        item.append(meta, body, footer);
      }
    }
    if (focusedAction) {
      const again = item.querySelector(`[data-action="${focusedAction}"]`);
      (again || this.el.messages).focus();
    }
  }

  tombstone() {
    const gone = this.doc.createElement("span");
    gone.className = "tombstone";
    gone.dataset.testid = "tombstone";
    gone.textContent = "message deleted";
    return gone;
  }

  timeElement(iso) {
    const time = this.doc.createElement("time");
    time.dateTime = iso;
    const created = new Date(iso);
    time.textContent = created.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    time.title = created.toLocaleString();
    return time;
  }

  actionButton(label, action, accessibleName) {
    const button = this.doc.createElement("button");
    button.type = "button";
    button.className = "message-action";
    button.dataset.action = action;
    button.textContent = label;
    if (accessibleName) button.setAttribute("aria-label", accessibleName);
    return button;
  }

  // The actions go into `container` (the item itself, or its footer row); they act on `item`.
  appendActions(container, message, item = container) {
    const actions = this.doc.createElement("div");
    actions.className = "message-actions";
    if (this.canEdit(message)) {
      const edit = this.actionButton("Edit", "edit", "Edit your message");
      edit.addEventListener("click", () => this.startEdit(item, message.id));
      actions.append(edit);
    }
    if (this.canDelete(message)) {
      const mine = Boolean(this.me && message.user && message.user.id === this.me.id);
      const name = mine ? "Delete your message" : `Delete the message of ${message.user ? message.user.display_name : "someone"}`;
      const remove = this.actionButton("Delete", "delete", name);
      remove.addEventListener("click", () => this.confirmDelete(item, message.id, actions));
      actions.append(remove);
    }
    if (actions.childElementCount) container.append(actions);
  }

  // MARK: Reactions

  renderReactions(bar, message) {
    const focused = bar.contains(this.doc.activeElement) ? this.doc.activeElement.dataset.emoji || "+" : null;
    bar.replaceChildren();
    const myName = this.me ? this.me.name : null;
    for (const reaction of message.reactions || []) {
      const button = this.doc.createElement("button");
      button.type = "button";
      const mine = reaction.users.includes(myName);
      button.className = mine ? "reaction mine" : "reaction";
      button.dataset.emoji = reaction.emoji;
      button.dataset.testid = "reaction";
      button.setAttribute("aria-pressed", String(mine));
      const count = reaction.count;
      button.setAttribute("aria-label", `${emojiName(reaction.emoji)}: ${count} ${count === 1 ? "reaction" : "reactions"}${mine ? ", including yours" : ""}`);
      button.title = reaction.users.join(", ");
      const emoji = this.doc.createElement("span");
      emoji.className = "reaction-emoji";
      emoji.textContent = reaction.emoji;
      const number = this.doc.createElement("span");
      number.className = "reaction-count";
      number.textContent = String(count);
      button.append(emoji, number);
      button.addEventListener("click", () => this.react(message.id, reaction.emoji, !this.iReacted(message.id, reaction.emoji)));
      bar.append(button);
    }
    const add = this.doc.createElement("button");
    add.type = "button";
    add.className = "reaction add-reaction";
    add.dataset.emoji = "+";
    add.dataset.testid = "add-reaction";
    add.setAttribute("aria-label", "Add a reaction");
    add.setAttribute("aria-expanded", "false");
    add.textContent = "☺+";
    add.addEventListener("click", () => this.togglePicker(add, message.id));
    bar.append(add);
    if (this.picker && this.picker.dataset.for === String(message.id)) {
      add.setAttribute("aria-expanded", "true");
      this.pickerButton = add;
    }
    if (focused) {
      const again = bar.querySelector(`[data-emoji="${CSS.escape(focused)}"]`) || add;
      again.focus();
    }
  }

  iReacted(id, emoji) {
    const message = this.messages.get(id);
    if (!message || !this.me) return false;
    const reaction = (message.reactions || []).find((r) => r.emoji === emoji);
    return Boolean(reaction && reaction.users.includes(this.me.name));
  }

  async react(id, emoji, on) {
    const room = this.currentRoom;
    try {
      const answer = await this.socket.request("react", { room, id, emoji, on });
      if (!answer.ok) { this.showError(answer.error); return; }
      if (room === this.currentRoom) this.updateReactions(answer.id, answer.reactions);
    } catch (error) {
      this.showError({ code: "offline", message: "Not connected — the reaction was not sent." });
    }
  }

  togglePicker(button, id) {
    const open = this.picker && this.picker.dataset.for === String(id);
    this.closePicker();
    if (open) return;
    const picker = this.doc.createElement("div");
    picker.className = "picker";
    picker.dataset.for = String(id);
    picker.dataset.testid = "picker";
    picker.setAttribute("role", "group");
    picker.setAttribute("aria-label", "Pick a reaction");
    for (const [emoji, name] of PICKER_EMOJIS) {
      const choice = this.doc.createElement("button");
      choice.type = "button";
      choice.className = "picker-choice";
      choice.dataset.emoji = emoji;
      choice.setAttribute("aria-label", `React with ${name}`);
      choice.textContent = emoji;
      choice.addEventListener("click", () => {
        this.closePicker(true);
        this.react(id, emoji, !this.iReacted(id, emoji));
      });
      picker.append(choice);
    }
    picker.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.closePicker(true);
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        // Arrows move along the choices (Tab works too).
        const choices = [...picker.children];
        const at = choices.indexOf(this.doc.activeElement);
        const next = (at + (event.key === "ArrowRight" ? 1 : choices.length - 1)) % choices.length;
        event.preventDefault();
        choices[next].focus();
      }
    });
    button.setAttribute("aria-expanded", "true");
    const footer = button.closest(".message-footer");
    (footer || button).after(picker);
    this.picker = picker;
    this.pickerButton = button;
    picker.firstElementChild.focus();
  }

  closePicker(refocus = false) {
    if (!this.picker) return;
    const button = this.pickerButton;
    this.picker.remove();
    this.picker = null;
    this.pickerButton = null;
    if (button && button.isConnected) {
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
  }

  // MARK: Edit and delete

  startEdit(item, id) {
    const message = this.messages.get(id);
    if (!message || !this.canEdit(message)) return;
    this.closePicker();
    item.dataset.editing = "true";
    const body = item.querySelector(".text");
    const form = this.doc.createElement("form");
    form.className = "edit-form";
    form.noValidate = true;
    const label = this.doc.createElement("label");
    const inputId = `edit-${id}`;
    label.htmlFor = inputId;
    label.className = "visually-hidden";
    label.textContent = "Edit your message";
    const box = this.doc.createElement("textarea");
    box.id = inputId;
    box.className = "edit-input";
    box.dataset.testid = "edit-input";
    box.rows = 2;
    box.value = message.message;
    const hintId = `edit-hint-${id}`;
    box.setAttribute("aria-describedby", hintId);
    const hint = this.doc.createElement("p");
    hint.id = hintId;
    hint.className = "edit-hint";
    hint.textContent = "Enter saves, Escape cancels.";
    const error = this.doc.createElement("p");
    error.className = "edit-error";
    error.setAttribute("role", "alert");
    const save = this.actionButton("Save", "save");
    save.type = "submit";
    const cancel = this.actionButton("Cancel", "cancel");
    const buttons = this.doc.createElement("div");
    buttons.className = "message-actions";
    buttons.append(save, cancel);
    form.append(label, box, hint, buttons, error);
    const end = () => {
      const latest = this.messages.get(id);
      this.renderMessage(item, latest);
      const again = item.querySelector("[data-action=edit]");
      (again || this.el.messages).focus();
    };
    const submit = async () => {
      const text = box.value;
      if (text.trim() === message.message.trim()) { end(); return; }
      if (!text.trim()) { error.textContent = "A message cannot be empty: delete it instead."; return; }
      if (characterCount(text) > MAX_MESSAGE_CHARACTERS) { error.textContent = `At most ${MAX_MESSAGE_CHARACTERS} characters.`; return; }
      save.disabled = true;
      try {
        const answer = await this.socket.request("edit_message", { room: message.room, id, message: text });
        if (answer.ok) {
          this.messages.set(id, answer.message);
          end();
        } else {
          error.textContent = this.friendlyError(answer.error);
        }
      } catch (failure) {
        error.textContent = "Not saved: the connection dropped. Your text is still here.";
      } finally {
        save.disabled = false;
      }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        end();
      }
    });
    cancel.addEventListener("click", end);
    body.replaceWith(form);
    for (const other of item.querySelectorAll(":scope > .message-footer")) other.hidden = true;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  // Deleting asks first, in place: "Delete this message?" with the safe choice focused.
  confirmDelete(item, id, actions) {
    const ask = this.doc.createElement("div");
    ask.className = "confirm-delete";
    ask.dataset.testid = "confirm-delete";
    ask.setAttribute("role", "group");
    const question = this.doc.createElement("span");
    question.id = `confirm-${id}`;
    question.textContent = "Delete this message?";
    ask.setAttribute("aria-labelledby", question.id);
    const yes = this.actionButton("Delete", "confirm-delete");
    yes.classList.add("danger");
    const no = this.actionButton("Keep", "keep");
    const error = this.doc.createElement("span");
    error.className = "edit-error";
    error.setAttribute("role", "alert");
    ask.append(question, yes, no, error);
    const back = () => {
      ask.replaceWith(actions);
      const again = actions.querySelector("[data-action=delete]");
      if (again) again.focus();
    };
    no.addEventListener("click", back);
    ask.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); back(); }
    });
    yes.addEventListener("click", async () => {
      const message = this.messages.get(id);
      yes.disabled = true;
      try {
        const answer = await this.socket.request("delete_message", { room: message.room, id });
        if (answer.ok) {
          if (ask.contains(this.doc.activeElement)) this.el.messages.focus();
          this.markDeleted(id);
        } else {
          error.textContent = this.friendlyError(answer.error);
          yes.disabled = false;
        }
      } catch (failure) {
        error.textContent = "Not deleted: the connection dropped.";
        yes.disabled = false;
      }
    });
    actions.replaceWith(ask);
    no.focus();
  }

  scrollToEnd() {
    this.el.messages.scrollTop = this.el.messages.scrollHeight;
  }

  // MARK: Typing

  noteTyping() {
    if (!this.currentRoom) return;
    const now = Date.now();
    if (this.el.input.value.trim() && now - this.typingSent > 3000) {
      this.typingSent = now;
      this.socket.emit("typing_start", { room: this.currentRoom });
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), 4000);
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (this.typingSent && this.currentRoom) this.socket.emit("typing_stop", { room: this.currentRoom });
    this.typingSent = 0;
  }

  handleTypingIndicator(data) {
    if (data.room !== this.currentRoom || (this.me && data.user.id === this.me.id)) return;
    if (data.typing) this.typers.set(data.user.id, data.user);
    else this.typers.delete(data.user.id);
    this.renderTyping();
  }

  renderTyping() {
    const users = [...this.typers.values()];
    const line = this.el.typing;
    if (users.length === 1) line.replaceChildren(this.nameElement(users[0]), " is typing…");
    else if (users.length === 2) line.replaceChildren(this.nameElement(users[0]), " and ", this.nameElement(users[1]), " are typing…");
    else if (users.length > 2) line.replaceChildren("Several people are typing…");
    else line.replaceChildren();
  }

  // MARK: People

  setParticipant(user, online) {
    const existing = this.participants.get(user.id);
    this.participants.set(user.id, { ...(existing || {}), user, online });
    this.updateParticipants();
  }

  updateParticipants() {
    const list = this.el.participants;
    list.replaceChildren();
    const online = [...this.participants.values()].filter((p) => p.online)
      .sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
    for (const p of online) {
      const item = this.doc.createElement("li");
      item.className = "participant";
      item.dataset.user = p.user.name;
      const name = this.doc.createElement("bdi");
      name.className = "participant-name";
      name.textContent = p.user.display_name;
      name.title = `@${p.user.name}`;
      item.append(name);
      if (this.me && p.user.id !== this.me.id) {
        const direct = this.doc.createElement("button");
        direct.type = "button";
        direct.className = "message-action direct-button";
        direct.dataset.testid = "open-direct";
        direct.textContent = "Message";
        direct.setAttribute("aria-label", `Direct message to ${p.user.display_name}`);
        direct.addEventListener("click", () => this.openDirect(p.user));
        item.append(direct);
      }
      list.append(item);
    }
    if (!online.length) {
      const item = this.doc.createElement("li");
      item.className = "participant empty";
      item.textContent = "Nobody else right now";
      list.append(item);
    }
  }

  // MARK: State and errors

  showConnection(state, detail) {
    const labels = {
      connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…",
      closed: "Offline", refused: "Connection refused",
    };
    let text = labels[state] || state;
    if (state === "reconnecting" && detail && detail.delay) text = `Reconnecting in ${Math.ceil(detail.delay / 1000)} s…`;
    this.el.connection.textContent = text;
    this.el.connection.dataset.state = state;
  }

  friendlyError(error) {
    const friendly = {
      rate_limited: "Slow down — you are sending messages too fast.",
      message_too_long: "That message is too long (2000 characters at most).",
      invalid_message: "Type a message first (no control characters).",
      not_joined: "Join the room first.",
      room_not_found: "That room does not exist (or is private).",
      message_not_found: "That message is gone (deleted, or not in this room).",
    };
    return friendly[error.code] || error.message || "Something went wrong.";
  }

  showError(error) {
    this.el.error.textContent = this.friendlyError(error);
    this.el.error.dataset.code = error.code || "";
  }

  clearError() {
    this.el.error.textContent = "";
    this.el.error.dataset.code = "";
  }

  // A display name inside a sentence: isolated so its text direction cannot run into the words
  // around it, with the user name on hover.
  nameElement(user) {
    const name = this.doc.createElement("bdi");
    name.textContent = user.display_name;
    name.title = `@${user.name}`;
    return name;
  }

  // A paste past the limit is not cut silently (as maxlength would): count, say, keep the text.
  checkLength() {
    const count = characterCount(this.el.input.value);
    const over = count - MAX_MESSAGE_CHARACTERS;
    if (over > 0) {
      this.el.error.textContent = `${count} characters: ${over} over the limit of ${MAX_MESSAGE_CHARACTERS}. Shorten it to send.`;
      this.el.error.dataset.code = "draft_too_long";
      this.el.send.disabled = true;
      return false;
    }
    if (this.el.error.dataset.code === "draft_too_long") this.clearError();
    this.el.send.disabled = false;
    return true;
  }

  autoGrow() {
    const input = this.el.input;
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }
}

window.FitnessChat = FitnessChat;
document.addEventListener("DOMContentLoaded", () => {
  window.fitnessChat = new FitnessChat(document);
  window.fitnessChat.initializeChat();
});
