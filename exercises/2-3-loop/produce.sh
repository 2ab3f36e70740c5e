#!/bin/sh
# The retrospective's shell loop: call the producer again and again.
# URL and COUNT come from the environment, with the local stack and 10 jobs
# when unset:
#   cargo xtask lesson step2 up            # in one terminal
#   sh exercises/2-3-loop/produce.sh       # in another
#   URL=https://<api>.execute-api.ap-northeast-2.amazonaws.com/produce COUNT=100 sh exercises/2-3-loop/produce.sh
# (`cargo xtask lesson step2 loop` does the same with a progress bar.)
set -eu
URL="${URL:-http://127.0.0.1:3000/produce}"
COUNT="${COUNT:-10}"
# TODO(2-3-loop): 1부터 COUNT까지 반복하면서, 회고의 curl로 {"input": i}를 URL에 POST 하세요.
# TODO(2-3-loop): for i from 1 to COUNT, POST {"input": i} to URL with the retrospective's curl.
