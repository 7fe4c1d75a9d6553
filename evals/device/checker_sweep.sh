#!/bin/bash
# Rebuilds the base from .gpu/ (evals/device/prepare.py). Run by the device tool from the repository root:
#   TRAIN_LIMIT=420 bash evals/device/checker_sweep.sh   (carry: [".gpu"]; committed weights moved out first)
# Claim-checker training sweep on the device: longer runs than the CPU recipe's 0.75 epoch, in parallel; each
# variant's weights packed for the trip back as soon as it finishes.
export OMP_NUM_THREADS=3
source evals/device/setup.sh
COMMON="--squad $W/squad.json --base $W/base --halueval $W/halueval.jsonl $EXTRA"
declare -A V=(
 [K1]="--epochs 1.5"
 [K2]="--epochs 3"
 [K3]="--epochs 2 --lr 1e-4"
 [K4]="--epochs 3 --seed 14"
)
for k in "${!V[@]}"; do
  mkdir -p $W/$k
  ( timeout ${TRAIN_LIMIT:-400} python3 -m rag.checker.train $COMMON ${V[$k]} --out $W/$k > $W/$k/log 2>&1
    tail -2 $W/$k/log | sed "s/^/$k /" >> $OUT/log.txt
    [ -f $W/$k/checker.json ] && grep -q '"validation"' $W/$k/checker.json && (cd $W/$k && tar cf - checker.safetensors checker.json | split -b 12M - $OUT/$k.tar.) ) &
done
wait
for k in "${!V[@]}"; do echo "== $k"; tail -3 $W/$k/log; done
ls -la $OUT
