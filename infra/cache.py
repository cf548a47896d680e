"""ElastiCache Serverless (Valkey): the cache and rate-limit store shared by the whole fleet."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

ENGINE = "valkey"
MAJOR_VERSION = "8"
# 6379 is the primary endpoint, 6380 the reader endpoint of a serverless cache.
PORTS = ec2.Port.tcp_range(6379, 6380)
# Ceilings so a runaway client cannot run up the bill; raise them for real traffic.
MAX_DATA_GB = 5
MAX_ECPU_PER_SECOND = 5000


class Cache(Construct):
    """A serverless Valkey cache (always TLS) reachable only from security groups that
    `allow_from` names."""

    def __init__(
        self, scope: Construct, id: str, *, vpc: ec2.IVpc, subnet_ids: Sequence[str]
    ) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Valkey serverless cache: clients allowed one by one",
            allow_all_outbound=False,
        )
        self.cache = elasticache.CfnServerlessCache(
            self,
            "Cache",
            engine=ENGINE,
            major_engine_version=MAJOR_VERSION,
            serverless_cache_name=f"{Stack.of(self).stack_name.lower()}-cache"[:40],
            description="Cache and rate limits for the FastAPI functions",
            subnet_ids=list(subnet_ids),
            security_group_ids=[self.security_group.security_group_id],
            cache_usage_limits=elasticache.CfnServerlessCache.CacheUsageLimitsProperty(
                data_storage=elasticache.CfnServerlessCache.DataStorageProperty(
                    unit="GB", maximum=MAX_DATA_GB
                ),
                ecpu_per_second=elasticache.CfnServerlessCache.ECPUPerSecondProperty(
                    maximum=MAX_ECPU_PER_SECOND
                ),
            ),
        )

    @property
    def redis_url(self) -> str:
        """`rediss://host:port`: serverless caches accept TLS connections only."""
        return f"rediss://{self.cache.attr_endpoint_address}:{self.cache.attr_endpoint_port}"

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        self.security_group.add_ingress_rule(peer, PORTS, "Valkey over TLS")
