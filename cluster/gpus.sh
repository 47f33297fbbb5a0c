#!/usr/bin/env bash
# Spark's GPU discovery script for the workers multi_node.sh starts: the GPUs SLURM gave this node.
# Untested here (no GPU on these machines).
IFS=, read -ra ids <<< "${CUDA_VISIBLE_DEVICES:-${SLURM_JOB_GPUS:-}}"
printf '{"name": "gpu", "addresses": ['
sep=""; for id in "${ids[@]}"; do [[ -n "$id" ]] && printf '%s"%s"' "$sep" "$id" && sep=", "; done
printf ']}\n'
