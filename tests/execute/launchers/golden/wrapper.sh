#!/bin/bash
# written by hyperlab: run job.sh, record its exit code
export HYPERLAB_RUN_ID=7
export HYPERLAB_STORE='sqlite:////data/it'"'"'s here.db'
cd '/work/my jobs/job_1' || exit 97
./job.sh > stdout 2> stderr
code=$?
echo "$code" > .hyperlab-exit.tmp && mv -f .hyperlab-exit.tmp .hyperlab-exit
exit "$code"
