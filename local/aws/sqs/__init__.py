"""Amazon SQS as Lambda reads it: the event source mapping that polls a queue and invokes
a function with batches. The queues themselves are moto's (`local.aws.moto_server`)."""
