#!/usr/bin/env bash
# Local single-node Kafka broker (KRaft) for development and tests; see scripts/kafka/local-broker.js.
#   bash scripts/kafka/kafka.sh start    # prints KAFKA_BROKERS=127.0.0.1:19092
#   bash scripts/kafka/kafka.sh status
#   bash scripts/kafka/kafka.sh stop
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -ne 1 ]; then
  echo "usage: bash scripts/kafka/kafka.sh start|stop|status" >&2
  exit 2
fi
exec node "$here/local-broker.js" "$1"
