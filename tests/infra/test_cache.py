"""Cache: ElastiCache Serverless Valkey, open only to the HTTP function, handed over as
`rediss://` (Settings refuses plain redis:// in production)."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import function, of_type, one, references


def _cache(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key, cache = one(of_type(resources, "AWS::ElastiCache::ServerlessCache"))
    return key, cache["Properties"]


def test_cache_is_serverless_valkey_in_both_private_subnets(resources: dict[str, Any]) -> None:
    _, cache = _cache(resources)
    assert cache["Engine"] == "valkey"
    assert len(cache["SubnetIds"]) == 2
    private = set(of_type(resources, "AWS::EC2::Subnet"))
    assert references(cache["SubnetIds"]) == private


def test_cache_security_group_admits_only_the_http_function(resources: dict[str, Any]) -> None:
    _, cache = _cache(resources)
    (cache_sg,) = references(cache["SecurityGroupIds"])
    _, http = function(resources, "http")
    (http_sg,) = references(http["VpcConfig"]["SecurityGroupIds"])
    ingress = [
        rule["Properties"]
        for rule in of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
        if references(rule["Properties"]["GroupId"]) == {cache_sg}
    ]
    assert len(ingress) == 1
    assert (ingress[0]["FromPort"], ingress[0]["ToPort"]) == (6379, 6380)
    assert references(ingress[0]["SourceSecurityGroupId"]) == {http_sg}
    assert "SecurityGroupIngress" not in resources[cache_sg]["Properties"]


def test_http_function_gets_a_tls_redis_url_from_the_cache_endpoint(
    resources: dict[str, Any],
) -> None:
    cache_id, _ = _cache(resources)
    _, http = function(resources, "http")
    url = http["Environment"]["Variables"]["REDIS_URL"]
    parts = url["Fn::Join"][1]
    assert parts[0] == "rediss://"
    assert {"Fn::GetAtt": [cache_id, "Endpoint.Address"]} in parts
    assert {"Fn::GetAtt": [cache_id, "Endpoint.Port"]} in parts


def test_only_the_http_function_knows_the_cache(resources: dict[str, Any]) -> None:
    for name in ("worker", "ws", "stream"):
        _, props = function(resources, name)
        assert "REDIS_URL" not in props["Environment"]["Variables"]
