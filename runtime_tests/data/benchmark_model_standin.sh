#!/bin/sh
# STAND-IN for LiteRT's benchmark_model (a bionic binary that cannot run on these machines): it takes the
# documented flags and prints the documented output format (tflite/tools/benchmark/README.md); the
# numbers are made up. Used only by runtime_tests/test_adb_benchmark_model.py.
graph="" runs=50 warmup=1 profiling=false threads=-1 xnnpack=unset gpu=false
for arg in "$@"; do
  case "$arg" in
    --graph=*) graph="${arg#--graph=}" ;;
    --num_runs=*) runs="${arg#--num_runs=}" ;;
    --warmup_runs=*) warmup="${arg#--warmup_runs=}" ;;
    --enable_op_profiling=*) profiling="${arg#--enable_op_profiling=}" ;;
    --num_threads=*) threads="${arg#--num_threads=}" ;;
    --use_xnnpack=*) xnnpack="${arg#--use_xnnpack=}" ;;
    --use_gpu=*) gpu="${arg#--use_gpu=}" ;;
    *) echo "ERROR: unknown flag $arg" >&2; exit 1 ;;
  esac
done
echo "INFO: STARTING!"
echo "INFO: Num threads: [$threads]"
echo "INFO: Graph: [$graph]"
echo "INFO: Enable op profiling: [$profiling]"
echo "INFO: Use xnnpack: [$xnnpack]"
echo "INFO: Use gpu: [$gpu]"
if [ ! -s "$graph" ]; then
  echo "ERROR: Could not open '$graph'." >&2
  echo "ERROR: Benchmarking failed." >&2
  exit 1
fi
echo "INFO: Loaded model $graph"
echo "INFO: Initialized session in 12.5ms."
echo "INFO: count=$warmup first=5100 curr=4900 min=4900 max=5100 avg=5000 std=100 p5=4900 median=5000 p95=5100"
echo ""
echo "INFO: count=$runs first=4200 curr=4010 min=3900 max=4600 avg=4100.5 std=150 p5=3920 median=4050 p95=4500"
echo ""
echo "INFO: Inference timings in us: Init: 12500, First inference: 5100, Warmup (avg): 5000, Inference (avg): 4100.5"
echo "INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion."
echo "INFO: Memory footprint delta from the start of the tool (MB): init=3.5 overall=9.25"
echo "INFO: Overall peak memory footprint (MB) via periodic monitoring: 11.5"
if [ "$profiling" = true ]; then
  tab=$(printf '\t')
  echo "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:"
  echo "============================== Run Order =============================="
  echo "${tab}[node type]${tab}[start]${tab}[first]${tab}[avg ms]${tab}[%]${tab}[cdf%]${tab}[mem KB]${tab}[times called]${tab}[Name]"
  echo "${tab}CONV_2D${tab}0.000${tab}2.900${tab}2.800${tab}70.000%${tab}70.000%${tab}0.000${tab}1${tab}[conv]:0"
  echo "${tab}MEAN${tab}2.801${tab}0.850${tab}0.800${tab}20.000%${tab}90.000%${tab}0.000${tab}1${tab}[mean]:1"
  echo "${tab}SOFTMAX${tab}3.602${tab}0.420${tab}0.400${tab}10.000%${tab}100.000%${tab}0.000${tab}1${tab}[out]:2"
  echo ""
  echo "============================== Top by Computation Time =============================="
  echo "${tab}[node type]${tab}[start]${tab}[first]${tab}[avg ms]${tab}[%]${tab}[cdf%]${tab}[mem KB]${tab}[times called]${tab}[Name]"
  echo "${tab}CONV_2D${tab}0.000${tab}2.900${tab}2.800${tab}70.000%${tab}70.000%${tab}0.000${tab}1${tab}[conv]:0"
  echo ""
  echo "Timings (microseconds): count=$runs first=4100 curr=4000 min=3900 max=4500 avg=4000 std=120"
  echo "Memory (bytes): count=0"
  echo "3 nodes observed"
fi
exit 0
