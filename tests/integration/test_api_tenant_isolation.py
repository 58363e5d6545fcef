#!/usr/bin/env python3
"""Tenant isolation of the REST API (every route of /api/v1/openapi.json under
/api/v1/tenants/{tenant}/, so a new route is covered without touching this test): two
tenants, "it" and "beta", each with agents, a queue, a flow number, a customer, finished
(recorded) calls and one live call. For every route, filled with the real ids of a tenant:
the other tenant's admin, supervisor and agent get 404 (never 200, never the tenant's data,
and nothing changes: flows, agent states and live calls stay as they were); the own tenant's
path with the other tenant's ids is 404 too; the operator gets an answer on both; no token is
401. The agent token reads and drives only its own agent and gets 403 on supervisor routes,
the supervisor 403 on tenant_admin routes. /api/v1/tenants lists only what the credential
may see. Each refused cross-tenant attempt is an `api_tenant_refused` security event."""

import json
import re
import urllib.parse

from api import Api, new_token, token_entry
from harness import ANSWERS, Number, Server, check, step, test_main, wait_until
from peers import SippRun, run_sipp
from rtp import RtpPeer
from wsclient import WsClient, WsRefused

TOKENS = {k: new_token() for k in ("op", "it_admin", "beta_admin", "it_sup", "beta_sup",
                                   "alice", "carol")}
API = {"tokens": [
    token_entry("operator", TOKENS["op"], "operator"),
    token_entry("it-admin", TOKENS["it_admin"], "tenant_admin", tenant="it"),
    token_entry("beta-admin", TOKENS["beta_admin"], "tenant_admin", tenant="beta"),
    token_entry("it-supervisor", TOKENS["it_sup"], "supervisor", tenant="it"),
    token_entry("beta-supervisor", TOKENS["beta_sup"], "supervisor", tenant="beta"),
    token_entry("alice-agent", TOKENS["alice"], "agent", tenant="it", agent="alice"),
    token_entry("carol-agent", TOKENS["carol"], "agent", tenant="beta", agent="carol"),
]}
SUBJECT = {"op": "operator", "it_admin": "it-admin", "beta_admin": "beta-admin",
           "it_sup": "it-supervisor", "beta_sup": "beta-supervisor", "alice": "alice-agent",
           "carol": "carol-agent"}
TENANT_OF = {"it_admin": "it", "beta_admin": "beta", "it_sup": "it", "beta_sup": "beta",
             "alice": "it", "carol": "beta"}


def flow(name: str, text: str) -> dict:
    return {"name": name, "start": "hello",
            "nodes": {"hello": {"type": "say", "text": text, "next": "bye"},
                      "bye": {"type": "hangup"}}}


# What only each tenant's data contains: found in a refused answer, it leaked.
IT_FLOW = flow("main", "Welcome to the IT-only flow text.")
BETA_FLOW = flow("welcome", "Welcome to the BETA-only flow text.")
T = {
    "it": {"name": "Integration Test Tenant", "agents": ["alice", "bob"], "queue": "sales",
           "flow": "main", "customer": "+4930111", "customer_name": "Ida Itcustomer",
           "answer": ANSWERS.number, "recorded": "4010", "flow_number": "5100",
           "source": IT_FLOW, "markers": ["Integration Test Tenant", "Ida Itcustomer",
                                          "IT-only flow text", "it-sales-skill"]},
    "beta": {"name": "Beta Tenant Ltd", "agents": ["carol", "dave"], "queue": "support",
             "flow": "welcome", "customer": "+4940222", "customer_name": "Bea Betacustomer",
             "answer": "6000", "recorded": "6010", "flow_number": "6100",
             "source": BETA_FLOW, "markers": ["Beta Tenant Ltd", "Bea Betacustomer",
                                              "BETA-only flow text", "beta-support-skill",
                                              "beta.test"]},
}
OTHER = {"it": "beta", "beta": "it"}

