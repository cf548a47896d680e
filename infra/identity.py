"""Who callers are: a Cognito user pool, an app client for single-page apps and CLIs, and
the group `admin` (the app's AUTH_ADMIN_GROUP). API Gateway authorizes nothing: the app
verifies each bearer token itself against the pool's JWKS (handler.platform.auth), the
same code that runs locally and in the emulator. The functions that verify tokens get
`issuer` and `client_id` as AUTH_ISSUER and AUTH_AUDIENCE (infra.stack)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge

ADMIN_GROUP = "admin"
# Cognito's default is 8; NIST SP 800-63B asks for length over composition, cdk-nag (COG1)
# for both.
PASSWORD_POLICY = cognito.PasswordPolicy(
    min_length=12,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temp_password_validity=Duration.days(3),
)


class Identity(Construct):
    """`threat_protection`: the Plus feature plan with standard threat protection enforced
    (compromised-credential checks and adaptive authentication, which blocks risky
    sign-ins). Plus is billed per monthly active user from the first one (Essentials has a
    free tier of 10,000), so the stage decides (infra.stages): prod has it, dev, whose
    users are its developers, does not.

    Nobody signs themselves up (`self_sign_up`): an operator creates users
    (`aws cognito-idp admin-create-user`), and they sign in with their email. MFA (TOTP)
    is optional: required MFA would stop the password flow a CLI or the end-to-end tests
    use until each user enrolls an authenticator app.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        threat_protection: bool,
        self_sign_up: bool = False,
    ) -> None:
        super().__init__(scope, id)
        plan = cognito.FeaturePlan.PLUS if threat_protection else cognito.FeaturePlan.ESSENTIALS
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=PASSWORD_POLICY,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=plan,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
            if threat_protection
            else None,
            # Removal and deletion protection follow the stage (infra.stage_policies).
        )
        # No secret: a browser or a CLI cannot keep one. No OAuth (no hosted UI, no
        # domain): clients sign in with InitiateAuth, SRP or, for scripts, the password.
        self.client = self.user_pool.add_client(
            "AppClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.admin_group = self.user_pool.add_group(
            "AdminGroup",
            group_name=ADMIN_GROUP,
            description="Admins: may change any user and post announcements (docs/auth.md)",
        )
        self._acknowledge(threat_protection)

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens; its JWKS is `{issuer}/.well-known/jwks.json`."""
        region = Stack.of(self).region
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"

    @property
    def client_id(self) -> str:
        return self.client.user_pool_client_id

    def _acknowledge(self, threat_protection: bool) -> None:
        acknowledge(
            self.user_pool,
            "COG2",
            "MFA is optional (TOTP): users may enroll an authenticator app, but required MFA"
            " would stop the password flow scripts, CLIs and the end-to-end tests sign in"
            " with. Set mfa=Mfa.REQUIRED once the pool holds real people's accounts.",
        )
        if not threat_protection:
            acknowledge(
                self.user_pool,
                "COG8",
                "Threat protection needs the Plus feature plan, billed per active user from"
                " the first one; this stage's users are its developers. prod is on Plus with"
                " threat protection enforced (infra.stages).",
            )
