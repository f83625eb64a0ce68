// A small Socket.IO v5 client (Engine.IO v4, WebSocket transport) written for this page:
// connect with the page's session cookie, events, acks with timeouts, and reconnection with
// exponential backoff and jitter. Namespace "/" only; no binary (the chat sends none).
"use strict";

class ChatSocket {
  constructor({ path = "/socket.io/", ackTimeout = 10000 } = {}) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    this.url = `${scheme}://${window.location.host}${path}?EIO=4&transport=websocket`;
    this.ackTimeout = ackTimeout;
    this.handlers = new Map();
    this.pendingAcks = new Map();
    this.nextAckId = 0;
    this.attempt = 0;
    this.state = "idle";
    this.closedByUs = false;
    this.ws = null;
    this.heartbeat = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(handler);
    return this;
  }

  fire(event, ...args) {
    for (const handler of this.handlers.get(event) || []) {
      try { handler(...args); } catch (error) { console.error(`handler for ${event} failed`, error); }
    }
  }

  setState(state, detail) {
    this.state = state;
    this.fire("state", state, detail);
  }

  connect() {
    // One transport at a time: a pending reconnect is cancelled and an open socket replaced
    // (two would deliver every event twice).
    clearTimeout(this.reconnectTimer);
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.close(1000);
    }
    this.closedByUs = false;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (event) => { if (typeof event.data === "string") this.onEnginePacket(event.data); };
    ws.onclose = () => { if (this.ws === ws) this.onTransportClosed(); };
    ws.onerror = () => {};
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    if (this.ws) this.ws.close(1000);
    this.setState("closed");
  }

  // Engine.IO: 0 open, 1 close, 2 ping, 3 pong, 4 message.
  onEnginePacket(data) {
    switch (data[0]) {
      case "0": {
        const open = JSON.parse(data.slice(1));
        this.pingWindow = open.pingInterval + open.pingTimeout;
        this.armHeartbeat();
        this.ws.send("40");
        break;
      }
      case "2":
        this.armHeartbeat();
        this.ws.send("3");
        break;
      case "1":
        this.ws.close();
        break;
      case "4":
        this.onSocketPacket(data.slice(1));
        break;
      default:
        break;
    }
  }

  // A server that stops pinging is gone even if the socket has not noticed yet.
  armHeartbeat() {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => { if (this.ws) this.ws.close(); }, this.pingWindow + 1000);
  }

  // Socket.IO: 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR.
  onSocketPacket(packet) {
    const type = packet[0];
    let rest = packet.slice(1);
    if (rest.startsWith("/")) return; // another namespace: not ours
    let id = "";
    while (rest.length && rest[0] >= "0" && rest[0] <= "9") { id += rest[0]; rest = rest.slice(1); }
    const payload = rest ? JSON.parse(rest) : undefined;
    switch (type) {
      case "0":
        this.attempt = 0;
        this.setState("connected");
        this.fire("connect");
        break;
      case "4":
        this.fire("connect_error", payload || {});
        this.closedByUs = (payload && payload.message) === "unauthorized";
        this.ws.close();
        break;
      case "1":
        this.ws.close();
        break;
      case "2":
        if (Array.isArray(payload) && payload.length) this.fire(payload[0], ...payload.slice(1));
        break;
      case "3": {
        const pending = this.pendingAcks.get(Number(id));
        if (pending) {
          this.pendingAcks.delete(Number(id));
          clearTimeout(pending.timer);
          pending.resolve(payload ? payload[0] : undefined);
        }
        break;
      }
      default:
        break;
    }
  }

  onTransportClosed() {
    clearTimeout(this.heartbeat);
    for (const [, pending] of this.pendingAcks) {
      clearTimeout(pending.timer);
      pending.reject(new Error("disconnected"));
    }
    this.pendingAcks.clear();
    this.fire("disconnect");
    if (this.closedByUs) {
      this.setState("closed");
      return;
    }
    // 0.5 s, 1 s, 2 s … up to 30 s, with jitter so a whole gym does not reconnect in step.
    const base = Math.min(30000, 500 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * base / 2;
    this.attempt += 1;
    this.setState("reconnecting", { delay });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  emit(event, data) {
    if (this.state !== "connected") return false;
    this.ws.send("42" + JSON.stringify([event, data]));
    return true;
  }

  // Emits with an ack; resolves with the server's answer, rejects on timeout or disconnect.
  request(event, data) {
    return new Promise((resolve, reject) => {
      if (this.state !== "connected") { reject(new Error("not connected")); return; }
      const id = this.nextAckId++;
      const timer = setTimeout(() => {
        this.pendingAcks.delete(id);
        reject(new Error("no answer from the server"));
      }, this.ackTimeout);
      this.pendingAcks.set(id, { resolve, reject, timer });
      this.ws.send("42" + id + JSON.stringify([event, data]));
    });
  }
}

window.ChatSocket = ChatSocket;
