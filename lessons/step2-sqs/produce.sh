#!/bin/sh
# The retrospective's shell loop: call the producer again and again.
# URL and COUNT come from the environment, with the local stack and 10 jobs
# when unset:
# exercise 2-3-loop/usage: begin
#   cargo xtask lesson step2 up            # in one terminal
#   sh lessons/step2-sqs/produce.sh        # in another
#   URL=https://<api>.execute-api.ap-northeast-2.amazonaws.com/produce COUNT=100 sh lessons/step2-sqs/produce.sh
# exercise 2-3-loop/usage: end
# (`cargo xtask lesson step2 loop` does the same with a progress bar.)
set -eu
URL="${URL:-http://127.0.0.1:3000/produce}"
COUNT="${COUNT:-10}"
# exercise 2-3-loop: begin
i=1
while [ "$i" -le "$COUNT" ]; do
  curl --silent --show-error --fail -X POST "$URL" \
    --header 'Content-type: application/json' \
    --data-raw "{\"input\": $i}"
  echo
  i=$((i + 1))
done
# exercise 2-3-loop: end
