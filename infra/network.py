"""VPC for the functions that need Redis: two AZs, private subnets, no internet by default."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.functions import LOG_RETENTION

APP_SUBNETS = "app"


class Network(Construct):
    """Private subnets reach DynamoDB through a gateway endpoint (free), SQS and (without
    NAT) Cognito's user pool API through interface endpoints; `nat=True` adds one NAT
    gateway and makes the subnets egress-capable."""

    def __init__(self, scope: Construct, id: str, *, nat: bool) -> None:
        super().__init__(scope, id)
        app_type = ec2.SubnetType.PRIVATE_WITH_EGRESS if nat else ec2.SubnetType.PRIVATE_ISOLATED
        subnets = [ec2.SubnetConfiguration(name=APP_SUBNETS, subnet_type=app_type, cidr_mask=22)]
        if nat:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                )
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1 if nat else 0,
            subnet_configuration=subnets,
            # Nothing uses the default security group (every resource here has its own), and
            # restricting it costs a custom-resource Lambda on every deploy.
            restrict_default_security_group=False,
        )
        self.app_subnets = ec2.SubnetSelection(subnet_group_name=APP_SUBNETS)
        self.app_subnet_ids = self.vpc.select_subnets(subnet_group_name=APP_SUBNETS).subnet_ids
        self.flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        # The confused-deputy guard: the flow-logs service may take this role only on
        # behalf of this account's flow logs.
        self.flow_logs_role = iam.Role(
            self,
            "FlowLogsRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:"
                        f"{Aws.ACCOUNT_ID}:vpc-flow-log/*"
                    },
                },
            ),
            description="VPC flow logs: writes rejected-traffic records to their log group",
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.flow_logs, self.flow_logs_role
            ),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.vpc.add_gateway_endpoint(
            "DynamoDb",
            service=ec2.GatewayVpcEndpointAwsService.DYNAMODB,
            subnets=[self.app_subnets],
        )
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from the functions in this VPC only",
            allow_all_outbound=False,
        )
        self.sqs_endpoint = self._interface_endpoint("Sqs", ec2.InterfaceVpcEndpointAwsService.SQS)
        self.cognito_endpoint: ec2.InterfaceVpcEndpoint | None = None
        if not nat:
            # The HTTP function fetches the user pool's signing keys (JWKS) from the user
            # pool API's host, cognito-idp.{region}.amazonaws.com, which this endpoint's
            # private DNS answers inside the VPC. (It serves no user pool domain: the pool
            # has none.) With a NAT gateway the keys come through it instead.
            self.cognito_endpoint = self._interface_endpoint(
                "CognitoIdp", ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP
            )

    def _interface_endpoint(
        self, id: str, service: ec2.InterfaceVpcEndpointAwsService
    ) -> ec2.InterfaceVpcEndpoint:
        """An interface endpoint in the app's subnets, answering the service's own host
        name (private DNS), behind the endpoints' security group."""
        return self.vpc.add_interface_endpoint(
            id,
            service=service,
            subnets=self.app_subnets,
            private_dns_enabled=True,
            security_groups=[self.endpoint_security_group],
            # Opened per client security group by allow_endpoints_from, not to the VPC CIDR.
            open=False,
        )

    def allow_endpoints_from(self, peer: ec2.ISecurityGroup) -> None:
        self.endpoint_security_group.add_ingress_rule(
            peer, ec2.Port.tcp(443), "HTTPS to the SQS and Cognito endpoints"
        )
