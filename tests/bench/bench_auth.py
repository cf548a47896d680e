"""What identity costs: one token's verification (RS256, ES256, and remembered), a warm
signed-in request through the Lambda adapter against the same request with the identity
given (the dependency overridden), and the first answer of a fresh process to a request
with a token against an anonymous one (PyJWT and `cryptography` are imported then)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys

from handler.app import create_app
from handler.composition import development_issuer
from handler.platform.auth.keys import KeyCache
from handler.platform.auth.verifier import TokenVerifier
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.bench.common import per_call, per_call_interleaved, ratio, record, show
from tests.support.auth import CLIENT_ID, ISSUER, Issuer
from tests.support.events import LambdaContext, http_event
from tests.support.processes import ROOT

NUMBER = 400
SETTINGS = Settings(environment="test", access_log="off", log_level="WARNING")


def verification() -> None:
    issuer = Issuer()
    loop = asyncio.new_event_loop()
    try:
        document = {"keys": [key.jwk for key in issuer.keys]}
        for key, name in ((0, "RS256"), (1, "ES256")):
            token = issuer.token("alice", key=key)
            fresh = TokenVerifier(
                issuer=ISSUER, keys=KeyCache(lambda: document), audiences=[CLIENT_ID], remember=0
            )

            def once(verifier: TokenVerifier = fresh, token: str = token) -> object:
                return loop.run_until_complete(verifier.verify(token))

            cost = per_call(once, number=NUMBER)
            show(f"verify one {name} token (signature checked)", cost)
            record("auth", f"verify {name}", cost)
        token = issuer.token("alice")
        kept = TokenVerifier(issuer=ISSUER, keys=KeyCache(lambda: document), audiences=[CLIENT_ID])
        cost = per_call(lambda: loop.run_until_complete(kept.verify(token)), number=NUMBER * 10)
        show("verify a token seen before (remembered)", cost)
        record("auth", "verify remembered", cost)
    finally:
        loop.close()
        issuer.close()


def warm_request() -> None:
    """GET /api/v1/users/1 with a token against the same request without one, both past
    the shared cache (a token skips it; `no-store` makes the anonymous one skip it too):
    the difference is what identity costs a warm request (the header, the remembered
    verification, the owner's view). A dependency override would be no baseline: FastAPI
    re-inspects an overridden dependency on every request."""
    token = development_issuer(SETTINGS).issue("alice")
    app = create_app(SETTINGS)
    fresh = {"cache-control": "no-store"}
    with_token = http_event(
        "http_api_v2",
        path="/api/v1/users/1",
        headers={**fresh, "authorization": f"Bearer {token}"},
    )
    anonymous = http_event("http_api_v2", path="/api/v1/users/1", headers=fresh)
    context = LambdaContext()
    adapter = LambdaHttpAdapter(app)
    try:
        assert adapter(with_token, context)["statusCode"] == 200
        times = per_call_interleaved(
            {
                "token": lambda: adapter(with_token, context),
                "anonymous": lambda: adapter(anonymous, context),
            },
            number=NUMBER,
        )
    finally:
        adapter.close()
    show("warm request with a bearer token", times["token"])
    show("warm request, anonymous", times["anonymous"])
    show("what identity adds to a warm request", times["token"] - times["anonymous"])
    ratio("with a token / anonymous", times["token"] / times["anonymous"])
    record("auth", "warm request with a token", times["token"])


FIRST_ANSWER = """
import json, sys, time
event = json.loads(sys.argv[1])
from tests.support.events import LambdaContext
t, cpu = time.perf_counter(), time.process_time()
from handler.lambda_http import handler
answer = handler(event, LambdaContext())
assert answer["statusCode"] == 200, answer
print("SECONDS", time.perf_counter() - t, time.process_time() - cpu, flush=True)
"""


def cold_start(runs: int = 7) -> None:
    token = development_issuer(SETTINGS).issue("alice")
    # Both skip the shared cache (a request with a token always does; `no-store` makes
    # the anonymous one do so too), so the difference is the token's alone: PyJWT's and
    # cryptography's imports, the key load and one signature check.
    events = {
        "anonymous": http_event(
            "http_api_v2", path="/api/v1/users/1", headers={"cache-control": "no-store"}
        ),
        "with a token": http_event(
            "http_api_v2",
            path="/api/v1/users/1",
            headers={"authorization": f"Bearer {token}", "cache-control": "no-store"},
        ),
    }
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
    }
    samples: dict[str, list[float]] = {name: [] for name in events}
    cpu: dict[str, list[float]] = {name: [] for name in events}
    for _ in range(runs):
        for name, event in events.items():  # interleaved, so load lands on both
            out = subprocess.run(
                [sys.executable, "-c", FIRST_ANSWER, json.dumps(event)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            seconds = next(line for line in out.splitlines() if line.startswith("SECONDS"))
            wall, used = seconds.split()[1:]
            samples[name].append(float(wall))
            cpu[name].append(float(used))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    cpus = {name: statistics.median(values) for name, values in cpu.items()}
    for name in events:
        show(
            f"cold start to first answer, {name}",
            medians[name],
            "ms",
            f"cpu {cpus[name] * 1e3:.0f} ms",
        )
    added = cpus["with a token"] - cpus["anonymous"]
    show("what the first token adds (CPU)", added, "ms")
    ratio("first answer with a token / anonymous (CPU)", cpus["with a token"] / cpus["anonymous"])
    record("auth", "cold start with a token", medians["with a token"])


def main() -> None:
    verification()
    warm_request()
    cold_start()


if __name__ == "__main__":
    main()
