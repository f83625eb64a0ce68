// The chat page: the FitnessChat class of the original design (initializeChat, selectRoom,
// sendMessage, displayMessage, handleTypingIndicator, updateParticipants) over ChatSocket.
// Message text is always rendered with textContent, never as HTML.
"use strict";

// The server's limit; it counts user-perceived characters (grapheme clusters), as Segmenter does.
const MAX_MESSAGE_CHARACTERS = 2000;
// Consecutive messages of one sender closer than this share one name and time.
const GROUP_WINDOW_MS = 5 * 60 * 1000;
// One page of older messages (get_history) and how close to the top (px) asks for the next one.
const HISTORY_PAGE = 50;
const LOAD_OLDER_AT_PX = 150;
// The read position is sent this long after the newest message shown last moved.
const MARK_READ_DELAY_MS = 1000;
// The server caps unread counts here (rooms_list's unread_capped).
const UNREAD_CAP = 999;
// Opening a room loads at most this many more pages to reach the "New messages" divider.
const DIVIDER_PAGES = 6;
// At most this many names in "Seen by …"; the rest are counted.
const SEEN_BY_NAMES = 5;
// resume takes at most this many rooms at once.
const RESUME_BATCH = 100;
// The reaction picker: a handful of common ones, each with the name a screen reader says.
const PICKER_EMOJIS = [
  ["👍", "thumbs up"], ["❤️", "heart"], ["😂", "laughing"], ["💪", "flexed biceps"], ["🔥", "fire"], ["🎉", "party"],
];
const EMOJI_NAMES = new Map(PICKER_EMOJIS);
// A moderator's mutes, from a member's name (minutes, label).
const MUTE_CHOICES = [[10, "Mute 10 min"], [60, "Mute 1 hour"], [1440, "Mute 1 day"]];
// Reports and ban reasons: the server's limit.
const MAX_REASON_CHARACTERS = 500;
// One page of search results.
const SEARCH_PAGE = 20;
// A search result's excerpt: about this many characters around the first matched word.
const EXCERPT_CHARACTERS = 160;
// Confirmations disappear after this long; a report's notice to the moderators stays until dismissed.
const TOAST_MS = 8000;
// setTimeout's longest delay is about 24.8 days; a mute's end further away is checked again later.
const LONGEST_TIMER_MS = 6 * 60 * 60 * 1000;

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

// How search words are compared: Unicode compatibility decomposition, the diacritics dropped,
// case folded (as the server's index does), then split into runs of letters or digits.
function searchWords(text) {
  const folded = text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) || [];
}

