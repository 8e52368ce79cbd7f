#!/usr/bin/env bash
# Submits a sharded `cargo xtask reproduce` to Slurm: the job array reproduce.sbatch
# (tasks ARRAY, default 0-(N-1)) and the merge job merge.sbatch, which starts only after
# every task succeeded (--dependency=afterok) and is cancelled if one fails
# (--kill-on-invalid-dep=yes). Prints "<array job id> <merge job id>".
#
#   scripts/slurm/submit.sh N [PROFILE] [RUN_DIR] [ARRAY]
#
# Resubmit failed tasks 2 and 5 of the same run (they resume), with a new merge job:
#   scripts/slurm/submit.sh N PROFILE RUN_DIR 2,5
# Extra sbatch options (partition, time, account, ...) go in NNQFT_SBATCH_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${1:?usage: submit.sh N [PROFILE] [RUN_DIR] [ARRAY]}
PROFILE=${2:-default}
RUN_DIR=$(mkdir -p "${3:-$PWD/nnqft-run}" && cd "${3:-$PWD/nnqft-run}" && pwd)
ARRAY=${4:-0-$((N - 1))}
read -r -a extra <<< "${NNQFT_SBATCH_ARGS:-}"
mkdir -p "$RUN_DIR/logs"
array=$(sbatch --parsable "${extra[@]}" --array="$ARRAY" --output="$RUN_DIR/logs/shard-%A_%a.out" \
    "$here/reproduce.sbatch" "$N" "$PROFILE" "$RUN_DIR")
array=${array%%;*}
merge=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --output="$RUN_DIR/logs/merge-%j.out" "$here/merge.sbatch" "$RUN_DIR")
merge=${merge%%;*}
echo "$array $merge"
