"""The users resource: the example to copy for a stored resource of your own.

- `models`: what clients send and what the API answers (pydantic, no FastAPI);
- `errors`: the resource's own errors (no HTTP in them);
- `user_store`: the `UserStore` port and its contract;
- `memory_users`, `dynamodb_users`: its two adapters (`handler.composition` chooses one from
  USERS_TABLE and puts it in the lifespan state);
- `service`: what every write does besides storing (cache generations, welcome tasks)
  and the listing cursors, shared by REST and GraphQL;
- `routes`: REST under /api/v1 and /api/v2, `UsersDep`, and the errors' HTTP answers;
- `graphql_types`: the GraphQL types and resolvers over the same service.

Nothing is imported here, so the composition root can import one adapter alone.
"""
