# The tuning settings that the landscapes record and the live policy
# comparison runs, in one place so that the two measure the same thing.
# Sourced by bench/landscape.sh and bench/learning.sh.
#
# setting_args <setting>: sets the array `setting` to the crinn-tune arguments
# of the setting's source and data, and `measure` to those of its
# measurement; an unknown name is an error naming the settings.
# Fashion-MNIST settings tune on a 10,000-vector sample with 200 queries, to
# keep a plan short; the closing comparison measures on the whole set.
setting_args() {
  local sampled=(--tune-sample 10000 --queries 200 --confirm-variants 1)
  case "$1" in
    hnsw-fmnist) setting=(--source baselines/hnsw --dataset fashion-mnist-784-euclidean "${sampled[@]}") ;;
    hnswlib-fmnist) setting=(--source baselines/hnswlib --library libcrinn_hnswlib.so
                             --dataset fashion-mnist-784-euclidean "${sampled[@]}") ;;
    hnsw-angular) setting=(--source baselines/hnsw
                           --dataset synthetic:n=10000,queries=200,dim=64,clusters=16,metric=angular,seed=5) ;;
    *) echo "$0: unknown setting '$1' (hnsw-fmnist, hnswlib-fmnist, hnsw-angular)" >&2; return 2 ;;
  esac
  measure=(--runs 2 --compare-runs 2 --max-repetitions 6 --ef 10,16,24,32,48,64,96,128,192 --recall-window 0.95,0.999)
}
