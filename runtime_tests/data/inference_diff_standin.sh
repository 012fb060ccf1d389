#!/bin/sh
# STAND-IN for LiteRT's inference_diff (tools/evaluation/tasks/inference_diff, run_eval: a bionic binary that
# cannot run on these machines). It takes the tool's documented flags (--model_file, --delegate, --num_runs,
# --num_interpreter_threads, --output_file_path) and prints its documented log (run_eval.cc: "Num evaluation
# runs", "Reference run latency", "Test run latency", "OutputDiff[i]: avg_error=…, std_dev=…"); the numbers are
# made up. It honours its flags: --num_runs is echoed, --delegate=gpu gives the GPU's latency and error
# (output_error below; a test copies this file with a larger one), no delegate gives a zero difference, an
# unknown delegate is refused as the real tool refuses it. Used only by runtime_tests/test_adb_benchmark_model.py.
output_error=2.5e-05
model="" delegate="" runs=50 threads=1
for arg in "$@"; do
  case "$arg" in
    --model_file=*) model="${arg#--model_file=}" ;;
    --delegate=*) delegate="${arg#--delegate=}" ;;
    --num_runs=*) runs="${arg#--num_runs=}" ;;
    --num_interpreter_threads=*) threads="${arg#--num_interpreter_threads=}" ;;
    --output_file_path=*) ;;
    *) echo "ERROR: unknown flag $arg" >&2; exit 1 ;;
  esac
done
if [ ! -s "$model" ]; then
  echo "ERROR: Could not build model from $model" >&2
  echo "ERROR: Could not evaluate model!" >&2
  exit 1
fi
case "$delegate" in
  gpu) test_avg=1510.5 error=$output_error std=1e-05 ;;
  "") test_avg=4020 error=0 std=0 ;;
  *) echo "WARN: Unsupported TFLite delegate: $delegate" >&2; echo "ERROR: Could not evaluate model!" >&2; exit 1 ;;
esac
echo "INFO: Num evaluation runs: $runs"
echo "INFO: Reference run latency: avg=4100.25(us), std_dev=150(us)"
echo "INFO: Test run latency: avg=${test_avg}(us), std_dev=40(us)"
echo "INFO: OutputDiff[0]: avg_error=${error}, std_dev=${std}"
exit 0
