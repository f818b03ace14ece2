#!/usr/bin/env bash
# Spark's GPU discovery script: prints this machine's GPUs as Spark expects them,
# {"name":"gpu","addresses":["0","1"]}, from nvidia-smi (no GPUs, or no nvidia-smi: an empty list).
set -u
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | sed 's/[^0-9]//g; /^$/d; s/.*/"&"/' | paste -sd, -)
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
