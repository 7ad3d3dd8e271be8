"""The event contract (v1 models) and the Kafka topic layout every service agrees on."""
