"""HTTP calls to the daemon for the end-to-end tests (the admin API, /login, /api/me): JSON in and
out, redirects not followed. A module of its own, uniquely named: never import helpers from conftest."""
import json
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(daemon, method, path, body=None, token=None, headers=None, form=False):
    """(status, headers, parsed JSON or text); never follows redirects."""
    data = None
    all_headers = {"Accept": "application/json"}
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = "Bearer " + token
    all_headers.update(headers or {})
    req = urllib.request.Request(daemon.url + path, data=data, method=method, headers=all_headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as response:
            status, hdrs, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, hdrs, raw = error.code, error.headers, error.read()
    text = raw.decode(errors="replace")
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


def login(daemon, name, password):
    """A session token from POST /login (what the page's cookie holds)."""
    status, _, answer = request(daemon, "POST", "/login", {"username": name, "password": password})
    assert status == 200, answer
    return answer["token"]
