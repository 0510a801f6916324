#!/bin/sh
# crinn-tune candidate 7, attempt 1
exec '/work/main/build/bin/crinn-job' --node-cache '/tmp/svl/node-cache' '/tmp/svl/slurm/jobs/7'
