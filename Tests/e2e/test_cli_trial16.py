"""What a product trial of issue 16 found at the front desk's terminal, kept: `fitchat mod` says the
names as stored (the desk typed 'SPAMMER', the store and `mod list` say 'spammer'), and resolving
a report a second time says it was already resolved, by whom and when, instead of "resolved" again."""
from chat_client import ChatClient
from fitchat_e2e import ok


def test_mod_says_the_stored_names(daemon):
    daemon.token("spammer")
    muted = daemon.cli("mod", "mute", "general", "SPAMMER", "--minutes", "10").stdout
    assert muted.startswith("'spammer' is muted in 'general' until "), muted
    assert daemon.cli("mod", "unmute", "general", "Spammer").stdout.strip() == "'spammer' may write in 'general' again"
    assert daemon.cli("mod", "unmute", "general", "Spammer").stdout.strip() == "'spammer' was not muted in 'general'"
    banned = daemon.cli("mod", "ban", "general", "SPAMMER", "--reason", "spam").stdout
    assert banned.startswith("'spammer' is banned from 'general'"), banned
    assert daemon.cli("mod", "unban", "general", "SpAmMeR").stdout.strip() == "'spammer' may join 'general' again"
    assert daemon.cli("mod", "unban", "general", "SpAmMeR").stdout.strip() == "'spammer' was not banned from 'general'"


def test_a_second_resolve_says_it_was_already_resolved(daemon):
    spammer = ChatClient(daemon.url, token=daemon.token("spammer")).connect()
    ann = ChatClient(daemon.url, token=daemon.token("ann")).connect()
    try:
        for client in (spammer, ann):
            ok(client.call("join_room", {"room": "general"}))
        spam = ok(spammer.call("send_message", {"room": "general", "message": "cheap pills here"}))["message"]
        filed = ok(ann.call("report_message", {"room": "general", "id": spam["id"], "reason": "spam"}))["report"]
        first = daemon.cli("reports", "resolve", str(filed["id"])).stdout.strip()
        assert first == f"report {filed['id']} resolved", first
        again = daemon.cli("reports", "resolve", str(filed["id"])).stdout.strip()
        assert again.startswith(f"report {filed['id']} was already resolved by cli:"), again
        assert " at 20" in again and again.endswith("Z"), again
    finally:
        spammer.close()
        ann.close()
