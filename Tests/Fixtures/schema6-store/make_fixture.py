"""Builds Tests/Fixtures/schema6-store with main's fitchat (schema 6), through python-socketio."""
import os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, "/work/wt-search/Tests/e2e")
os.environ["FITCHAT_BIN_DIR"] = "/work/main/.build/debug"
from fitchat_e2e import Daemon, free_port, give_to_service_user, ok
from chat_client import ChatClient

data = tempfile.mkdtemp(prefix="fx6-")
give_to_service_user(data)
d = Daemon(data, free_port())
d.cli("user", "add", "coach", "--admin", "--display-name", "Coach Carla", "--password-stdin", input="correct horse battery\n")
tokens = {n: d.token(n) for n in ("ann", "bob", "carl")}
d.cli("room", "add", "staff", "--private", "--description", "Front desk only")
d.cli("room", "add-member", "staff", "ann")
d.start()
try:
    c = {n: ChatClient(d.url, token=t).connect() for n, t in tokens.items()}
    def send(who, room, text):
        return ok(c[who].call("send_message", {"room": room, "message": text}))["message"]
    for n in ("ann", "bob", "carl"):
        ok(c[n].call("join_room", {"room": "general"}))
    ok(c["ann"].call("join_room", {"room": "staff"}))
    send("ann", "general", "Übung macht den Meister: 5x5 squats")
    send("bob", "general", "Crème brûlée after leg day?")
    typo = send("carl", "general", "Leg dya PR")
    ok(c["carl"].call("edit_message", {"room": "general", "id": typo["id"], "message": "Leg day PR 100kg"}))
    gone = send("ann", "general", "secret zebra password, wrong room")
    ok(c["ann"].call("delete_message", {"room": "general", "id": gone["id"]}))
    send("ann", "staff", "Staff meeting about the squat rack")
    dm = ok(c["ann"].call("open_direct", {"user": "bob"}))
    room = dm["room"]["name"]
    send("ann", room, "Σοφία says see you at the squat rack")
    send("bob", room, "Ёлки, ΣΟΦΊΑ! 🏋️ Ok")
    for cl in c.values():
        cl.sio.disconnect()
finally:
    d.stop()
d.cli("room", "notice", "general", "Gym closed Monday for cleaning")
out = tempfile.mkdtemp(prefix="fx6-backup-")
shutil.rmtree(out)
d.cli("backup", out)
print(out)
print(d.cli("db", "status").stdout)
print(d.cli("export").stdout)