IT_CC = {
    "queues": [{"name": "sales", "skills": {"it-sales-skill": 1}}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"],
                "skills": {"it-sales-skill": 5}},
               {"name": "bob", "extension": "1002", "queues": ["sales"]}],
    "flows": [{"name": "main", "definition": IT_FLOW}],
    "customers": [{"number": "+4930111", "name": "Ida Itcustomer"}],
    "lists": {"vip": ["+4930111"]},
}
BETA = {
    "id": "beta", "name": "Beta Tenant Ltd", "domains": ["beta.test"],
    "extensions": [{"user": "2001", "password": "beta-2001-secret"},
                   {"user": "2002", "password": "beta-2002-secret"}],
    "numbers": [{"number": "6000", "app": "answer"},
                {"number": "6010", "app": "answer", "record": True},
                {"number": "6100", "app": "flow", "flow": "welcome"}],
    "queues": [{"name": "support", "skills": {"beta-support-skill": 1}}],
    "agents": [{"name": "carol", "extension": "2001", "queues": ["support"],
                "skills": {"beta-support-skill": 5}},
               {"name": "dave", "extension": "2002", "queues": ["support"]}],
    "flows": [{"name": "welcome", "definition": BETA_FLOW}],
    "customers": [{"number": "+4940222", "name": "Bea Betacustomer"}],
    "lists": {"vip": ["+4940222"]},
}
NUMBERS = [ANSWERS, Number("4010", record=True), Number("5100", app="flow", flow="main")]
PREFIX = "/api/v1/tenants/{tenant}"


# ----------------------------------------------------------------------------- the routes


class Route:
    """One (method, path template) of the OpenAPI document."""

    def __init__(self, method: str, template: str, op: dict) -> None:
        self.method = method.upper()
        self.template = template
        self.summary = op.get("summary", "")
        m = re.match(r"Least role: ([a-z_]+)", op.get("description", ""))
        self.least = m.group(1) if m else "?"
        self.agents_own = "agents: their own" in op.get("description", "")
        self.captures = re.findall(r"\{([a-z_]+)\}", template)
        self.websocket = self.summary.startswith("WebSocket")

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def routes_of(doc: dict) -> list[Route]:
    out = []
    for template, ops in doc["paths"].items():
        if template.startswith(PREFIX + "/") or template == PREFIX:
            for method, op in ops.items():
                out.append(Route(method, template, op))
    return out


def fill(route: Route, tenant: str, ids: dict, id_tenant: str | None = None) -> str:
    """The route's path for `tenant`, its other captures filled with ids of `id_tenant`."""
    own = ids[id_tenant or tenant]
    path = route.template.replace("{tenant}", tenant)
    for name in route.captures:
        if name == "tenant":
            continue
        key = f"{route.method} {name}"
        value = own.get(key, own.get(name))
        if value is None:
            raise KeyError(name)
        path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe="+"))
    return path


def body_for(route: Route, tenant: str) -> object:
    """A valid-looking body for a POST/PUT/PATCH route."""
    if route.template.endswith("/state"):
        return {"action": "login"}
    if "/flows/" in route.template:
        return json.dumps(T[tenant]["source"]).encode()
    return {}


class Requests:
    def __init__(self, sb, api: Api) -> None:
        self.sb, self.api = sb, api

    def send(self, route: Route, path: str, token: str | None, body: object = None):
        """(status, body text, headers) of the route at `path`; a WebSocket route by an
        upgrade (101 when accepted; the connection is closed again)."""
        if route.websocket:
            try:
                ws = WsClient.connect(self.sb.host, self.sb.http_port, path, token=token)
            except WsRefused as e:
                return e.status, e.body.decode(errors="replace"), e.headers
            ws.close()
            return 101, "", ws.response_headers
        if route.method in ("POST", "PUT", "PATCH"):
            if isinstance(body, bytes):
                r = self.api.request(route.method, path, token, raw=body,
                                     headers={"Content-Type": "application/json"})
            else:
                r = self.api.request(route.method, path, token, body=body)
        else:
            r = self.api.request(route.method, path, token)
        return r.status, r.text, r.headers


def leaks(text: str, tenant: str, request_path: str) -> list[str]:
    """The other tenant's markers in an answer (those not sent in the request itself)."""
    return [m for m in T[tenant]["markers"] if m in text and m not in request_path]


