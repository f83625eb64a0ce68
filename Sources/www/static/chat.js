// The chat page: the FitnessChat class of the original design (initializeChat, selectRoom,
// sendMessage, displayMessage, handleTypingIndicator, updateParticipants) over ChatSocket.
// Message text is always rendered with textContent, never as HTML.
"use strict";

// The server's limit; it counts user-perceived characters (grapheme clusters), as Segmenter does.
const MAX_MESSAGE_CHARACTERS = 2000;

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
    };
    this.me = null;
    this.rooms = [];
    this.currentRoom = null;
    this.shownIds = new Set();
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
    socket.connect();
  }

  // Admins get a link to /admin (asked again on every connect: an admin may have changed the role).
  showAdminLink() {
    const link = this.doc.querySelector("[data-testid=admin-link]");
    if (!link) return;
    fetch("/api/me", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => response.json())
      .then((me) => { link.hidden = me.role !== "admin"; })
      .catch(() => {});
  }

  // MARK: Rooms

  showRooms(rooms) {
    this.rooms = rooms;
    const list = this.el.rooms;
    list.replaceChildren();
    for (const room of rooms) {
      const item = this.doc.createElement("li");
      const button = this.doc.createElement("button");
      button.type = "button";
      button.className = "room";
      button.dataset.room = room.name;
      if (room.name === this.currentRoom) button.setAttribute("aria-current", "true");
      const name = this.doc.createElement("span");
      name.className = "room-name";
      name.textContent = (room.is_private ? "🔒 " : "# ") + room.name;
      const online = this.doc.createElement("span");
      online.className = "room-online";
      online.textContent = `${room.online} online`;
      const description = this.doc.createElement("span");
      description.className = "room-about";
      description.textContent = room.description;
      button.append(name, online, description);
      button.addEventListener("click", () => this.selectRoom(room.name));
      item.append(button);
      list.append(item);
    }
    if (!this.currentRoom && !this.joining && !this.removedNotice && rooms.length) {
      const general = rooms.find((room) => room.name === "general") || rooms[0];
      this.selectRoom(general.name, { quiet: true, keepFocus: true });
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
      this.el.title.textContent = "# " + answer.room.name;
      this.el.description.textContent = answer.room.description;
      for (const button of this.el.rooms.querySelectorAll("button.room")) {
        if (button.dataset.room === name) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
      this.shownIds.clear();
      this.el.messages.replaceChildren();
      if (answer.has_more) {
        const more = this.doc.createElement("li");
        more.className = "notice history-note";
        more.textContent = "Older messages are in the room's history.";
        this.el.messages.append(more);
      }
      for (const message of answer.messages) this.displayMessage(message, { scroll: false });
      this.scrollToEnd();
      this.participants.clear();
      for (const p of answer.participants) this.participants.set(p.user.id, p);
      this.updateParticipants();
      this.typers.clear();
      this.renderTyping();
      this.refreshRoomsSoon();
      this.el.input.disabled = false;
      this.el.send.disabled = false;
      this.el.input.placeholder = `Message #${name}`;
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
    for (const button of this.el.rooms.querySelectorAll("button.room")) button.removeAttribute("aria-current");
    this.shownIds.clear();
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

  displayMessage(message, { scroll = true } = {}) {
    if (this.shownIds.has(message.id)) return;
    this.shownIds.add(message.id);
    const list = this.el.messages;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const item = this.doc.createElement("li");
    item.dataset.messageId = String(message.id);
    const mine = this.me && message.user.id === this.me.id;
    if (message.message_type === "join" || message.message_type === "leave" || message.message_type === "system") {
      item.className = "notice";
      const verb = message.message_type === "join" ? "joined the room" : message.message_type === "leave" ? "left the room" : message.message;
      if (message.message_type === "system") item.textContent = verb;
      else item.append(this.nameElement(message.user), ` ${verb}`);
    } else {
      item.className = mine ? "message mine" : "message";
      const meta = this.doc.createElement("p");
      meta.className = "meta";
      const author = this.doc.createElement("span");
      author.className = "author";
      author.textContent = message.user.display_name;
      author.title = `@${message.user.name}`;  // tells look-alike display names apart
      const time = this.doc.createElement("time");
      time.dateTime = message.created_at;
      const created = new Date(message.created_at);
      time.textContent = created.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      time.title = created.toLocaleString();
      meta.append(author, time);
      if (message.is_edited) {
        const edited = this.doc.createElement("span");
        edited.className = "edited";
        edited.textContent = "edited";
        meta.append(edited);
      }
      const body = this.doc.createElement("p");
      body.className = "text";
      body.textContent = message.message;
      item.append(meta, body);
      this.typers.delete(message.user.id);
      this.renderTyping();
    }
    list.append(item);
    if (scroll && (nearBottom || mine)) this.scrollToEnd();
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
      item.textContent = p.user.display_name;
      item.title = `@${p.user.name}`;
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

  showError(error) {
    const friendly = {
      rate_limited: "Slow down — you are sending messages too fast.",
      message_too_long: "That message is too long (2000 characters at most).",
      invalid_message: "Type a message first (no control characters).",
      not_joined: "Join the room first.",
      forbidden: "That room is private.",
      room_not_found: "That room does not exist (or is private).",
    };
    this.el.error.textContent = friendly[error.code] || error.message || "Something went wrong.";
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
