"""A phone's GPU delegate in the terminal (`bench --accelerator gpu --device PHONE`): what benchmark_model
said the delegate took, and inference_diff's GPU-vs-CPU numerics with their tolerance and provenance.

Plain lines (no markup from the device: every device string is escaped), short enough for an 80-column log.
"""

from __future__ import annotations

from typing import Any


def phone_gpu_lines(runner: dict[str, Any]) -> list[str]:
    """The delegate line, then the numerics verdict and one line per output."""
    gpu = next((d for d in runner.get("delegates") or [] if d["name"].upper() == "GPU"), None)
    if gpu is not None and gpu["coverage"] == "refused":
        return [f"GPU delegate on the phone: REFUSED the model ({runner.get('gpu_note') or gpu['line']}); an app "
                "enabling it gets an error at load"]
    if gpu is None or gpu["coverage"] == "none":
        why = gpu["line"] if gpu else runner.get("gpu_note") or "no 'Explicitly applied GPU delegate' line"
        lines = [f"GPU delegate on the phone: NOT APPLIED ({why}); the timings are the CPU's"]
    else:
        kernels = f", {gpu['kernels']} delegate kernels" if gpu.get("kernels") else ""
        lines = [f"GPU delegate on the phone: {gpu['coverage']}{kernels} (benchmark_model, measured)"]
    numerics = runner.get("numerics")
    if numerics is None:
        return [*lines, "numerics GPU vs CPU: not compared (no inference_diff_binary in devices.toml)"]
    if numerics.get("error"):
        return [*lines, f"numerics GPU vs CPU: NOT COMPARED: {numerics['error']}"]
    tol = numerics.get("tolerance") or {}
    source = (numerics.get("output_range") or {}).get("source", "unknown")
    verdict = {True: "pass (mean error)", False: "FAIL", None: "not compared"}[numerics.get("passed")]
    lines.append(f"numerics GPU vs CPU (inference_diff, {numerics.get('runs')} runs, measured): {verdict}")
    lines.append(f"  tolerance {tol.get('atol', 0):g} + {tol.get('rtol_of_output_range', 0):g} x output range "
                 f"(range: {source})")
    if numerics.get("passed"):
        lines.append("  the tool reports the mean |diff| only: single elements may still exceed it")
    for out in numerics.get("outputs") or []:
        rng = "?" if out.get("output_range") is None else f"{out['output_range']:.3g}"
        mark = "ok" if out.get("passed") else "FAIL"
        lines.append(f"  {out['name']}: mean |diff| {out['avg_error']:.3g} (std {out['std_dev']:.3g}) vs "
                     f"{out['tolerance']:.3g} (range {rng}) {mark}")
    ref, test = numerics.get("reference_latency"), numerics.get("test_latency")
    if ref and test:
        lines.append(f"  avg latency: CPU reference {ref['avg_ms']:.3f} ms, GPU {test['avg_ms']:.3f} ms (measured)")
    return lines


def render_phone_gpu(console: Any, runner: dict[str, Any]) -> None:
    from rich.markup import escape

    for line in phone_gpu_lines(runner):
        console.print(escape(line))