# ----------------------------------------------------------------------------- the test


def snapshot(api: Api) -> dict:
    """What a refused request must not change: flow versions, agent states, live calls."""
    out = {}
    for tenant in T:
        flows = api.get(f"/api/v1/tenants/{tenant}/flows", TOKENS["op"]).json()["flows"]
        agents = api.get(f"/api/v1/tenants/{tenant}/agents", TOKENS["op"]).json()["agents"]
        calls = api.get(f"/api/v1/tenants/{tenant}/calls", TOKENS["op"]).json()["calls"]
        out[tenant] = {
            "flows": sorted((f["name"], f["version"]) for f in flows),
            "agents": sorted((a["name"], a["live"]["state"]) for a in agents),
            "calls": sorted(c["call"] for c in calls),
        }
    return out


def discover_ids(api: Api) -> dict:
    """Real ids of each tenant: agents, queue, flow, customer, a finished recorded call and
    its leg, the live call."""
    ids = {}
    for tenant, t in T.items():
        cdrs = api.get(f"/api/v1/tenants/{tenant}/cdrs", TOKENS["op"]).json()["cdrs"]
        recorded = [c for c in cdrs if c["number"] == t["recorded"]]
        check(len(recorded) == 1, f"{tenant}: the recorded call has a CDR", cdrs)
        call = recorded[0]["call"]
        leg = recorded[0]["legs"][0]["leg"]
        recs = api.get(f"/api/v1/tenants/{tenant}/recordings", TOKENS["op"]).json()
        for rec in recs.get("recordings", []):
            if rec["call"] == call:
                leg = rec["leg"]
        live = api.get(f"/api/v1/tenants/{tenant}/calls", TOKENS["op"]).json()["calls"]
        check(len(live) == 1, f"{tenant}: one live call", live)
        ids[tenant] = {"agent": t["agents"][0], "queue": t["queue"], "flow": t["flow"],
                       "number": t["customer"], "call": call, "leg": leg,
                       "DELETE call": live[0]["call"]}
    return ids


def wait_recordings(api: Api) -> None:
    """Both recorded calls in the recordings index (the operator's download of them must
    answer 200)."""
    wait_until(lambda: all(api.get(f"/api/v1/tenants/{t}/recordings", TOKENS["op"]).json().get(
        "recordings") for t in T), 5, "both recordings indexed")


