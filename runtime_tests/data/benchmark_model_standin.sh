#!/bin/sh
# STAND-IN for LiteRT's benchmark_model (a bionic binary that cannot run on these machines): it takes the
# documented flags and prints the documented output format (tflite/tools/benchmark/README.md); the
# numbers are made up. It honours the flags it is given, so a test that passes the wrong ones fails:
# --use_gpu=true prints the GPU delegate's lines and GPU timings (with gpu_support=no below, what a build or
# phone without GPU support prints, then the CPU's timings, as the real tool does; with gpu_coverage=partial,
# a partial delegation; with gpu_coverage=refused, the delegate refusing the graph), --use_xnnpack=true
# the XNNPACK delegate line (false: slower built-in kernels), --num_threads the tool's threads line.
# Used only by runtime_tests/test_adb_benchmark_model.py.
gpu_support=yes gpu_coverage=full
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
one() { [ "$1" = true ] && echo 1 || echo 0; }
echo "INFO: STARTING!"
echo "INFO: Graph: [$graph]"
[ "$threads" != -1 ] && echo "INFO: #threads used for CPU inference: [$threads]"
echo "INFO: Enable op profiling: [$(one "$profiling")]"
[ "$xnnpack" != unset ] && echo "INFO: Use xnnpack: [$(one "$xnnpack")]"
echo "INFO: Use gpu: [$(one "$gpu")]"
if [ ! -s "$graph" ]; then
  echo "ERROR: Could not open '$graph'." >&2
  echo "ERROR: Benchmarking failed." >&2
  exit 1
fi
echo "INFO: Loaded model $graph"
on_gpu=false
if [ "$gpu" = true ] && [ "$gpu_support" = no ]; then
  echo "INFO: GPU acceleration is unsupported on this platform."
elif [ "$gpu" = true ]; then
  on_gpu=true
  echo "INFO: Created TensorFlow Lite delegate for GPU."
  echo "INFO: GPU delegate created."
  echo "INFO: Initialized OpenCL-based API."
  echo "INFO: Created 1 GPU delegate kernels."
  if [ "$gpu_coverage" = refused ]; then
    echo "ERROR: Attempting to use a delegate that only supports static-sized tensors with a graph that has dynamic-sized tensors (tensor#3 is a dynamic-sized tensor)." >&2
    echo "ERROR: Failed to apply GPU delegate." >&2
    echo "ERROR: Benchmarking failed." >&2
    exit 1
  elif [ "$gpu_coverage" = partial ]; then
    echo "INFO: Explicitly applied GPU delegate, and the model graph will be partially executed by the delegate w/ 2 delegate kernels."
  else
    echo "INFO: Explicitly applied GPU delegate, and the model graph will be completely executed by the delegate."
  fi
fi
if [ "$on_gpu" = false ] && [ "$xnnpack" = true ]; then
  echo "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
  echo "INFO: Explicitly applied XNNPACK delegate, and the model graph will be completely executed by the delegate."
fi
echo "INFO: The input model file size (MB): 0.001"
if [ "$on_gpu" = true ]; then
  echo "INFO: Initialized session in 850.0ms."
  echo "INFO: count=$warmup first=9000 curr=1600 min=1550 max=9000 avg=2100 std=900 p5=1550 median=1600 p95=9000"
  echo ""
  echo "INFO: count=$runs first=1600 curr=1510 min=1450 max=1700 avg=1520 std=40 p5=1460 median=1500 p95=1650"
  echo ""
  echo "INFO: Inference timings in us: Init: 850000, First inference: 9000, Warmup (avg): 2100, Inference (avg): 1520"
elif [ "$xnnpack" = false ]; then
  echo "INFO: Initialized session in 3.0ms."
  echo "INFO: count=$warmup first=9900 curr=9800 min=9800 max=9900 avg=9850 std=50 p5=9800 median=9850 p95=9900"
  echo ""
  echo "INFO: count=$runs first=9100 curr=9000 min=8800 max=9600 avg=9050 std=200 p5=8850 median=9000 p95=9500"
  echo ""
  echo "INFO: Inference timings in us: Init: 3000, First inference: 9900, Warmup (avg): 9850, Inference (avg): 9050"
else
  echo "INFO: Initialized session in 12.5ms."
  echo "INFO: count=$warmup first=5100 curr=4900 min=4900 max=5100 avg=5000 std=100 p5=4900 median=5000 p95=5100"
  echo ""
  echo "INFO: count=$runs first=4200 curr=4010 min=3900 max=4600 avg=4100.5 std=150 p5=3920 median=4050 p95=4500"
  echo ""
  echo "INFO: Inference timings in us: Init: 12500, First inference: 5100, Warmup (avg): 5000, Inference (avg): 4100.5"
fi
echo "INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion."
echo "INFO: Memory footprint delta from the start of the tool (MB): init=3.5 overall=9.25"
echo "INFO: Overall peak memory footprint (MB) via periodic monitoring: 11.5"
tab=$(printf '\t')
if [ "$profiling" = true ] && [ "$on_gpu" = true ]; then
  echo "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:"
  echo "============================== Run Order =============================="
  echo "${tab}[node type]${tab}[start]${tab}[first]${tab}[avg ms]${tab}[%]${tab}[cdf%]${tab}[mem KB]${tab}[times called]${tab}[Name]"
  echo "${tab}TfLiteGpuDelegateV2${tab}0.000${tab}1.550${tab}1.450${tab}100.000%${tab}100.000%${tab}0.000${tab}1${tab}[GPU]:3"
  echo ""
  echo "Timings (microseconds): count=$runs first=1550 curr=1450 min=1400 max=1600 avg=1450 std=30"
elif [ "$profiling" = true ]; then
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
