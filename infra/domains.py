"""Optional custom domains: `-c domain=api.example.com -c certificate_arn=...` for the HTTP
API, `-c ws_domain=ws.example.com` (and `ws_certificate_arn`, else the same certificate)
for the WebSocket API. Regional endpoints: the ACM certificate lives in the stack's region.

DNS stays yours: point a CNAME (or a Route 53 alias) at the `*DomainTarget` output.
"""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct


class CustomDomain(Construct):
    """A regional API Gateway domain (TLS 1.2) mapped to one API stage at its root."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain: str,
        certificate_arn: str,
        api: apigwv2.IApi,
        stage: apigwv2.IStage,
    ) -> None:
        super().__init__(scope, id)
        self.domain = domain
        self.domain_name = apigwv2.DomainName(
            self,
            "Domain",
            domain_name=domain,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        apigwv2.ApiMapping(self, "Mapping", api=api, domain_name=self.domain_name, stage=stage)

    @property
    def target(self) -> str:
        """The host name a CNAME or alias record points at."""
        return self.domain_name.regional_domain_name