// A time of day ("14:05"), with the day when it is not today ("Sat 28 Nov, 14:05").
function clockLabel(date, now = new Date()) {
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (dayKey(date) === dayKey(now)) return time;
  return `${date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })}, ${time}`;
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
      seenBy: doc.querySelector("[data-testid=seen-by]"),
      banner: doc.querySelector("[data-testid=recovery-banner]"),
      mentionsToggle: doc.querySelector("[data-testid=mentions-toggle]"),
      mentionsTotal: doc.querySelector("[data-testid=mentions-total]"),
      mentionsPanel: doc.querySelector("[data-testid=mentions-panel]"),
      mentionsList: doc.querySelector("[data-testid=mentions-list]"),
      mentionsStatus: doc.querySelector("[data-testid=mentions-status]"),
      mentionsMore: doc.querySelector("[data-testid=mentions-more]"),
      mentionNotice: doc.querySelector("[data-testid=mention-notice]"),
      shareReads: doc.querySelector("[data-testid=share-read-receipts]"),
      preferencesError: doc.querySelector("[data-testid=preferences-error]"),
      composerNotice: doc.querySelector("[data-testid=composer-notice]"),
      toasts: doc.querySelector("[data-testid=toasts]"),
      searchToggle: doc.querySelector("[data-testid=search-toggle]"),
      searchPanel: doc.querySelector("[data-testid=search-panel]"),
      searchForm: doc.querySelector("[data-testid=search-form]"),
      searchInput: doc.querySelector("[data-testid=search-input]"),
      searchThisRoom: doc.querySelector("[data-testid=search-this-room]"),
      searchStatus: doc.querySelector("[data-testid=search-status]"),
      searchResults: doc.querySelector("[data-testid=search-results]"),
      searchMore: doc.querySelector("[data-testid=search-more]"),
      reportDialog: doc.querySelector("[data-testid=report-dialog]"),
      reportsToggle: doc.querySelector("[data-testid=reports-toggle]"),
      reportsTotal: doc.querySelector("[data-testid=reports-total]"),
      reportsPanel: doc.querySelector("[data-testid=reports-panel]"),
      reportsList: doc.querySelector("[data-testid=reports-list]"),
      reportsStatus: doc.querySelector("[data-testid=reports-status]"),
      reportsResolved: doc.querySelector("[data-testid=reports-show-resolved]"),
      banDialog: doc.querySelector("[data-testid=ban-dialog]"),
    };
    this.preferencesAsked = 0;       // set_preferences requests sent (only the latest answer counts)
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
    // Per room (by name): {joined, unread, capped, mentions, countedThrough, lastSeen, myRead}.
    // lastSeen: the newest message id this page has seen there (where resume starts after a drop);
    // countedThrough: the newest id the unread and mention counts include (rooms_list's last_id,
    // then each message counted), so nothing is counted twice; myRead: one's own read position.
    this.roomState = new Map();
    this.subscribed = new Set();     // rooms whose live events this connection gets (joined or resumed)
    this.needResume = false;         // set on connect: the next rooms_list starts the resume
    this.countedMentions = new Set(); // "room:id" of mentions already in a badge
    this.mentionsOfMe = new Set();   // "room:id" of messages known to mention me (get_mentions, mentioned)
    this.epoch = 0;                  // bumped whenever the message list is emptied (a late answer is dropped)
    this.hasMore = false;            // the current room has messages older than the oldest shown
    this.oldestId = null;
    this.newestId = null;
    this.loadingOlder = null;
    this.dividerAfter = null;        // the "New messages" divider goes before the first message after this id
    this.markTimer = null;
    this.mentionsBefore = null;      // get_mentions paging
    this.unseenHere = 0;             // others' messages in the open room while the tab is in the background
    this.bannedView = null;          // the room whose "You were banned" notice is shown (no room open)
    this.userMenu = null;            // the open moderation menu of a member's name
    this.search = null;              // the search shown: {query, room, before, asked}
    this.searchAsked = 0;
    this.reports = new Map();        // report id → report (get_reports, message_reported), for moderators
    this.reportsAsked = 0;           // get_reports requests sent (only the latest answer counts)
    this.reportsLoaded = false;      // a get_reports answer arrived since the last connect
  }

  state(room) {
    let state = this.roomState.get(room);
    if (!state) {
      state = { joined: false, unread: 0, capped: false, mentions: 0, countedThrough: 0, lastSeen: null, myRead: 0,
        mutedUntil: null, banned: false, banReason: null, moderates: false };
      this.roomState.set(room, state);
    }
    return state;
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
      this.reportsLoaded = false;
      // The rooms_list that follows every connect starts the resume of every joined room: after a
      // drop or a daemon restart it fills the gap from the last message seen in each.
      this.needResume = true;
      this.subscribed.clear();
    });
    socket.on("disconnect", () => {
      this.subscribed.clear();
      clearTimeout(this.markTimer);
    });
    socket.on("status", (data) => {
      this.me = data.user;
      this.el.me.textContent = data.user.display_name;
      this.showAdminLink();
      const preferences = data.preferences || {};
      if (typeof preferences.share_read_receipts === "boolean" && !this.preferencesPending) {
        this.el.shareReads.checked = preferences.share_read_receipts;
      }
    });
    socket.on("rooms_list", (data) => this.onRoomsList(data.rooms));
    socket.on("new_message", (message) => this.onNewMessage(message));
    socket.on("message_updated", (message) => {
      if (message.room === this.currentRoom) this.updateMessage(message);
      this.updateReportedMessage(message.room, message.id, message);
    });
    socket.on("read_updated", (data) => this.onReadUpdated(data));
    socket.on("mentioned", (data) => this.onMentioned(data));
    socket.on("message_deleted", (data) => {
      if (data.room === this.currentRoom) this.markDeleted(data.id);
      this.updateReportedMessage(data.room, data.id, { deleted: true, message: "" });
    });
    socket.on("reaction_updated", (data) => {
      if (data.room === this.currentRoom) this.updateReactions(data.id, data.reactions);
    });
    socket.on("user_joined", (data) => {
      if (data.room === this.currentRoom) {
        // New participants start at the end of the room.
        const known = this.participants.get(data.user.id);
        this.setParticipant(data.user, true);
        if (!known && this.newestId !== null) this.participants.get(data.user.id).last_read = this.newestId;
        this.renderSeenBy();
      }
      this.refreshRoomsSoon();
    });
    socket.on("user_left", (data) => {
      if (data.room !== this.currentRoom) return;
      this.participants.delete(data.user.id);
      this.updateParticipants();
      this.renderSeenBy();
      this.refreshRoomsSoon();
    });
    socket.on("presence", (data) => {
      if (this.participants.has(data.user.id)) this.setParticipant(data.user, data.online);
      this.refreshRoomsSoon();
    });
    socket.on("room_removed", (data) => this.removedFrom(data));
    socket.on("muted", (data) => this.onMuted(data));
    socket.on("user_banned", (data) => this.onUserBanned(data));
    socket.on("user_unbanned", (data) => this.onUserUnbanned(data));
    socket.on("message_reported", (data) => this.onMessageReported(data));
    socket.on("report_resolved", (data) => this.onReportResolved(data));
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
    this.el.shareReads.addEventListener("change", () => this.setShareReadReceipts(this.el.shareReads.checked));
    // Scrolling up to the top loads older messages (the list keeps its place).
    this.el.messages.addEventListener("scroll", () => {
      if (this.el.messages.scrollTop < LOAD_OLDER_AT_PX) this.loadOlder();
    }, { passive: true });
    this.doc.addEventListener("visibilitychange", () => {
      if (this.doc.visibilityState === "visible") {
        this.unseenHere = 0;
        this.updateBadges();
        this.scheduleMarkRead();
      }
    });
    this.setUpPanels();
    this.el.mentionsMore.addEventListener("click", () => this.loadMentions(true));
    this.el.searchForm.addEventListener("submit", (event) => { event.preventDefault(); this.runSearch(false); });
    this.el.searchMore.addEventListener("click", () => this.runSearch(true));
    this.el.reportsResolved.addEventListener("change", () => this.loadReports());
    this.setUpReportDialog();
    this.setUpBanDialog();
    this.doc.querySelector("[data-testid=recovery-dismiss]").addEventListener("click", () => {
      this.hideBanner();
      this.el.messages.focus();
    });
    // A click anywhere else closes the reaction picker.
    this.doc.addEventListener("click", (event) => {
      if (this.picker && !this.picker.contains(event.target) && !(this.pickerButton && this.pickerButton.contains(event.target))) {
        this.closePicker();
      }
      const menu = this.userMenu;
      if (menu && !menu.element.contains(event.target) && !menu.button.contains(event.target)
          && !this.el.banDialog.open) {
        this.closeUserMenu();
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
        const role = ["admin", "moderator"].includes(me.role) ? me.role : "member";
        if (role !== this.role) {
          this.role = role;
          this.refreshAllMessages();  // admins (and moderators in public rooms) may delete any message
        }
        this.showReportsAccess();  // moderators and admins: the Reports button, its list fetched afresh
      })
      .catch(() => {});
  }

  // "Share when I've read messages": set_preferences; the box shows what the server stored.
  async setShareReadReceipts(share) {
    const asked = ++this.preferencesAsked;
    this.preferencesPending = true;
    this.el.preferencesError.textContent = "";
    try {
      const answer = await this.socket.request("set_preferences", { share_read_receipts: share });
      if (asked !== this.preferencesAsked) return;
      if (answer.ok) this.el.shareReads.checked = Boolean(answer.preferences.share_read_receipts);
      else {
        this.el.shareReads.checked = !share;
        this.el.preferencesError.textContent = `Not saved: ${this.friendlyError(answer.error)}`;
      }
    } catch (error) {
      if (asked !== this.preferencesAsked) return;
      this.el.shareReads.checked = !share;
      this.el.preferencesError.textContent = "Not saved: the connection dropped. Try again when connected.";
    } finally {
      if (asked === this.preferencesAsked) this.preferencesPending = false;
    }
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
        const badges = this.doc.createElement("span");
        badges.className = "room-badges";
        button.append(name, badges, online, description);
        button.addEventListener("click", () => this.selectRoom(room.name));
        item.append(button);
        list.append(item);
      }
    };
    render(this.el.rooms, groups[0]);
    render(this.el.directRooms, groups[1]);
    this.el.directHint.hidden = groups[1].length > 0;
    this.updateBadges();
  }

  // Every rooms_list: the counts from the server, then (after a connect) the resume of every
  // joined room, or the live events of a room joined meanwhile (a new direct conversation).
  onRoomsList(rooms) {
    let moderationChanged = false;
    for (const room of rooms) {
      const state = this.state(room.name);
      if (typeof room.joined === "boolean") state.joined = room.joined;
      if (room.last_id !== undefined) {
        state.countedThrough = room.last_id || 0;
        if (state.lastSeen === null) state.lastSeen = room.last_id || 0;
      }
      if (typeof room.last_read === "number") state.myRead = Math.max(state.myRead, room.last_read);
      if (room.muted_until !== undefined) state.mutedUntil = room.muted_until ? new Date(room.muted_until) : null;
      if (typeof room.banned === "boolean") {
        // The reason comes with the list too, so a reload still says why.
        state.banReason = room.banned ? (room.ban_reason || state.banReason || null) : null;
        state.banned = room.banned;
      }
      if (state.moderates !== (room.moderates === true)) moderationChanged = true;
      state.moderates = room.moderates === true;
      if (room.name === this.currentRoom) {
        state.unread = 0; state.capped = false; state.mentions = 0;
        continue;
      }
      if (typeof room.unread === "number") {
        state.unread = room.unread;
        state.capped = Boolean(room.unread_capped);
      }
      // A room not joined has no read position (the server says 0): a `mentioned` there stays counted.
      if (typeof room.mentions === "number" && room.joined !== false) state.mentions = room.mentions;
    }
    this.showRooms(rooms);
    this.updateComposer();
    if (moderationChanged && this.currentRoom) {
      // One became (or stopped being) a moderator of the open room: the names' menus follow.
      this.refreshAllMessages();
      this.updateParticipants();
    }
    if (this.bannedView) this.renderBannedView();
    if (this.needResume) {
      this.needResume = false;
      this.resumeAll().finally(() => this.pickFirstRoom());
    } else {
      const fresh = rooms.filter((room) => room.joined && !this.subscribed.has(room.name)).map((room) => room.name);
      if (fresh.length) this.resume(fresh);
      this.pickFirstRoom();
    }
  }

  pickFirstRoom() {
    const rooms = this.rooms;
    if (this.currentRoom || this.joining || this.removedNotice || !rooms.length) return;
    const open = rooms.filter((room) => !this.state(room.name).banned);
    if (!open.length) return;
    const general = open.find((room) => room.name === "general") || open.find((room) => room.kind !== "direct") || open[0];
    this.selectRoom(general.name, { quiet: true, keepFocus: true });
  }

  // The unread and mention badges of every room button, the mentions total and the tab's title.
  updateBadges() {
    let unread = 0;
    let mentions = 0;
    for (const button of this.doc.querySelectorAll(".rooms button.room")) {
      const name = button.dataset.room;
      const state = this.state(name);
      const here = name === this.currentRoom;
      const badges = button.querySelector(".room-badges");
      if (!badges) continue;
      badges.replaceChildren();
      if (!here && state.unread > 0) {
        const text = state.capped || state.unread > UNREAD_CAP ? `${UNREAD_CAP}+` : String(state.unread);
        badges.append(this.badge("unread-badge", text, `, ${text} unread`));
        unread += state.unread;
      }
      if (!here && state.mentions > 0) {
        badges.append(this.badge("mention-badge", `@${state.mentions}`,
          `, ${state.mentions} ${state.mentions === 1 ? "mention" : "mentions"} of you`));
        mentions += state.mentions;
      }
      if (state.banned) badges.append(this.badge("banned-badge", "banned", ", you are banned from it"));
      else if (this.isMuted(name)) badges.append(this.badge("muted-badge", "muted", ", you are muted in it"));
    }
    const total = this.el.mentionsTotal;
    total.hidden = mentions === 0;
    total.textContent = mentions ? String(mentions) : "";
    this.el.mentionsToggle.setAttribute("aria-label", mentions ? `Mentions of you, ${mentions} unread` : "Mentions of you");
    unread += this.unseenHere;
    const title = "Gym chat · fitchat";
    this.doc.title = unread ? `(${Math.min(unread, UNREAD_CAP)}${unread > UNREAD_CAP ? "+" : ""}) ${title}` : title;
  }

  badge(testid, text, spoken) {
    const badge = this.doc.createElement("span");
    badge.className = `count-badge ${testid}`;
    badge.dataset.testid = testid;
    const seen = this.doc.createElement("span");
    seen.setAttribute("aria-hidden", "true");
    seen.textContent = text;
    const said = this.doc.createElement("span");
    said.className = "visually-hidden";
    said.textContent = spoken;
    badge.append(seen, said);
    return badge;
  }

  // MARK: Resume (a connect, a drop, a daemon restart)

  // Resumes every joined room (and the open one) from the last message seen in each.
  async resumeAll() {
    const names = this.rooms.filter((room) => this.state(room.name).joined || room.name === this.currentRoom)
      .map((room) => room.name);
    await this.resume(names);
  }

  async resume(names) {
    const batches = [];
    for (let at = 0; at < names.length; at += RESUME_BATCH) batches.push(names.slice(at, at + RESUME_BATCH));
    for (const batch of batches) {
      const rooms = {};
      for (const name of batch) {
        rooms[name] = this.state(name).lastSeen || 0;
        this.subscribed.add(name);  // asked for: not again while the answer is on its way
      }
      let answer;
      try {
        answer = await this.socket.request("resume", { rooms });
      } catch (error) {
        for (const name of batch) this.subscribed.delete(name);
        return;  // the connection dropped again: the next connect resumes
      }
      for (const name of batch) {
        const entry = answer && answer.ok && answer.rooms ? answer.rooms[name] : null;
        this.applyResume(name, entry || { ok: false, error: (answer && answer.error) || { code: "internal_error" } });
      }
    }
  }

  applyResume(name, entry) {
    if (!entry.ok) {
      this.subscribed.delete(name);
      // The open room could not be resumed: load it afresh, and say so.
      if (name === this.currentRoom) this.selectRoom(name, { quiet: true, keepFocus: true, recovered: false });
      return;
    }
    const state = this.state(name);
    state.joined = true;
    const messages = entry.messages || [];
    if (name !== this.currentRoom) {
      for (const message of messages) this.noteMessage(name, message);
      if (entry.recovered === false) this.refreshRoomsSoon();  // the counts from the server
      this.updateBadges();
      return;
    }
    if (entry.recovered === false) {
      this.showRoom(name, entry, { quiet: true, keepFocus: true, divider: false });
      this.showBanner();
      return;
    }
    // Recovered: the gap, appended in order, and the messages changed meanwhile, in place.
    for (const message of messages) {
      this.noteMessage(name, message);
      this.displayMessage(message);
      this.noteAuthorRead(message);
    }
    for (const message of entry.updated || []) {
      if (this.shownIds.has(message.id)) this.updateMessage(message);
    }
    if (Array.isArray(entry.participants)) this.setParticipants(entry.participants);
    this.renderSeenBy();
    this.scheduleMarkRead();
  }

  showBanner() {
    const banner = this.el.banner;
    const text = banner.querySelector(".recovery-text");
    const list = this.el.messages;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    banner.hidden = false;
    if (atEnd) this.scrollToEnd();  // the banner takes room from the list: the latest stays in view
    // Set after showing, so that screen readers announce it.
    text.textContent = "";
    setTimeout(() => { text.textContent = "Some messages could not be recovered; showing the latest."; }, 50);
  }

  hideBanner() {
    this.el.banner.hidden = true;
  }

  // A message of any room arrived (live or in a resume answer): the last one seen there, and the
  // unread and mention counts of rooms that are not open.
  noteMessage(room, message) {
    const state = this.state(room);
    state.lastSeen = Math.max(state.lastSeen || 0, message.id);
    const mine = Boolean(this.me && message.user && message.user.id === this.me.id);
    if (mine) state.myRead = Math.max(state.myRead, message.id);
    if (message.id <= state.countedThrough) return;
    state.countedThrough = message.id;
    if (room === this.currentRoom) {
      // Shown, but nobody is looking: the tab's title counts it until the tab is in front.
      if (!mine && this.doc.visibilityState !== "visible" && (message.message_type === "text" || message.message_type === "system")) {
        this.unseenHere += 1;
        this.updateBadges();
      }
      return;
    }
    if (mine) {
      // Sending moved one's read position to the end (from another device).
      state.unread = 0; state.capped = false; state.mentions = 0;
    } else {
      if ((message.message_type === "text" || message.message_type === "system") && !message.deleted) {
        state.unread += 1;
        if (state.unread > UNREAD_CAP) { state.unread = UNREAD_CAP; state.capped = true; }
      }
      if (this.mentionsMe(message)) this.countMention(room, message.id);
    }
    this.updateBadges();
  }

  countMention(room, id) {
    const key = `${room}:${id}`;
    if (this.countedMentions.has(key)) return false;
    this.countedMentions.add(key);
    this.state(room).mentions += 1;
    return true;
  }

  mentionsMe(message) {
    if (!this.me || !message || message.deleted) return false;
    if (this.mentionsOfMe.has(`${message.room}:${message.id}`)) return true;
    const me = this.me.name.toLowerCase();
    return Array.isArray(message.mentions) && message.mentions.some((name) => String(name).toLowerCase() === me);
  }

  onNewMessage(message) {
    this.noteMessage(message.room, message);
    if (message.room !== this.currentRoom) return;
    this.displayMessage(message);
    this.noteAuthorRead(message);
    this.renderSeenBy();
    this.scheduleMarkRead();
  }

  // MARK: Read state

  // read_updated: one's own (another device read the room: its badges go) or someone else's
  // ("Seen by" under the last message).
  onReadUpdated(data) {
    if (!data || !data.user) return;
    if (this.me && data.user.id === this.me.id) {
      const state = this.state(data.room);
      state.myRead = Math.max(state.myRead, data.id);
      if (data.id >= state.countedThrough || data.id >= (state.lastSeen || 0)) {
        state.unread = 0; state.capped = false; state.mentions = 0;
        this.updateBadges();
      } else {
        this.refreshRoomsSoon();  // read part of the way: the server counts the rest
      }
      return;
    }
    if (data.room !== this.currentRoom) return;
    const existing = this.participants.get(data.user.id);
    if (existing) existing.last_read = Math.max(existing.last_read || 0, data.id);
    else this.participants.set(data.user.id, { user: data.user, online: false, last_read: data.id });
    this.renderSeenBy();
  }

  // Sending moves the author's read position to their message (no read_updated says so).
  noteAuthorRead(message) {
    if (!message.user || (this.me && message.user.id === this.me.id)) return;
    const p = this.participants.get(message.user.id);
    if (p && p.shares === false) return;  // they keep their read position to themselves
    if (p) p.last_read = Math.max(p.last_read || 0, message.id);
    else this.participants.set(message.user.id, { user: message.user, online: true, last_read: message.id });
  }

  setParticipants(list) {
    this.participants.clear();
    for (const p of list) {
      const own = this.me && p.user.id === this.me.id;
      this.participants.set(p.user.id, { ...p, shares: own || p.last_read !== null });
    }
    this.updateParticipants();
  }

  // "Seen by Ann, Bob" under the last message: the others whose read position reached it (not its author).
  renderSeenBy() {
    // The line sits under the list: when it appears the list gets shorter; a reader at the end stays there.
    const list = this.el.messages;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    this.fillSeenBy();
    if (atEnd) this.scrollToEnd();
  }

  fillSeenBy() {
    const line = this.el.seenBy;
    const last = this.newestId !== null ? this.messages.get(this.newestId) : null;
    if (!last || !this.currentRoom) {
      line.replaceChildren();
      delete line.dataset.messageId;
      return;
    }
    const readers = [...this.participants.values()].filter((p) => p.user
      && !(this.me && p.user.id === this.me.id)
      && !(last.user && p.user.id === last.user.id)
      && typeof p.last_read === "number" && p.last_read >= last.id)
      .map((p) => p.user)
      .sort((a, b) => a.display_name.localeCompare(b.display_name));
    line.dataset.messageId = String(last.id);
    if (!readers.length) { line.replaceChildren(); return; }
    const shown = readers.slice(0, SEEN_BY_NAMES);
    const parts = ["Seen by "];
    shown.forEach((user, index) => {
      if (index) parts.push(index === shown.length - 1 && readers.length === shown.length ? " and " : ", ");
      parts.push(this.nameElement(user));
    });
    const rest = readers.length - shown.length;
    if (rest > 0) parts.push(` and ${rest} ${rest === 1 ? "other" : "others"}`);
    line.replaceChildren(...parts);
  }

  // While a room is open and the tab visible, its newest message shown is read: sent a moment
  // after it last moved, and only forward.
  scheduleMarkRead() {
    clearTimeout(this.markTimer);
    this.markTimer = setTimeout(() => this.markRead(), MARK_READ_DELAY_MS);
  }

  markRead(force = false) {
    clearTimeout(this.markTimer);
    const room = this.currentRoom;
    const id = this.newestId;
    if (!room || id === null || (!force && this.doc.visibilityState !== "visible")) return;
    const state = this.state(room);
    if (id <= state.myRead) return;
    const before = state.myRead;
    state.myRead = id;
    this.socket.request("mark_read", { room, id }).then((answer) => {
      if (answer && answer.ok) state.myRead = Math.max(state.myRead, answer.id);
      else if (answer && answer.error && answer.error.code === "rate_limited") {
        state.myRead = before;
        if (room === this.currentRoom) setTimeout(() => this.scheduleMarkRead(), 2000);
      }
    }).catch(() => { state.myRead = before; });
  }

  // MARK: Mentions

  onMentioned(data) {
    if (!data || !data.message) return;
    const message = { ...data.message, room: data.message.room || data.room };
    const room = data.room || message.room;
    this.mentionsOfMe.add(`${room}:${message.id}`);
    const state = this.state(room);
    const open = room === this.currentRoom && this.doc.visibilityState === "visible";
    if (room === this.currentRoom) {
      // Already shown (or about to be): highlighted by its mentions.
      const item = this.messageItem(message.id);
      if (item && this.messages.has(message.id)) this.renderMessage(item, this.messages.get(message.id));
    }
    if (open) return;
    if (message.id > state.countedThrough && this.countMention(room, message.id)) this.updateBadges();
    else this.countedMentions.add(`${room}:${message.id}`);
    const where = this.roomLabel(room);
    const who = message.user ? message.user.display_name : "Someone";
    const notice = this.el.mentionNotice;
    notice.textContent = `${who} mentioned you in ${where}`;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => { notice.textContent = ""; }, 8000);
  }

  roomLabel(name) {
    const direct = this.directRooms.get(name);
    if (direct) return `your conversation with ${direct.title || (direct.peer && direct.peer.display_name) || name}`;
    const room = this.rooms.find((r) => r.name === name);
    return (room && room.is_private ? "🔒 " : "#") + name;
  }

  // The header's side panels (mentions, search, reports): one open at a time; its × button or
  // Escape closes one and gives the focus back to its button.
  setUpPanels() {
    const focusClose = (name) => this.panels[name].panel.querySelector(`[data-testid=${name}-close]`).focus();
    this.panels = {
      mentions: { panel: this.el.mentionsPanel, toggle: this.el.mentionsToggle,
        opened: () => { this.loadMentions(false); focusClose("mentions"); } },
      search: { panel: this.el.searchPanel, toggle: this.el.searchToggle, opened: () => this.searchOpened() },
      // The reports as they are now.
      reports: { panel: this.el.reportsPanel, toggle: this.el.reportsToggle,
        opened: () => { this.loadReports(); focusClose("reports"); } },
    };
    for (const [name, { panel, toggle }] of Object.entries(this.panels)) {
      toggle.addEventListener("click", () => this.togglePanel(name));
      this.doc.querySelector(`[data-testid=${name}-close]`).addEventListener("click", () => this.togglePanel(name, false, true));
      panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          this.togglePanel(name, false, true);
        }
      });
    }
  }

  togglePanel(name, open = this.panels[name].panel.hidden, refocus = false) {
    const { panel, toggle, opened } = this.panels[name];
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.toggleDrawer(false);
      for (const [other, { panel: shown }] of Object.entries(this.panels)) {
        if (other !== name && !shown.hidden) this.togglePanel(other, false);
      }
      opened();
    } else if (refocus) {
      toggle.focus();
    }
  }

  closePanel(name) {
    if (!this.panels[name].panel.hidden) this.togglePanel(name, false);
  }

  async loadMentions(more) {
    const list = this.el.mentionsList;
    const status = this.el.mentionsStatus;
    const request = { limit: 50 };
    if (more && this.mentionsBefore !== null) request.before = this.mentionsBefore;
    if (!more) { list.replaceChildren(); this.mentionsBefore = null; }
    status.textContent = "Loading…";
    this.el.mentionsMore.hidden = true;
    try {
      const answer = await this.socket.request("get_mentions", request);
      if (!answer.ok) { status.textContent = this.friendlyError(answer.error); return; }
      for (const message of answer.mentions) {
        this.mentionsOfMe.add(`${message.room}:${message.id}`);
        list.append(this.mentionEntry(message));
        this.mentionsBefore = message.id;
      }
      status.textContent = list.childElementCount ? "" : "Nobody has mentioned you yet.";
      this.el.mentionsMore.hidden = !answer.has_more;
    } catch (error) {
      status.textContent = "Not connected — trying again…";
    }
  }

  mentionEntry(message) {
    const item = this.doc.createElement("li");
    const button = this.doc.createElement("button");
    button.type = "button";
    button.className = "mention-entry";
    button.dataset.testid = "mention-entry";
    button.dataset.mentionRoom = message.room;  // not data-room: that names the room buttons
    button.dataset.messageId = String(message.id);
    const where = this.doc.createElement("span");
    where.className = "mention-where";
    where.append(this.roomLabel(message.room), " · ", message.user ? this.nameElement(message.user) : "Someone",
      " · ", this.timeElement(message.created_at));
    const text = this.doc.createElement("span");
    text.className = "mention-text";
    text.textContent = message.deleted ? "message deleted" : message.message;
    button.append(where, text);
    button.addEventListener("click", () => this.jumpTo(message.room, message.id));
    item.append(button);
    return item;
  }

  // From the mentions list: the room, then the message (older pages loaded until it is there).
  async jumpTo(room, id) {
    this.closePanel("mentions");
    this.closePanel("reports");
    if (room !== this.currentRoom) await this.selectRoom(room, { keepFocus: true });
    if (room !== this.currentRoom) return;
    for (let pages = 0; !this.messageItem(id) && this.hasMore && pages < 20; pages += 1) {
      if (!(await this.loadOlder())) break;
    }
    const item = this.messageItem(id);
    this.jumpedIn = this.epoch;  // the view is this message's now (not the divider's)
    if (!item) { this.el.messages.focus(); return; }
    item.tabIndex = -1;
    item.scrollIntoView({ block: "center" });
    item.classList.add("flash");
    setTimeout(() => item.classList.remove("flash"), 2500);
    item.focus({ preventScroll: true });
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

  async selectRoom(name, { quiet = false, keepFocus = false, recovered = true } = {}) {
    if (this.state(name).banned) {
      // Banned: join_room would be refused; the room says so instead.
      this.joining = null;
      this.showBannedRoom(name, { quiet, keepFocus });
      return;
    }
    this.joining = name;
    const leaving = this.currentRoom;
    if (leaving && leaving !== name) this.markRead(true);  // what was read there, before moving on
    try {
      const answer = await this.socket.request("join_room", { room: name });
      if (this.joining !== name) return;
      if (!answer.ok && answer.error && answer.error.code === "banned") {
        this.state(name).banned = true;
        this.updateBadges();
        this.showBannedRoom(name, { quiet, keepFocus });
        return;
      }
      if (!answer.ok) { this.showError(answer.error); return; }
      if (leaving && leaving !== name) {
        const left = this.state(leaving);
        left.unread = 0; left.capped = false; left.mentions = 0;
      }
      this.subscribed.add(name);
      this.showRoom(name, answer, { quiet, keepFocus, divider: true });
      if (!recovered) this.showBanner();
    } catch (error) {
      if (!quiet) this.showError({ code: "offline", message: "Not connected — trying again…" });
    } finally {
      if (this.joining === name) this.joining = null;
    }
  }

  // Shows a room from a join_room answer (or a resume entry that could not recover): its latest
  // messages, the "New messages" divider after one's previous read position, its people.
  showRoom(name, answer, { quiet = false, keepFocus = false, divider = false } = {}) {
    this.currentRoom = name;
    this.removedNotice = false;
    this.bannedView = null;
    this.closeUserMenu();
    this.hideBanner();
    const shown = this.roomTitle(answer.room || { name, kind: "public", description: "" });
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
    const messages = answer.messages || [];
    const state = this.state(name);
    const hadUnread = state.unread > 0 || state.capped;
    state.joined = true;
    state.unread = 0; state.capped = false; state.mentions = 0;
    for (const message of messages) this.noteMessage(name, message);
    // join_room moved the read position to the end (resume did not: the mark follows).
    if (divider && messages.length) state.myRead = Math.max(state.myRead, messages[messages.length - 1].id);
    this.hasMore = Boolean(answer.has_more);
    // No read position yet (a direct conversation someone else started) but unread messages: all are new.
    this.dividerAfter = !divider ? null : typeof answer.last_read === "number" ? answer.last_read : hadUnread ? 0 : null;
    for (const message of messages) this.displayMessage(message, { scroll: false });
    if (!messages.length) {
      const empty = this.doc.createElement("li");
      empty.className = "notice empty-note";
      empty.textContent = "No messages yet: say hi!";
      this.el.messages.append(empty);
    }
    this.renderHistoryTop();
    this.placeDivider();
    this.participants.clear();
    if (Array.isArray(answer.participants)) this.setParticipants(answer.participants);
    else this.updateParticipants();
    for (const message of messages) this.noteAuthorRead(message);
    this.renderSeenBy();
    this.typers.clear();
    this.renderTyping();
    this.updateBadges();
    this.refreshRoomsSoon();
    this.el.input.disabled = false;
    this.el.send.disabled = false;
    this.el.input.placeholder = shown.placeholder;
    this.clearError();
    this.updateComposer();
    this.scrollToStart();
    this.scheduleMarkRead();
    if (!keepFocus && !quiet) this.el.input.focus();
    // More unread than one page: older pages until the divider's place is there (a few at most),
    // then the room opens at it; a short first page leaves nothing to scroll: fetch more until the
    // list fills (or the room ends).
    this.reachDivider().then(() => this.fillUp());
  }

  // Whether the divider's place is among the messages shown: a message at or before the read
  // position is there, or the room has nothing older.
  dividerPlaceKnown() {
    return !this.hasMore || (this.oldestId !== null && this.oldestId <= this.dividerAfter);
  }

  async reachDivider() {
    if (this.dividerAfter === null || this.dividerPlaceKnown()) return;
    const epoch = this.epoch;
    for (let pages = 0; pages < DIVIDER_PAGES && !this.dividerPlaceKnown(); pages += 1) {
      if (!(await this.loadOlder()) || epoch !== this.epoch) return;
    }
    // Not when a jump to a message (the mentions list) has taken the view meanwhile.
    if (epoch === this.epoch && this.jumpedIn !== epoch && this.el.messages.querySelector(":scope > .new-divider")) {
      this.scrollToStart();
    }
  }

  // Where a room opens: at the "New messages" divider when what follows it is taller than the
  // list, else at the end.
  scrollToStart() {
    const list = this.el.messages;
    const divider = list.querySelector(".new-divider");
    if (divider && list.scrollHeight - divider.offsetTop > list.clientHeight) {
      list.scrollTop = Math.max(0, divider.offsetTop - 8);
    } else {
      this.scrollToEnd();
    }
  }

  async fillUp() {
    const list = this.el.messages;
    for (let pages = 0; pages < 5 && this.hasMore && list.scrollHeight <= list.clientHeight + LOAD_OLDER_AT_PX; pages += 1) {
      if (!(await this.loadOlder())) return;
    }
  }

  // MARK: History paging

  // The first item of the list: a button for older messages, or "Beginning of the room".
  renderHistoryTop() {
    const list = this.el.messages;
    let top = list.querySelector(":scope > .history-top");
    if (!this.messages.size) { if (top) top.remove(); return; }
    if (!top) {
      top = this.doc.createElement("li");
      top.className = "notice history-top";
      list.prepend(top);
    }
    top.replaceChildren();
    if (this.hasMore) {
      top.dataset.testid = "load-older";
      const more = this.doc.createElement("button");
      more.type = "button";
      more.className = "message-action load-older";
      more.textContent = this.loadingOlder ? "Loading older messages…" : "Load older messages";
      more.disabled = Boolean(this.loadingOlder);
      more.addEventListener("click", () => this.loadOlder());
      top.append(more);
    } else {
      top.dataset.testid = "history-start";
      top.textContent = this.directRooms.has(this.currentRoom) ? "Beginning of the conversation" : "Beginning of the room";
    }
  }

  // get_history before the oldest message shown; resolves true when a page was added.
  loadOlder() {
    if (this.loadingOlder) return this.loadingOlder;
    if (!this.hasMore || !this.currentRoom || this.oldestId === null) return Promise.resolve(false);
    const room = this.currentRoom;
    const epoch = this.epoch;
    const before = this.oldestId;
    const button = this.el.messages.querySelector(".load-older");
    const focused = Boolean(button && button === this.doc.activeElement);
    this.loadingOlder = (async () => {
      try {
        const answer = await this.socket.request("get_history", { room, before, limit: HISTORY_PAGE });
        if (epoch !== this.epoch || room !== this.currentRoom) return false;
        if (!answer.ok) { this.showError(answer.error); return false; }
        this.prependMessages(answer.messages || [], Boolean(answer.has_more));
        return true;
      } catch (error) {
        return false;
      } finally {
        if (epoch === this.epoch) {
          this.loadingOlder = null;
          this.renderHistoryTop();
          if (focused) {
            const again = this.el.messages.querySelector(".load-older");
            (again || this.el.messages).focus({ preventScroll: true });
          }
        }
      }
    })();
    this.renderHistoryTop();
    return this.loadingOlder;
  }

  // Older messages above the shown ones, the view held still: the first message in view (not the
  // one at the seam, which may lose its name line to the group above it) keeps its place on screen.
  prependMessages(messages, hasMore) {
    const list = this.el.messages;
    const heightBefore = list.scrollHeight;
    const topBefore = list.scrollTop;
    const fresh = messages.filter((m) => !this.shownIds.has(m.id)).sort((a, b) => a.id - b.id);
    const firstItem = list.querySelector(":scope > li[data-message-id]");
    const viewTop = list.getBoundingClientRect().top;
    const items = [...list.querySelectorAll(":scope > li[data-message-id]")];
    let anchor = items.find((li) => li.getBoundingClientRect().bottom > viewTop) || null;
    if (anchor && anchor === firstItem && items.length > 1) anchor = items[1];
    const anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
    const fragment = this.doc.createDocumentFragment();
    let previous = null;
    for (const message of fresh) {
      this.shownIds.add(message.id);
      this.messages.set(message.id, message);
      const created = new Date(message.created_at);
      if (!previous || dayKey(new Date(previous.created_at)) !== dayKey(created)) fragment.append(this.daySeparator(created));
      const item = this.doc.createElement("li");
      item.dataset.messageId = String(message.id);
      item.dataset.continued = String(this.continues(previous, message));
      this.renderMessage(item, message);
      fragment.append(item);
      previous = message;
      this.oldestId = this.oldestId === null ? message.id : Math.min(this.oldestId, message.id);
    }
    if (previous && firstItem) {
      // The seam: one separator per day, and the first shown message may now continue a group.
      const first = this.messages.get(Number(firstItem.dataset.messageId));
      const separator = list.querySelector(":scope > .day-separator");
      if (separator && separator.dataset.day === dayKey(new Date(previous.created_at))
          && separator.compareDocumentPosition(firstItem) & Node.DOCUMENT_POSITION_FOLLOWING) {
        separator.remove();
      }
      const continued = String(this.continues(previous, first));
      if (first && firstItem.dataset.continued !== continued) {
        firstItem.dataset.continued = continued;
        if (firstItem.dataset.editing !== "true") this.renderMessage(firstItem, first);
      }
    }
    const top = list.querySelector(":scope > .history-top");
    if (top) top.after(fragment);
    else list.prepend(fragment);
    this.hasMore = hasMore;
    this.renderHistoryTop();
    this.placeDivider();
    if (anchor && anchor.isConnected) list.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
    else list.scrollTop = topBefore + (list.scrollHeight - heightBefore);
  }

  // The "New messages" divider: before the first message after the read position this room had
  // when it was opened (one's own messages aside).
  placeDivider() {
    const list = this.el.messages;
    const old = list.querySelector(":scope > .new-divider");
    // Not above the oldest message shown when the first unread one is older still (not loaded yet).
    if (this.dividerAfter === null || !this.dividerPlaceKnown()) { if (old) old.remove(); return; }
    let target = null;
    for (const item of list.querySelectorAll(":scope > li[data-message-id]")) {
      const message = this.messages.get(Number(item.dataset.messageId));
      if (message && message.id > this.dividerAfter && !(this.me && message.user && message.user.id === this.me.id)) {
        target = item;
        break;
      }
    }
    if (!target) { if (old) old.remove(); return; }
    // Before the day's separator when the message opens its day.
    const before = target.previousElementSibling;
    const anchor = before && before.classList.contains("day-separator") ? before : target;
    if (old && old.nextElementSibling === anchor) return;
    const divider = old || this.doc.createElement("li");
    divider.className = "new-divider";
    divider.dataset.testid = "new-divider";
    divider.replaceChildren();
    const label = this.doc.createElement("span");
    label.className = "new-divider-label";
    label.textContent = "New messages";
    divider.append(label);
    anchor.before(divider);
  }

  // An admin ended our membership: out of the room at once, with a notice instead of the input.
  removedFrom(data) {
    this.refreshRoomsSoon();
    if (data.banned) {
      const state = this.state(data.room);
      state.banned = true;
      state.joined = false;
      this.subscribed.delete(data.room);
      this.updateBadges();
      if (data.room === this.currentRoom || data.room === this.bannedView) {
        this.showBannedRoom(data.room, { quiet: true, keepFocus: true });
      } else {
        this.toast(this.bannedText(data.room), { testid: "banned-toast" });
      }
      return;
    }
    if (data.room !== this.currentRoom) return;
    this.currentRoom = null;
    this.joining = null;
    this.removedNotice = true;  // stay out (no automatic room) until the member picks one
    this.stopTyping();
    this.el.title.textContent = "No room";
    this.el.description.textContent = "";
    for (const button of this.doc.querySelectorAll(".rooms button.room")) button.removeAttribute("aria-current");
    this.clearMessages();
    this.subscribed.delete(data.room);
    this.dividerAfter = null;
    this.hideBanner();
    this.renderSeenBy();
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
    this.updateComposer();
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
        this.noteMessage(room, answer.message);
        if (room === this.currentRoom) this.displayMessage(answer.message);
      } else {
        this.noteRefusal(room, answer.error);
        this.showError(answer.error);
      }
    } catch (error) {
      this.showError({ code: "offline", message: "Not sent: the connection dropped. Your text is still here." });
    } finally {
      this.el.send.disabled = false;
    }
  }

  clearMessages() {
    this.epoch += 1;
    this.shownIds.clear();
    this.messages.clear();
    this.lastShown = null;
    this.oldestId = null;
    this.newestId = null;
    this.loadingOlder = null;
    this.closePicker();
    this.el.messages.replaceChildren();
  }

  // Appends a message: a day separator first when it starts a new day, and no name or time of its
  // own when it follows one of the same sender's within a few minutes.
  displayMessage(message, { scroll = true } = {}) {
    if (this.shownIds.has(message.id)) return;  // never twice (a resume and a live event may both bring it)
    this.shownIds.add(message.id);
    this.messages.set(message.id, message);
    this.oldestId = this.oldestId === null ? message.id : Math.min(this.oldestId, message.id);
    this.newestId = this.newestId === null ? message.id : Math.max(this.newestId, message.id);
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
    if (!list.querySelector(":scope > .history-top")) this.renderHistoryTop();
    this.renderSeenBy();
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
    // Join and leave lines say who came and went; deleting them helps nobody (a product trial
    // found a moderator's busy room full of Delete buttons on them).
    if (message.message_type === "join" || message.message_type === "leave") return false;
    if (this.role === "admin") return true;
    if (this.role === "moderator" && this.roomKind(message.room) === "public") return true;
    return message.message_type === "text" && Boolean(message.user && message.user.id === this.me.id);
  }

  canReport(message) {
    return Boolean(this.me && message.user && message.user.id !== this.me.id
      && message.message_type === "text" && !message.deleted);
  }

  // Whether the page offers moderation of `user` in `room`: the server says which rooms one
  // moderates (rooms_list's `moderates`); it refuses a target of equal or higher rank itself.
  canModerate(room, user) {
    if (!this.me || !user || user.id === this.me.id) return false;
    if (this.roomKind(room) === "direct") return false;
    return this.state(room).moderates;
  }

  // The kind of a room the page knows (public, private or direct).
  roomKind(name) {
    if (this.directRooms.has(name)) return "direct";
    const room = this.rooms.find((r) => r.name === name);
    return room ? room.kind : "private";
  }

  // (Re)builds one message's item from the message: the text always as textContent.
  renderMessage(item, message) {
    const focusedAction = item.contains(this.doc.activeElement) ? this.doc.activeElement.dataset.action : null;
    if (this.picker && item.contains(this.picker)) this.closePicker();
    if (this.userMenu && item.contains(this.userMenu.element)) this.closeUserMenu();
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
      const mentioned = !mine && this.mentionsMe(message);
      item.className = "message" + (mine ? " mine" : "") + (continued ? " continued" : "") + (message.deleted ? " deleted" : "")
        + (mentioned ? " mentions-me" : "");
      const meta = this.doc.createElement("p");
      meta.className = continued ? "meta visually-hidden" : "meta";
      // A moderator's way to a member's actions: the name is a button (the group's first message only:
      // the others' name lines are hidden for sight).
      const menu = !continued && !mine && this.canModerate(message.room, message.user);
      const author = this.doc.createElement(menu ? "button" : "span");
      author.className = menu ? "author author-button" : "author";
      author.textContent = message.user ? message.user.display_name : "Someone";
      if (message.user) author.title = `@${message.user.name}`;  // tells look-alike display names apart
      if (menu) {
        author.type = "button";
        author.dataset.action = "user-menu";
        author.dataset.testid = "user-menu-button";
        author.setAttribute("aria-expanded", "false");
        author.setAttribute("aria-label", `${message.user.display_name}: moderation actions`);
        author.addEventListener("click", () => this.toggleUserMenu(author, message.user, message.room, item));
      }
      meta.append(author, " ", this.timeElement(message.created_at));
      if (mentioned) {
        const tag = this.doc.createElement("span");
        tag.className = "mention-tag";
        tag.dataset.testid = "mention-tag";
        tag.textContent = "mentions you";
        meta.append(" ", tag);
      }
      const body = this.doc.createElement("p");
      body.className = "text";
      if (mentioned && continued) {
        // The group's name line is hidden for sight: the tag is shown on its own (said once, in that line).
        const tag = this.doc.createElement("p");
        tag.className = "mention-tag mention-tag-alone";
        tag.setAttribute("aria-hidden", "true");
        tag.textContent = "mentions you";
        item.append(tag);
      }
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
    if (this.canReport(message)) {
      const who = message.user ? message.user.display_name : "someone";
      const report = this.actionButton("Report", "report", `Report the message of ${who}`);
      report.addEventListener("click", () => this.openReport(message.id, report));
      actions.append(report);
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
    if (this.userMenu && list.contains(this.userMenu.element)) this.closeUserMenu();
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
        if (this.canModerate(this.currentRoom, p.user)) {
          const moderate = this.doc.createElement("button");
          moderate.type = "button";
          moderate.className = "message-action direct-button";
          moderate.dataset.testid = "user-menu-button";
          moderate.dataset.action = "user-menu";
          moderate.textContent = "Moderate";
          moderate.setAttribute("aria-expanded", "false");
          moderate.setAttribute("aria-label", `Moderate ${p.user.display_name}`);
          moderate.addEventListener("click", () => this.toggleUserMenu(moderate, p.user, this.currentRoom, item));
          item.append(moderate);
        }
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

  // MARK: Mutes and bans (the affected member's side)

  isMuted(room, now = Date.now()) {
    const until = this.state(room).mutedUntil;
    return Boolean(until && until.getTime() > now);
  }

  mutedText(room) {
    const until = this.state(room).mutedUntil;
    return `You are muted in ${this.roomLabel(room)} until ${clockLabel(until)}.`;
  }

  bannedText(room) {
    const reason = this.state(room).banReason;
    return `You were banned from ${this.roomLabel(room)}${reason ? ` (${reason})` : ""}.`;
  }

  // The composer of the open room: disabled with a notice while one is muted there, back by
  // itself when the mute ends (a timer, or `muted` with until null).
  updateComposer() {
    clearTimeout(this.muteTimer);
    const room = this.currentRoom;
    const notice = this.el.composerNotice;
    if (!room) {
      notice.textContent = "";
      delete notice.dataset.state;
      return;
    }
    if (this.isMuted(room)) {
      const text = this.mutedText(room);
      if (notice.textContent !== text) notice.textContent = text;
      notice.dataset.state = "muted";
      this.stopTyping();
      this.el.input.disabled = true;
      this.el.send.disabled = true;
      this.el.input.placeholder = "You are muted here";
      const left = this.state(room).mutedUntil.getTime() - Date.now();
      this.muteTimer = setTimeout(() => this.updateComposer(), Math.min(left + 250, LONGEST_TIMER_MS));
      return;
    }
    if (notice.dataset.state === "muted") {
      // The mute is over: the composer is back.
      notice.textContent = "";
      delete notice.dataset.state;
      this.el.input.disabled = false;
      this.el.send.disabled = false;
      this.el.input.placeholder = this.roomTitle(this.rooms.find((r) => r.name === room) || { name: room, kind: "public" }).placeholder;
      if (this.el.error.dataset.code === "muted") this.clearError();
      this.checkLength();
    }
  }

  onMuted(data) {
    if (!data || !data.room) return;
    const state = this.state(data.room);
    state.mutedUntil = data.until ? new Date(data.until) : null;
    this.updateBadges();
    if (data.room === this.currentRoom) this.updateComposer();
    else if (data.until) this.toast(this.mutedText(data.room), { testid: "muted-toast" });
  }

  // A refusal naming a mute or a ban tells the page what the server knows ("… until <ISO8601>").
  noteRefusal(room, error) {
    if (!error || !room) return;
    if (error.code === "muted") {
      const until = /(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(error.message || "");
      if (until) {
        this.state(room).mutedUntil = new Date(until[1]);
        this.updateBadges();
        if (room === this.currentRoom) this.updateComposer();
      }
    } else if (error.code === "banned") {
      this.state(room).banned = true;
      this.updateBadges();
    }
  }

  // user_banned: for oneself, the reason for the notice that follows (room_removed); for the
  // others in the room, a line "Ann was banned (reason)".
  onUserBanned(data) {
    if (!data || !data.user) return;
    if (this.me && data.user.id === this.me.id) {
      this.state(data.room).banReason = data.reason || null;
      return;
    }
    if (data.room !== this.currentRoom) return;
    const line = this.doc.createElement("li");
    line.className = "notice moderation-note";
    line.dataset.testid = "ban-note";
    line.append(this.nameElement(data.user), " was banned", data.reason ? ` (${data.reason})` : "");
    const list = this.el.messages;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.append(line);
    if (atEnd) this.scrollToEnd();
  }

  onUserUnbanned(data) {
    if (!data || !data.room) return;
    const state = this.state(data.room);
    state.banned = false;
    state.banReason = null;
    this.updateBadges();
    if (this.bannedView === data.room) this.renderBannedView();
    else this.toast(`You may join ${this.roomLabel(data.room)} again.`, { testid: "unbanned-toast" });
  }

  // A room one is banned from: no messages, a notice, and its join button (disabled until unbanned).
  showBannedRoom(name, { quiet = false, keepFocus = false } = {}) {
    if (this.currentRoom && this.currentRoom !== name) this.markRead(true);
    this.stopTyping();
    this.currentRoom = null;
    this.joining = null;
    this.removedNotice = true;  // no automatic room while this notice is shown
    this.bannedView = name;
    this.closeUserMenu();
    this.subscribed.delete(name);
    this.el.title.textContent = this.roomTitle(this.rooms.find((r) => r.name === name) || { name, kind: "public" }).title;
    this.el.description.textContent = "You cannot read or write here.";
    for (const button of this.doc.querySelectorAll(".rooms button.room")) {
      if (button.dataset.room === name) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
    if (!quiet) this.toggleDrawer(false);
    this.clearMessages();
    this.dividerAfter = null;
    this.hasMore = false;
    this.hideBanner();
    this.renderSeenBy();
    this.participants.clear();
    this.updateParticipants();
    this.typers.clear();
    this.renderTyping();
    this.el.input.value = "";
    this.el.input.disabled = true;
    this.el.send.disabled = true;
    this.el.input.placeholder = "You cannot write here";
    this.clearError();
    this.updateComposer();
    this.updateBadges();
    this.renderBannedView();
    if (!keepFocus && !quiet) {
      const join = this.el.messages.querySelector("[data-testid=banned-join]");
      if (join) join.focus();
    }
  }

  renderBannedView() {
    const name = this.bannedView;
    if (!name) return;
    const state = this.state(name);
    let notice = this.el.messages.querySelector(":scope > [data-testid=banned-notice]");
    const focused = notice && notice.contains(this.doc.activeElement);
    if (!notice) {
      notice = this.doc.createElement("li");
      notice.className = "notice removed-note banned-note";
      notice.dataset.testid = "banned-notice";
      this.el.messages.replaceChildren(notice);
    }
    notice.replaceChildren();
    notice.dataset.banned = String(state.banned);
    const text = this.doc.createElement("p");
    text.className = "banned-text";
    text.id = "banned-text";
    text.textContent = state.banned ? this.bannedText(name) : `You may join ${this.roomLabel(name)} again.`;
    const join = this.doc.createElement("button");
    join.type = "button";
    join.className = "secondary";
    join.dataset.testid = "banned-join";
    join.textContent = `Join ${this.roomLabel(name)}`;
    const hint = this.doc.createElement("p");
    hint.className = "banned-hint";
    hint.id = "banned-hint";
    hint.textContent = state.banned ? "You can join again once a moderator lifts the ban." : "";
    hint.hidden = !state.banned;
    join.setAttribute("aria-describedby", state.banned ? `${text.id} ${hint.id}` : text.id);
    if (state.banned) {
      // Disabled but still reachable and said: the hint explains why.
      join.setAttribute("aria-disabled", "true");
    }
    join.addEventListener("click", () => {
      if (this.state(name).banned) return;
      this.selectRoom(name);
    });
    notice.append(text, join, hint);
    if (focused) join.focus();
  }

  // MARK: Moderation (a moderator's side)

  toggleUserMenu(button, user, room, host) {
    const open = this.userMenu && this.userMenu.button === button;
    this.closeUserMenu();
    if (open) return;
    const menu = this.doc.createElement("div");
    menu.className = "user-menu";
    menu.dataset.testid = "user-menu";
    menu.dataset.user = user.name;
    menu.id = `user-menu-${Date.now()}`;
    menu.setAttribute("role", "group");
    menu.setAttribute("aria-label", `Moderate ${user.display_name} in ${this.roomLabel(room)}`);
    const title = this.doc.createElement("p");
    title.className = "user-menu-title";
    title.append(this.nameElement(user), ` (@${user.name}) in ${this.roomLabel(room)}`);
    const choices = this.doc.createElement("div");
    choices.className = "user-menu-choices";
    const choice = (label, action, run, danger = false) => {
      const b = this.actionButton(label, action);
      b.classList.add("user-menu-choice");
      if (danger) b.classList.add("danger");
      b.addEventListener("click", run);
      choices.append(b);
      return b;
    };
    for (const [minutes, label] of MUTE_CHOICES) {
      choice(label, `mute-${minutes}`, () => this.moderate("mute", room, user, { minutes }));
    }
    choice("Unmute", "unmute", () => this.moderate("unmute", room, user));
    choice("Ban from room…", "ban", () => this.openBan(room, user), true);
    choice("Unban", "unban", () => this.moderate("unban", room, user));
    const status = this.doc.createElement("p");
    status.className = "edit-error user-menu-error";
    status.dataset.testid = "user-menu-error";
    status.setAttribute("role", "alert");
    menu.append(title, choices, status);
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.closeUserMenu(true);
      } else if (["ArrowDown", "ArrowUp", "ArrowRight", "ArrowLeft"].includes(event.key)) {
        const all = [...choices.children];
        const at = all.indexOf(this.doc.activeElement);
        if (at < 0) return;
        const forward = event.key === "ArrowDown" || event.key === "ArrowRight";
        event.preventDefault();
        all[(at + (forward ? 1 : all.length - 1)) % all.length].focus();
      }
    });
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-controls", menu.id);
    host.append(menu);
    this.userMenu = { element: menu, button, user, room, status };
    // The previous action's confirmation sits over the conversation's lower part, where a menu
    // near the end opens: it has been read; it goes so as not to cover the choices.
    this.el.toasts.querySelectorAll("[data-testid=moderation-done], [data-testid=moderation-error]")
      .forEach((toast) => toast.remove());
    choices.firstElementChild.focus();
  }

  closeUserMenu(refocus = false) {
    const menu = this.userMenu;
    if (!menu) return;
    this.userMenu = null;
    menu.element.remove();
    if (menu.button.isConnected) {
      menu.button.setAttribute("aria-expanded", "false");
      menu.button.removeAttribute("aria-controls");
      if (refocus) menu.button.focus();
    }
  }

  // mute / unmute / ban / unban: the answer as a notice; a refusal stays in the menu (or the dialog).
  async moderate(action, room, user, extra = {}, report = null) {
    const menu = this.userMenu;
    const fail = (text) => {
      if (report) report(text);
      else if (menu && this.userMenu === menu) menu.status.textContent = text;
      else this.toast(text, { testid: "moderation-error" });
    };
    if (menu) menu.status.textContent = "";
    let answer;
    try {
      answer = await this.socket.request(action, { room, user: user.name, ...extra });
    } catch (error) {
      fail("Not done: the connection dropped. Try again when connected.");
      return false;
    }
    if (!answer.ok) {
      fail(this.friendlyError(answer.error));
      return false;
    }
    const who = (answer.user && answer.user.display_name) || user.display_name;
    const where = this.roomLabel(room);
    const said = {
      mute: () => `${who} is muted in ${where} until ${clockLabel(new Date(answer.until))}.`,
      unmute: () => `${who} may write in ${where} again.`,
      ban: () => `${who} was banned from ${where}.`,
      unban: () => `${who} may join ${where} again.`,
    }[action]();
    if (this.userMenu === menu) this.closeUserMenu(true);
    this.toast(said, { testid: "moderation-done" });
    return true;
  }

  setUpBanDialog() {
    const dialog = this.el.banDialog;
    const reason = dialog.querySelector("[data-testid=ban-reason]");
    const error = dialog.querySelector("[data-testid=ban-error]");
    const send = dialog.querySelector("[data-testid=ban-send]");
    dialog.querySelector("[data-testid=ban-cancel]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      const target = this.banTarget;
      this.banTarget = null;
      if (target && target.refocus && target.refocus.isConnected) target.refocus.focus();
    });
    dialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const target = this.banTarget;
      if (!target) { dialog.close(); return; }
      const text = reason.value.trim();
      if (characterCount(text) > MAX_REASON_CHARACTERS) { error.textContent = `At most ${MAX_REASON_CHARACTERS} characters.`; return; }
      error.textContent = "";
      send.disabled = true;
      const done = await this.moderate("ban", target.room, target.user, text ? { reason: text } : {},
        (message) => { error.textContent = message; });
      send.disabled = false;
      if (done && dialog.open) dialog.close();
    });
  }

  openBan(room, user) {
    const dialog = this.el.banDialog;
    const menu = this.userMenu;
    this.banTarget = { room, user, refocus: menu ? menu.button : null };
    dialog.querySelector("#ban-title").textContent = `Ban ${user.display_name} from ${this.roomLabel(room)}?`;
    dialog.querySelector("[data-testid=ban-reason]").value = "";
    dialog.querySelector("[data-testid=ban-error]").textContent = "";
    dialog.showModal();
    dialog.querySelector("[data-testid=ban-reason]").focus();
  }

  // MARK: Reports

  setUpReportDialog() {
    const dialog = this.el.reportDialog;
    const reason = dialog.querySelector("[data-testid=report-reason]");
    const error = dialog.querySelector("[data-testid=report-error]");
    const send = dialog.querySelector("[data-testid=report-send]");
    dialog.querySelector("[data-testid=report-cancel]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      const target = this.reportTarget;
      this.reportTarget = null;
      if (!target) return;
      const again = target.button && target.button.isConnected ? target.button
        : this.messageItem(target.id) && this.messageItem(target.id).querySelector("[data-action=report]");
      (again || this.el.messages).focus();
    });
    dialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const target = this.reportTarget;
      if (!target) { dialog.close(); return; }
      const text = reason.value.trim();
      if (!text) { error.textContent = "Say what is wrong with it: the reason is required."; reason.focus(); return; }
      if (characterCount(text) > MAX_REASON_CHARACTERS) { error.textContent = `At most ${MAX_REASON_CHARACTERS} characters.`; return; }
      error.textContent = "";
      send.disabled = true;
      try {
        const answer = await this.socket.request("report_message", { room: target.room, id: target.id, reason: text });
        if (answer.ok) {
          if (dialog.open) dialog.close();
          this.toast(answer.duplicate ? "You had already reported this message: the moderators have it."
            : "Reported to the moderators. Thank you.", { testid: "report-done" });
        } else if (answer.error && answer.error.code === "rate_limited") {
          error.textContent = "Too many reports in a short time: wait a minute and try again.";
        } else {
          error.textContent = this.friendlyError(answer.error);
        }
      } catch (failure) {
        error.textContent = "Not sent: the connection dropped. Try again when connected.";
      } finally {
        send.disabled = false;
      }
    });
  }

  openReport(id, button) {
    const message = this.messages.get(id);
    if (!message) return;
    const dialog = this.el.reportDialog;
    this.reportTarget = { room: message.room, id, button };
    const quote = dialog.querySelector("[data-testid=report-quote]");
    const who = this.doc.createElement("span");
    who.className = "dialog-quote-author";
    who.append(message.user ? this.nameElement(message.user) : "Someone", ":");
    const text = this.doc.createElement("span");
    text.className = "dialog-quote-text";
    text.textContent = message.message;
    quote.replaceChildren(who, " ", text);
    dialog.querySelector("[data-testid=report-reason]").value = "";
    dialog.querySelector("[data-testid=report-error]").textContent = "";
    dialog.showModal();
    dialog.querySelector("[data-testid=report-reason]").focus();
  }

  // message_reported (moderators online): a notice with the room, the author, an excerpt and a
  // way to the message. It stays until dismissed.
  onMessageReported(data) {
    const report = data && data.report;
    if (!report) return;
    this.addReport(report);
    const message = report.message || {};
    const room = report.room || message.room;
    const id = report.message_id || message.id;
    const text = this.doc.createElement("p");
    text.className = "toast-text";
    const author = message.user ? this.nameElement(message.user) : "someone";
    const reporter = report.reporter ? this.nameElement(report.reporter) : "Someone";
    text.append(reporter, ` reported a message by `, author, ` in ${this.roomLabel(room)}: `);
    const excerpt = this.doc.createElement("q");
    excerpt.className = "toast-excerpt";
    excerpt.textContent = this.excerpt(message.deleted ? "message deleted" : String(message.message || ""), 0, 100);
    const why = this.doc.createElement("span");
    why.className = "toast-reason";
    why.textContent = ` Reason: ${report.reason}`;
    text.append(excerpt, why);
    const show = this.doc.createElement("button");
    show.type = "button";
    show.className = "message-action toast-action";
    show.dataset.testid = "report-jump";
    show.textContent = "Show message";
    this.toast(text, { testid: "report-notice", sticky: true, action: show, data: { room, messageId: String(id), reportId: String(report.id) } });
    show.addEventListener("click", () => {
      this.toggleDrawer(false);
      this.jumpTo(room, id);
    });
  }

  // MARK: Reports (moderators and admins)

  // The Reports button is for moderators and admins (GET /api/me's role); asked on every connect,
  // so its list is fetched again after a drop (reports filed or resolved meanwhile).
  showReportsAccess() {
    const moderator = this.role === "moderator" || this.role === "admin";
    this.el.reportsToggle.hidden = !moderator;
    if (!moderator) {
      this.closePanel("reports");
      this.reports.clear();
      this.renderReports();
      return;
    }
    this.loadReports();
  }

  // get_reports: open ones (resolved ones too with "Show resolved"), newest first.
  async loadReports() {
    const asked = ++this.reportsAsked;
    const includeResolved = this.el.reportsResolved.checked;
    const status = this.el.reportsStatus;
    if (!this.el.reportsPanel.hidden && !this.reportsLoaded) status.textContent = "Loading…";
    let answer;
    try {
      answer = await this.socket.request("get_reports", includeResolved ? { include_resolved: true } : {});
    } catch (error) {
      if (asked === this.reportsAsked) status.textContent = "Not connected — the list comes back when connected.";
      return;
    }
    if (asked !== this.reportsAsked) return;  // a newer request took over
    if (!answer.ok) {
      const error = answer.error || {};
      if (error.code === "forbidden") {
        // No longer a moderator: the button goes.
        this.role = "member";
        this.showReportsAccess();
        return;
      }
      status.textContent = error.code === "invalid_request" && /unknown event/.test(error.message || "")
        ? "Reports are not available on this server yet." : this.friendlyError(error);
      return;
    }
    this.reportsLoaded = true;
    this.reports.clear();
    for (const report of answer.reports || []) this.reports.set(report.id, report);
    this.renderReports();
  }

  // message_reported: a row (and the count) at once, besides the notice.
  addReport(report) {
    if (!report || typeof report.id !== "number" || report.resolved_at) return;
    const message = report.message || null;
    const entry = { ...report, author: report.author || (message && message.user) || null };
    if (!entry.room && message) entry.room = message.room;
    if (entry.message_id === undefined && message) entry.message_id = message.id;
    this.reports.set(entry.id, entry);
    this.renderReports();
  }

  // report_resolved: another moderator (or another of one's devices) dealt with it.
  onReportResolved(data) {
    if (!data) return;
    this.dropReportNotice(data.id);
    if (!this.reports.has(data.id)) return;
    if (this.el.reportsResolved.checked) {
      this.loadReports();  // who resolved it, from the server
      return;
    }
    this.reports.delete(data.id);
    this.renderReports();
  }

  // An edit or a deletion of a reported message: its rows say the message as it is now.
  updateReportedMessage(room, id, change) {
    let changed = false;
    for (const report of this.reports.values()) {
      if (report.room !== room || report.message_id !== id || !report.message) continue;
      report.message = { ...report.message, ...change, user: report.message.user };
      const row = this.reportRow(report.id);
      if (row) row.querySelector(".report-excerpt").textContent = this.reportExcerpt(report);
      changed = true;
    }
    return changed;
  }

  // A resolved report's notice has nothing left to say.
  dropReportNotice(id) {
    for (const toast of this.el.toasts.querySelectorAll("[data-testid=report-notice]")) {
      if (toast.dataset.reportId !== String(id)) continue;
      if (toast.contains(this.doc.activeElement)) this.el.messages.focus();
      toast.remove();
    }
  }

  openReportCount() {
    let count = 0;
    for (const report of this.reports.values()) if (!report.resolved_at) count += 1;
    return count;
  }

  reportRow(id) {
    return [...this.el.reportsList.children].find((row) => row.dataset.reportId === String(id)) || null;
  }

  // The list, newest first, from this.reports: rows kept (and where the focus is), new ones added,
  // resolved ones gone; then the count on the button and the status line.
  renderReports() {
    const list = this.el.reportsList;
    const showResolved = this.el.reportsResolved.checked;
    const shown = [...this.reports.values()].filter((report) => showResolved || !report.resolved_at)
      .sort((a, b) => b.id - a.id);
    const keep = new Set(shown.map((report) => String(report.id)));
    let refocus = null;
    for (const row of [...list.children]) {
      const gone = !keep.has(row.dataset.reportId)
        || (row.dataset.resolved === "true") !== Boolean(this.reports.get(Number(row.dataset.reportId)).resolved_at);
      if (!gone) continue;
      if (row.contains(this.doc.activeElement)) refocus = row;
      row.remove();
    }
    shown.forEach((report, index) => {
      let row = this.reportRow(report.id);
      if (!row) row = this.reportEntry(report);
      if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
    });
    if (refocus) {
      // The focus was in a row that went: the next row's first button, else the panel's Close.
      const next = list.querySelector(".report-entry button:not([disabled])");
      (next || this.el.reportsPanel.querySelector("[data-testid=reports-close]")).focus();
    }
    const open = this.openReportCount();
    const total = this.el.reportsTotal;
    total.hidden = open === 0;
    total.textContent = open ? String(open) : "";
    this.el.reportsToggle.setAttribute("aria-label", open
      ? `Reports, ${open} open` : "Reports, none open");
    if (this.reportsLoaded || shown.length) {
      this.el.reportsStatus.textContent = shown.length ? ""
        : showResolved ? "No reports yet." : "No open reports. Nothing to deal with.";
    }
  }

  reportExcerpt(report) {
    const message = report.message;
    if (!message) return "(message gone)";
    if (message.deleted) return "(deleted)";
    return this.excerpt(String(message.message || ""), 0, EXCERPT_CHARACTERS);
  }

  // One report: where, whose message, when; the message as it is now; who reported it and why;
  // Show message and Resolve (or who resolved it).
  reportEntry(report) {
    const item = this.doc.createElement("li");
    item.className = "report-entry";
    item.dataset.testid = "report-entry";
    item.dataset.reportId = String(report.id);
    item.dataset.reportRoom = report.room;  // not data-room: that names the room buttons
    item.dataset.messageId = String(report.message_id);
    item.dataset.resolved = String(Boolean(report.resolved_at));
    const authorName = report.author ? report.author.display_name : "someone";
    const where = this.doc.createElement("p");
    where.className = "mention-where report-where";
    where.append(this.roomLabel(report.room), " · ", report.author ? this.nameElement(report.author) : "Someone",
      " · ", this.dateTimeElement(report.created_at));
    const text = this.doc.createElement("p");
    text.className = "mention-text report-excerpt";
    text.dataset.testid = "report-excerpt";
    text.textContent = this.reportExcerpt(report);
    const why = this.doc.createElement("p");
    why.className = "report-reason";
    why.dataset.testid = "report-reason-text";
    const reason = this.doc.createElement("span");
    reason.textContent = report.reason;
    why.append("Reported by ", report.reporter ? this.nameElement(report.reporter) : "someone", ": ", reason);
    item.append(where, text, why);
    if (report.resolved_at) {
      const done = this.doc.createElement("p");
      done.className = "panel-hint report-resolved-by";
      done.append(`Resolved${report.resolved_by ? ` by ${report.resolved_by}` : ""}, `, this.dateTimeElement(report.resolved_at));
      item.append(done);
    }
    const buttons = this.doc.createElement("div");
    buttons.className = "report-buttons";
    const show = this.doc.createElement("button");
    show.type = "button";
    show.className = "message-action";
    show.dataset.testid = "report-show";
    show.textContent = "Show message";
    show.setAttribute("aria-label", `Show message by ${authorName} in ${this.roomLabel(report.room)}`);
    show.disabled = !report.message;
    show.addEventListener("click", () => {
      this.toggleDrawer(false);
      this.jumpTo(report.room, report.message_id);
    });
    buttons.append(show);
    const error = this.doc.createElement("p");
    error.className = "edit-error report-row-error";
    error.dataset.testid = "report-resolve-error";
    error.setAttribute("role", "alert");
    if (!report.resolved_at) {
      const resolve = this.doc.createElement("button");
      resolve.type = "button";
      resolve.className = "message-action";
      resolve.dataset.testid = "report-resolve";
      resolve.textContent = "Resolve";
      resolve.setAttribute("aria-label", `Resolve the report of ${report.reporter ? report.reporter.display_name : "someone"} `
        + `about ${authorName}'s message`);
      resolve.addEventListener("click", () => this.resolveReport(report.id, resolve, error));
      buttons.append(resolve);
    }
    item.append(buttons, error);
    return item;
  }

  // resolve_report: the row goes (with "Show resolved", it stays, marked resolved); a refusal is said in the row.
  // (The button is aria-disabled while asked, not disabled: that would drop the keyboard's focus.)
  async resolveReport(id, button, error) {
    if (button.getAttribute("aria-disabled") === "true") return;
    error.textContent = "";
    button.setAttribute("aria-disabled", "true");
    try {
      const answer = await this.socket.request("resolve_report", { id });
      if (!answer.ok) {
        error.textContent = `Not resolved: ${this.friendlyError(answer.error || {})}`;
        return;
      }
      this.dropReportNotice(id);
      if (this.el.reportsResolved.checked && answer.report) this.reports.set(id, answer.report);
      else this.reports.delete(id);
      this.renderReports();
      const left = this.openReportCount();
      this.el.reportsStatus.textContent = `Report resolved. ${left ? `${left} still open.` : "No open reports left."}`;
    } catch (failure) {
      error.textContent = "Not resolved: the connection dropped. Try again when connected.";
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  // MARK: Notices (toasts)

  // A short notice over the conversation: confirmations go by themselves, a report stays.
  toast(content, { testid = "toast", sticky = false, action = null, data = {} } = {}) {
    const toast = this.doc.createElement("div");
    toast.className = "toast";
    toast.dataset.testid = testid;
    Object.assign(toast.dataset, data);
    const body = typeof content === "string" ? Object.assign(this.doc.createElement("p"), { className: "toast-text", textContent: content }) : content;
    const buttons = this.doc.createElement("div");
    buttons.className = "toast-buttons";
    if (action) buttons.append(action);
    const dismiss = this.doc.createElement("button");
    dismiss.type = "button";
    dismiss.className = "message-action toast-action";
    dismiss.dataset.testid = "toast-dismiss";
    dismiss.textContent = "Dismiss";
    dismiss.setAttribute("aria-label", "Dismiss this notice");
    buttons.append(dismiss);
    toast.append(body, buttons);
    const remove = () => {
      const focused = toast.contains(this.doc.activeElement);
      toast.remove();
      if (focused) this.el.messages.focus();
    };
    dismiss.addEventListener("click", remove);
    if (action) action.addEventListener("click", remove);
    // At most five at once: the oldest go.
    while (this.el.toasts.childElementCount >= 5) this.el.toasts.firstElementChild.remove();
    this.el.toasts.append(toast);
    if (!sticky) setTimeout(() => { if (!toast.contains(this.doc.activeElement)) toast.remove(); }, TOAST_MS);
    return toast;
  }

  // MARK: Search

  // The search panel opened: "Only #room" names the room open now (none: off), the box has focus.
  searchOpened() {
    const here = this.currentRoom;
    const scope = this.el.searchThisRoom;
    scope.disabled = !here;
    scope.parentElement.querySelector("span").textContent = here ? `Only ${this.roomLabel(here)}` : "This room only";
    if (!here) scope.checked = false;
    this.el.searchInput.focus();
    this.el.searchInput.select();
  }

  // search {query, room?, before?}: newest first; "More results" while next_before is not null.
  async runSearch(more) {
    const status = this.el.searchStatus;
    const list = this.el.searchResults;
    let ask;
    if (more && this.search && this.search.before !== null) {
      ask = { ...this.search };
    } else {
      const query = this.el.searchInput.value.trim();
      if (!query || !searchWords(query).length) {
        status.textContent = "Type a word to search for.";
        list.replaceChildren();
        this.el.searchMore.hidden = true;
        this.el.searchInput.focus();
        return;
      }
      const room = this.el.searchThisRoom.checked && this.currentRoom ? this.currentRoom : null;
      ask = { query, room, before: null };
      list.replaceChildren();
    }
    const asked = ++this.searchAsked;
    this.search = ask;
    const request = { query: ask.query, limit: SEARCH_PAGE };
    if (ask.room) request.room = ask.room;
    if (ask.before !== null) request.before = ask.before;
    status.textContent = "Searching…";
    this.el.searchMore.hidden = true;
    let answer;
    try {
      answer = await this.socket.request("search", request);
    } catch (error) {
      if (asked === this.searchAsked) status.textContent = "Not connected — try again when connected.";
      return;
    }
    if (asked !== this.searchAsked) return;  // a newer search took over
    if (!answer.ok) {
      const error = answer.error || {};
      status.textContent = error.code === "invalid_request" && /unknown event/.test(error.message || "")
        ? "Search is not available on this server yet."
        : error.code === "rate_limited" ? "Too many searches at once: wait a moment and try again." : this.friendlyError(error);
      status.dataset.code = error.code || "";
      return;
    }
    status.dataset.code = "";
    const terms = searchWords(ask.query);
    for (const result of answer.results || []) {
      const message = { ...result.message, room: result.room || (result.message && result.message.room) };
      list.append(this.searchEntry(message, terms));
    }
    this.search.before = answer.next_before === undefined ? null : answer.next_before;
    const count = list.childElementCount;
    const where = ask.room ? ` in ${this.roomLabel(ask.room)}` : "";
    status.textContent = count ? `${count}${this.search.before !== null ? "+" : ""} ${count === 1 ? "message" : "messages"} found${where}.`
      : `No messages found${where}.`;
    this.el.searchMore.hidden = this.search.before === null;
  }

  searchEntry(message, terms) {
    const item = this.doc.createElement("li");
    const button = this.doc.createElement("button");
    button.type = "button";
    button.className = "mention-entry search-entry";
    button.dataset.testid = "search-result";
    button.dataset.resultRoom = message.room;
    button.dataset.messageId = String(message.id);
    const where = this.doc.createElement("span");
    where.className = "mention-where";
    where.append(this.roomLabel(message.room), " · ", message.user ? this.nameElement(message.user) : "Someone",
      " · ", this.dateTimeElement(message.created_at));
    const text = this.doc.createElement("span");
    text.className = "mention-text search-text";
    text.append(...this.highlighted(String(message.message || ""), terms));
    button.append(where, text);
    button.addEventListener("click", () => {
      this.togglePanel("search", false);
      this.jumpTo(message.room, message.id);
    });
    item.append(button);
    return item;
  }

  // "22 Nov, 14:05" (the time alone today).
  dateTimeElement(iso) {
    const time = this.timeElement(iso);
    time.textContent = clockLabel(new Date(iso));
    return time;
  }

  // Whether a word of a message matches the query's terms (folded alike; the last term as a prefix).
  wordMatches(word, terms) {
    const parts = searchWords(word);
    return parts.some((part) => terms.some((term, index) => part === term || (index === terms.length - 1 && part.startsWith(term))));
  }

  // The excerpt of a result as nodes: text, and the matched words in <mark> (never as HTML).
  highlighted(text, terms) {
    const words = [...text.matchAll(/[\p{L}\p{M}\p{N}]+/gu)];
    const hits = words.filter((match) => this.wordMatches(match[0], terms));
    const first = hits.length ? hits[0].index : 0;
    const start = text.length > EXCERPT_CHARACTERS ? Math.max(0, Math.min(first - 60, text.length - EXCERPT_CHARACTERS)) : 0;
    const end = Math.min(text.length, start + EXCERPT_CHARACTERS);
    const nodes = [];
    if (start > 0) nodes.push("…");
    let at = start;
    for (const hit of hits) {
      const from = hit.index;
      const to = hit.index + hit[0].length;
      if (to <= start || from >= end) continue;
      if (from > at) nodes.push(text.slice(at, from));
      const mark = this.doc.createElement("mark");
      mark.textContent = text.slice(Math.max(from, start), Math.min(to, end));
      nodes.push(mark);
      at = Math.min(to, end);
    }
    if (at < end) nodes.push(text.slice(at, end));
    if (end < text.length) nodes.push("…");
    return nodes;
  }

  // A stretch of a message's text ("…" where it was cut).
  excerpt(text, from, length) {
    if (text.length <= length) return text;
    return (from > 0 ? "…" : "") + text.slice(from, from + length) + "…";
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
      forbidden: "You may not do that here.",
      storage_full: "Not saved: the server's disk is full. Your text is still here; try again later.",
    };
    // muted and banned: the server's words ("you are muted in 'general' until 2026-…Z") said as the
    // page says them elsewhere, the time on the reader's clock. invalid_request: the server's words.
    if (error.code === "muted" || error.code === "banned") {
      const message = error.message || "";
      const room = /'([a-z0-9-]+)'/.exec(message);
      const where = room ? this.roomLabel(room[1]) : "this room";
      if (error.code === "banned") return `You are banned from ${where}.`;
      const until = /(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(message);
      return `You are muted in ${where}${until ? ` until ${clockLabel(new Date(until[1]))}` : ""}.`;
    }
    if (error.code === "forbidden" && error.message) return error.message;
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
