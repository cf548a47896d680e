"""How a message reaches a connection: the `Sender` port's adapters for AWS.

`SignedHttpSender` posts to API Gateway's @connections API; `CountedSender` wraps any
sender with metrics. The local sender lives with its driver (`drivers.local_socket`),
since it writes to the sockets that driver holds.
"""
