"""AWS Lambda: functions run as their real entries in Lambda-like execution environments
(own process, init once, one event at a time, timeout enforced).

Named `lambda_` because `lambda` is a keyword.
"""
