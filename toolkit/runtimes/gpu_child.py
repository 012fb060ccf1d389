"""Self-contained child: one model through LiteRT's GPU accelerator (CompiledModel, GPU|CPU) and, for
numerics, through LiteRT's CPU path (CompiledModel, CPU) on the same seeded inputs. stdlib + numpy +
ai_edge_litert only; no edgetk import, so it can be copied anywhere the wheel is installed.

Run as ``python gpu_child.py --model M [--seed S] [--runs N] [--warmup N] [--no-cpu] [--enforce-f32]``.
(The GPU op probe loads many models per process through toolkit/targets/probe_child.py instead.)
The accelerator's own log (which ops it leaves to the CPU and why) goes to stderr untouched: the parent
parses it. Phase markers ``edgetk-gpu-phase: NAME`` on stderr tell the parent where a crash happened.
Prints ONE JSON document on stdout (schema "edgetk.gpu-run/1").
"""

import argparse
import json
import sys
import time

SCHEMA = "edgetk.gpu-run/1"


def _phase(name):
    sys.stderr.write(f"edgetk-gpu-phase: {name}\n")
    sys.stderr.flush()


def _version():
    try:
        from importlib.metadata import version

        return version("ai-edge-litert")
    except Exception:  # noqa: BLE001 - the document says unknown rather than failing
        return "unknown"


def _signature(model, side):
    """(key, tensor names in buffer order) of signature 0: buffers follow the signature's list order."""
    key, sig = next(iter(model.get_signature_list().items()))
    return key, list(sig[side])


def _seeded_inputs(model, seed):
    """One array per input of signature 0: floats in [-1, 1), integers over a small range, fixed seed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    key, names = _signature(model, "inputs")
    details = model.get_input_tensor_details(key)
    arrays = []
    for d in (details[n] for n in names):
        dtype = np.dtype(d["dtype"])
        shape = [max(1, int(s)) for s in d["shape"]]
        if dtype.kind == "f":
            arrays.append(rng.uniform(-1.0, 1.0, shape).astype(dtype))
        elif dtype == np.bool_:
            arrays.append(rng.integers(0, 2, shape).astype(dtype))
        else:
            info = np.iinfo(dtype)
            arrays.append(rng.integers(max(info.min, -8), min(info.max, 8) + 1, shape).astype(dtype))
    return arrays


def _output_specs(model):
    import numpy as np

    key, names = _signature(model, "outputs")
    details = model.get_output_tensor_details(key)
    specs = []
    for name, d in ((n, details[n]) for n in names):
        shape = [int(s) for s in d["shape"]]
        specs.append((name, np.dtype(d["dtype"]), shape))
    return specs


def _run(model, arrays, runs, warmup):
    """Write inputs, run warmup + runs times; return (outputs, per-run milliseconds).

    Each timed run includes reading its outputs back: on the GPU ``run_by_index`` only enqueues the work and
    returns (0.26 ms for selfie_segmentation on SwiftShader, where run + read takes ~500 ms); the read is
    what waits for it, and an app must read its outputs anyway."""
    import numpy as np

    ins, outs = model.create_input_buffers(0), model.create_output_buffers(0)
    for buf, arr in zip(ins, arrays, strict=True):
        buf.write(arr)
    counts = [(int(np.prod(shape)) if shape else 1, dtype, shape) for _name, dtype, shape in _output_specs(model)]
    times, results = [], []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        model.run_by_index(0, ins, outs)
        results = [buf.read(count, dtype) for buf, (count, dtype, _) in zip(outs, counts, strict=True)]
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    return [r.reshape(shape) for r, (_, _, shape) in zip(results, counts, strict=True)], times


def _compare(gpu_outs, cpu_outs, specs):
    import numpy as np

    rows = []
    for (name, dtype, shape), g, c in zip(specs, gpu_outs, cpu_outs, strict=True):
        g64, c64 = g.astype(np.float64), c.astype(np.float64)
        diff = np.abs(g64 - c64)
        scale = float(np.max(np.abs(c64))) if c64.size else 0.0
        finite = bool(np.all(np.isfinite(g64)))
        rows.append({"name": name, "dtype": str(dtype), "shape": shape,
                     "max_abs": float(diff.max()) if diff.size else 0.0,
                     "max_rel": float(diff.max() / scale) if diff.size and scale > 0 else 0.0,
                     "cpu_max_abs_value": scale, "finite": finite})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU reference run (no numerics)")
    ap.add_argument("--enforce-f32", action="store_true", help="GpuOptions.enforce_f32 (default: fp16 allowed)")
    args = ap.parse_args(argv)
    doc = {"schema": SCHEMA, "litert_version": _version(), "loaded": False, "fully_accelerated": None,
           "load_error": None, "run_error": None, "cpu_error": None, "latency_ms": [], "load_ms": None,
           "numerics": [], "enforce_f32": args.enforce_f32}
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator as HA

    _phase("load")
    t0 = time.perf_counter()
    try:
        if args.enforce_f32:
            from ai_edge_litert.gpu_options import GpuOptions
            from ai_edge_litert.options import Options

            gpu = CompiledModel.from_file(args.model, options=Options(
                hardware_accelerators=HA.GPU | HA.CPU, gpu_options=GpuOptions(enforce_f32=True)))
        else:
            gpu = CompiledModel.from_file(args.model, hardware_accel=HA.GPU | HA.CPU)
    except Exception as exc:  # noqa: BLE001 - the accelerator's refusal is the answer
        doc["load_error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:600]
        print(json.dumps(doc))
        return 0
    doc["load_ms"] = (time.perf_counter() - t0) * 1e3
    doc["loaded"] = True
    doc["fully_accelerated"] = bool(gpu.is_fully_accelerated())
    _phase("run")
    try:
        arrays = _seeded_inputs(gpu, args.seed)
        gpu_outs, doc["latency_ms"] = _run(gpu, arrays, max(1, args.runs), args.warmup)
    except Exception as exc:  # noqa: BLE001
        doc["run_error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:600]
        print(json.dumps(doc))
        return 0
    if not args.no_cpu:
        _phase("cpu-reference")
        try:
            cpu = CompiledModel.from_file(args.model, hardware_accel=HA.CPU)
            cpu_outs, _ = _run(cpu, arrays, 1, 0)
            doc["numerics"] = _compare(gpu_outs, cpu_outs, _output_specs(gpu))
        except Exception as exc:  # noqa: BLE001
            doc["cpu_error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:600]
    _phase("done")
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