def run(ctx) -> None:
    """Every tenant route: 404 across tenants, 401 without a token, roles per route."""
    with Server(ctx, numbers=NUMBERS, contact_center=IT_CC, extra_tenants=[BETA],
                api=API) as sb, RtpPeer() as it_media, RtpPeer() as beta_media:
        api = Api(sb)
        req = Requests(sb, api)
        live = {}
        try:
            with step("calls: a finished recorded call in each tenant, then one live call each"):
                for tenant, t in T.items():
                    r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=1,
                                 service=t["recorded"], duration_ms=500, timeout_s=20,
                                 label=f"{tenant}-recorded")
                    check(r.ok(calls=1), f"{tenant}: recorded call ({r.summary()})", r)
                for tenant, media in (("it", it_media), ("beta", beta_media)):
                    live[tenant] = SippRun(ctx, sb, "call_with_peer_media_until_server_bye.xml",
                                           calls=1, service=T[tenant]["answer"], timeout_s=60,
                                           label=f"{tenant}-live",
                                           extra=["-key", "rtp_port", str(media.port)]).start()
                wait_until(lambda: all(
                    api.get(f"/api/v1/tenants/{t}/calls", TOKENS["op"]).json()["calls"]
                    for t in T), 10, "a live call in each tenant")
                wait_until(lambda: all(
                    api.get(f"/api/v1/tenants/{t}/cdrs", TOKENS["op"]).json()["cdrs"]
                    for t in T), 5, "the recorded calls' CDRs")
                wait_recordings(api)
                ids = discover_ids(api)
                print(f"info - ids: {ids}", flush=True)

            doc = api.get("/api/v1/openapi.json").json()
            routes = routes_of(doc)
            check(len(routes) >= 20, f"{len(routes)} tenant routes in the OpenAPI document",
                  [str(r) for r in routes])
            unknown = sorted({c for r in routes for c in r.captures if c != "tenant"} -
                             set(ids["it"]) - {k.split()[1] for k in ids["it"] if " " in k})
            check(not unknown, "the test knows a real id for every path capture", unknown)
            before = snapshot(api)

            with step("no token: 401 with WWW-Authenticate on every route of both tenants"):
                bad = []
                for route in routes:
                    for tenant in T:
                        path = fill(route, tenant, ids)
                        status, text, headers = req.send(route, path, None,
                                                         body_for(route, tenant))
                        if status != 401 or "www-authenticate" not in headers:
                            bad.append((str(route), path, status, text[:120]))
                check(not bad, f"{2 * len(routes)} requests without a token: 401", bad)

            refused: list[tuple[tuple[str, str], Route]] = []  # (subject, path) to be logged
            with step("another tenant's credentials: 404 on every route, nothing leaks"):
                for who in ("beta_admin", "it_admin", "beta_sup", "it_sup", "carol", "alice"):
                    target = OTHER[TENANT_OF[who]]
                    bad = []
                    for route in routes:
                        path = fill(route, target, ids)
                        status, text, _ = req.send(route, path, TOKENS[who],
                                                   body_for(route, target))
                        code = _code(text)
                        leaked = leaks(text, target, path)
                        if status != 404 or code != "not_found" or leaked:
                            bad.append((str(route), path, status, text[:160], leaked))
                        refused.append(((SUBJECT[who], path.split("?")[0]), route))
                    check(not bad, f"{who} on {target}'s {len(routes)} routes: all 404 "
                                   f"not_found, none of {target}'s data", bad)

            with step("own tenant's path, the other tenant's ids: 404, nothing leaks"):
                # Reads, deletes and agent control name an existing resource by id: the other
                # tenant's id is "not found". (Publishing or validating a flow under a name
                # that another tenant also uses is work in the own tenant's namespace.)
                for who in ("beta_admin", "it_admin"):
                    own = TENANT_OF[who]
                    bad = []
                    for route in routes:
                        if len(route.captures) < 2 or route.websocket or not (
                                route.method in ("GET", "DELETE") or
                                route.template.endswith("/state")):
                            continue
                        path = fill(route, own, ids, id_tenant=OTHER[own])
                        status, text, _ = req.send(route, path, TOKENS[who],
                                                   body_for(route, own))
                        leaked = leaks(text, OTHER[own], path)
                        if status != 404 or leaked:
                            bad.append((str(route), path, status, text[:160], leaked))
                    check(not bad, f"{who}: {own}'s routes with {OTHER[own]}'s ids answer "
                                   f"404 and show nothing of {OTHER[own]}", bad)

            with step("the refused requests changed nothing"):
                after = snapshot(api)
                for tenant in T:
                    check(after[tenant] == before[tenant],
                          f"{tenant}: flows, agent states and live calls as before "
                          f"({after[tenant]})", (before[tenant], after[tenant]))

            with step("/api/v1/tenants and /me show only the credential's tenant"):
                for who, token in TOKENS.items():
                    r = api.get("/api/v1/tenants", token)
                    got = sorted(t["id"] for t in r.json()["tenants"]) if r.status == 200 else r
                    want = ["beta", "it"] if who == "op" else [TENANT_OF[who]]
                    check(got == want, f"{who}: /api/v1/tenants lists {want} ({got})", r)
                    me = api.get("/api/v1/me", token).json()
                    check(me.get("subject") == SUBJECT[who] and
                          me.get("tenant", "") == TENANT_OF.get(who, ""),
                          f"{who}: /me is {SUBJECT[who]} of {TENANT_OF.get(who, 'all tenants')}",
                          me)
                r = api.get("/api/v1/tenants")
                check(r.status == 401, f"/api/v1/tenants without a token: 401 ({r.status})")

            with step("the agent token: its own agent only, 403 on supervisor routes"):
                a = TOKENS["alice"]
                base = "/api/v1/tenants/it"
                r = api.get(f"{base}/agents/alice", a)
                check(r.status == 200 and r.json().get("name") == "alice",
                      f"alice reads her own agent ({r.status})", r)
                for action in ("login", "ready"):
                    r = api.post(f"{base}/agents/alice/state", a, {"action": action})
                    check(r.status == 200 and r.json()["live"]["state"] in ("ready", "not_ready"),
                          f"alice posts her own state {action} ({r.status})", r)
                check(r.json()["live"]["state"] == "ready", "alice is ready", r)
                r = api.get(f"{base}/agents/bob", a)
                check(r.status == 404 and "bob" not in r.text.replace("/agents/bob", ""),
                      f"alice reading bob: 404 ({r.status})", r)
                r = api.post(f"{base}/agents/bob/state", a, {"action": "login"})
                check(r.status == 404, f"alice driving bob: 404 ({r.status})", r)
                bob = api.get(f"{base}/agents/bob", TOKENS["op"]).json()["live"]["state"]
                check(bob == dict(before["it"]["agents"])["bob"],
                      f"bob's state unchanged ({bob})")
                r = api.get(f"{base}/cdrs", a)
                check(r.status == 403 and _code(r.text) == "forbidden",
                      f"alice on /cdrs: 403 forbidden ({r.status})", r)
                bad = []
                for route in routes:
                    path = fill(route, "it", ids)
                    if route.least == "agent" or route.agents_own:
                        continue
                    status, text, _ = req.send(route, path, a, body_for(route, "it"))
                    if status != 403:
                        bad.append((str(route), path, status, text[:120]))
                check(not bad, "alice gets 403 on every route above the agent role", bad)

            with step("the supervisor: 403 on tenant_admin routes, answered on the others"):
                bad = []
                for route in routes:
                    path = fill(route, "it", ids)
                    if route.method == "DELETE":
                        continue  # would hang up the live call the operator's pass needs
                    status, text, _ = req.send(route, path, TOKENS["it_sup"],
                                               body_for(route, "it"))
                    want_403 = route.least in ("tenant_admin", "operator")
                    # (404 for a missing resource is the operator's pass to judge)
                    if (status == 403) != want_403 or status == 401 or status >= 500:
                        bad.append((str(route), path, status, text[:120]))
                check(not bad, "it's supervisor: 403 exactly on the tenant_admin routes", bad)

            with step("the operator: every route of both tenants is answered"):
                bad = []
                for tenant in T:
                    for route in sorted(routes, key=lambda x: x.method == "DELETE"):
                        path = fill(route, tenant, ids)
                        status, text, _ = req.send(route, path, TOKENS["op"],
                                                   body_for(route, tenant))
                        if status in (401, 403, 404) or status >= 500:
                            bad.append((str(route), path, status, text[:160]))
                check(not bad, f"the operator: {2 * len(routes)} requests answered (2xx/101)",
                      bad)
                for tenant in T:
                    r = live[tenant].wait()
                    check(r.ok(calls=1), f"{tenant}: the operator's DELETE hung up the live "
                                         f"call: BYE ({r.summary()})", r)

            with step("each refused cross-tenant request is an api_tenant_refused event"):
                tokens = set(TOKENS.values())
                check(not any(t in sb.stderr() or t in sb.stdout() for t in tokens),
                      "no token appears in the logs")
                events = sb.security_events("api_tenant_refused")
                check(all(e.get("source") == "127.0.0.1" for e in events),
                      f"each of the {len(events)} events names the source address", events[:3])
                logged = {(e.get("subject"), e.get("path")) for e in events}
                attempted = {x for x, _ in refused}
                check(logged <= attempted, "no event for a request that was not refused",
                      sorted(logged - attempted)[:10])
                for kind, ws in (("HTTP", False), ("WebSocket upgrade", True)):
                    mine = [x for x, route in refused if route.websocket == ws]
                    missing = [x for x in mine if x not in logged]
                    check(not missing, f"{len(mine)} refused {kind} requests logged with "
                                       f"subject and path", missing)
        finally:
            for p in live.values():
                p.kill()
        sb.assert_alive()


def _code(text: str) -> str | None:
    try:
        return json.loads(text)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    test_main(run)
