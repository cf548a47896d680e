"""Where connections are kept: the `ConnectionRegistry` port's adapters.

`MemoryRegistry` for one process (local, tests); `DynamoDBRegistry` for the fleet (the
connections table on AWS). Import the module you need: each pulls only its own vendor.
"""
