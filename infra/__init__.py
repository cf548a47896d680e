"""AWS CDK app: deploys what handler/ runs. Never imports handler/."""
