"""The whole platform on one machine: keys, data, Kafka, Redis and every service as processes."""
