#!/bin/bash
# written by hyperlab: task i runs job i
i="${SLURM_ARRAY_TASK_ID:-}"
case "$i" in
  0) export HYPERLAB_RUN_ID=0; cd '/w/it'"'"'s 0' || exit 97 ;;
  1) export HYPERLAB_RUN_ID=1; cd '/w/it'"'"'s 1' || exit 97 ;;
  *) echo "hyperlab: no job for array index ${i}" >&2; exit 98 ;;
esac
./job.sh > stdout 2> stderr
code=$?
echo "$code" > .hyperlab-exit.tmp && mv -f .hyperlab-exit.tmp .hyperlab-exit
exit "$code"
