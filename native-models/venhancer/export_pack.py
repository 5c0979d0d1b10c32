"""Exports VEnhancer into an Upframe model pack (contract version 2).

    python3 -m venhancer.export_pack --checkpoint venhancer_v2.pt --vae VAE_DIR --clip open_clip_pytorch_model.bin --out PACK
    python3 -m venhancer.export_pack --random-weights --out PACK        # full-size architecture, random weights
    python3 -m venhancer.export_pack --random-weights --tiny tiny.json --out PACK   # tiny configurations (tests)

Run from native-models/ (or with it on PYTHONPATH). It writes the four graphs (opset 17, dynamic F/h/w/N/B, fp16
weights as ONNX external data), tokenizer.json and manifest.json (sha256 and size of every file, the reference
defaults from reference_defaults.json).

Two processes: this supervisor (standard library only) owns the temporary folder beside the target and the signals; a
worker process does the torch work. On SIGINT/SIGTERM the supervisor kills the worker, removes the temporary folder and
exits 130, so no half pack is ever left, even while the worker is deep inside a native call.

With ``--progress json`` every line on stdout is a JSON object (the protocol main/engine/pack/venhancer-export.ts reads):
  {"event": "progress", "graph", "index", "total", "fraction", "etaSeconds", "message"}
  {"event": "log", "message"}
  {"event": "needs", "diskBytes", "memoryBytes", "freeDiskBytes", "availableMemoryBytes"}
  {"event": "error", "code": "BAD_INPUT"|"RESOURCES"|"FAILED"|"CANCELLED", "message", "file"}
  {"event": "done", "packDir"}
Exit codes: 0 done, 1 failed, 2 bad input, 3 not enough disk or memory, 130 cancelled.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_RESOURCES, EXIT_CANCELLED = 0, 1, 2, 3, 130
CODE_FOR_EXIT = {EXIT_FAILED: "FAILED", EXIT_BAD_INPUT: "BAD_INPUT", EXIT_RESOURCES: "RESOURCES", EXIT_CANCELLED: "CANCELLED"}
GRAPH_ORDER = ("denoiser", "text_encoder", "vae_encoder", "vae_decoder")
HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------------------------------------------------
# Output: JSON lines for the app, readable lines for a person.


class Reporter:
    def __init__(self, mode):
        self.json = mode == "json"
        self.lock = threading.Lock()

    def emit(self, event, **fields):
        with self.lock:
            if self.json:
                sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
            elif event == "progress":
                eta = fields.get("etaSeconds")
                eta_text = "--:--" if eta is None else f"{int(eta) // 60:02d}:{int(eta) % 60:02d}"
                sys.stdout.write(
                    f"[{fields['index'] + 1}/{fields['total']}] {fields['graph']}: {fields['fraction'] * 100:5.1f}% "
                    f"ETA {eta_text}  {fields['message']}\n"
                )
            elif event in ("log", "error"):
                stream = sys.stderr if event == "error" else sys.stdout
                stream.write(fields["message"] + "\n")
            elif event == "needs":
                sys.stdout.write(
                    f"Needs {fields['diskBytes'] / 1e9:.1f} GB of disk (free: {fields['freeDiskBytes'] / 1e9:.1f} GB) and "
                    f"{fields['memoryBytes'] / 1e9:.1f} GB of memory (available: {_fmt_gb(fields['availableMemoryBytes'])}).\n"
                )
            elif event == "done":
                sys.stdout.write(f"Pack written to {fields['packDir']}\n")
            sys.stdout.flush()

    def log(self, message):
        self.emit("log", message=message)

    def error(self, code, message, file=None):
        self.emit("error", code=code, message=message, file=file)


def _fmt_gb(value):
    return "unknown" if value is None else f"{value / 1e9:.1f} GB"


# --------------------------------------------------------------------------------------------------------------------
# Supervisor


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m venhancer.export_pack", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", help="venhancer_v2.pt (or venhancer_paper.pt)")
    p.add_argument("--vae", help="the SVD 'vae' folder in diffusers layout (config.json + diffusion_pytorch_model*)")
    p.add_argument("--clip", help="open_clip_pytorch_model.bin of laion/CLIP-ViT-H-14-laion2B-s32B-b79K")
    p.add_argument("--out", "-o", required=True, help="the pack folder to create (must not exist, or be empty)")
    p.add_argument("--random-weights", action="store_true", help="no input files: the architecture with random weights")
    p.add_argument("--tiny", metavar="CONFIG", help='JSON {"denoiser": {...}, "vae": {...}, "text": {...}} of small configurations')
    p.add_argument("--fp32", action="store_true", help="keep fp32 weights (default: fp16 weights)")
    p.add_argument("--name", default=None, help="pack name (default venhancer, or venhancer-random / venhancer-tiny)")
    p.add_argument("--progress", choices=("json", "text"), default="text")
    p.add_argument("--skip-resource-check", action="store_true", help="start even when free disk or memory looks too small")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--staging", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.random_weights:
        missing = [f"--{n}" for n in ("checkpoint", "vae", "clip") if not getattr(args, n)]
        if missing:
            p.error(f"give {', '.join(missing)} (the three released files), or --random-weights")
    elif any(getattr(args, n) for n in ("checkpoint", "vae", "clip")):
        p.error("--random-weights takes no --checkpoint, --vae or --clip")
    return args


def check_inputs_exist(args):
    """Cheap checks before anything starts: each named file or folder exists."""
    for flag, path, kind in (("--checkpoint", args.checkpoint, "file"), ("--vae", args.vae, "folder"), ("--clip", args.clip, "file")):
        if path is None:
            continue
        if not os.path.exists(path):
            return f"{flag} {path}: no such {kind}. Check the path.", path
        if kind == "file" and not os.path.isfile(path):
            return f"{flag} {path} is not a file.", path
        if kind == "folder" and not os.path.isdir(path):
            return f"{flag} {path} is not a folder: give the SVD 'vae' folder (config.json and diffusion_pytorch_model.*).", path
    if args.tiny and not os.path.isfile(args.tiny):
        return f"--tiny {args.tiny}: no such file.", args.tiny
    return None


def supervise(args):
    report = Reporter(args.progress)
    target = os.path.abspath(args.out)
    problem = check_inputs_exist(args)
    if problem:
        report.error("BAD_INPUT", problem[0], problem[1])
        return EXIT_BAD_INPUT
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        report.error("BAD_INPUT", f"{target} already exists and is not empty: choose a new folder for the pack, or remove it.", target)
        return EXIT_BAD_INPUT
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as error:
        report.error("BAD_INPUT", f"Cannot create {parent}: {error.strerror}.", parent)
        return EXIT_BAD_INPUT
    staging = os.path.join(parent, f".{os.path.basename(target)}.export-{os.getpid()}")
    os.makedirs(staging)

    cmd = [sys.executable, "-m", "venhancer.export_pack", "--worker", "--staging", staging] + [a for a in sys.argv[1:]]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.path.dirname(HERE), os.environ.get("PYTHONPATH")])))
    # Its own session: a terminal's Ctrl+C reaches the supervisor only, which then ends the worker.
    worker = subprocess.Popen(cmd, env=env, start_new_session=True)
    stopping = {"signal": None}

    def on_signal(signum, _frame):
        stopping["signal"] = signum
        try:
            worker.kill()
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = worker.wait()
    while code is None:
        code = worker.wait()
    if stopping["signal"] is not None:
        shutil.rmtree(staging, ignore_errors=True)
        report.error("CANCELLED", "Export cancelled; no pack was written.")
        return EXIT_CANCELLED
    if code != 0:
        shutil.rmtree(staging, ignore_errors=True)
        if code < 0:
            report.error("FAILED", f"The export worker was killed (signal {-code}); if memory ran out, free some and retry. No pack was written.")
            return EXIT_FAILED
        return code if code in CODE_FOR_EXIT else EXIT_FAILED
    try:
        if os.path.isdir(target):
            os.rmdir(target)  # empty, checked above
        os.rename(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        report.error("FAILED", f"Could not move the finished pack to {target}: {error}.", target)
        return EXIT_FAILED
    report.emit("done", packDir=target)
    return EXIT_OK


# --------------------------------------------------------------------------------------------------------------------
# Worker: everything that needs torch


class Progress:
    """Progress over the graphs, weighted by parameter count, with an ETA from the rate measured so far. A heartbeat
    thread repeats the current state every 2 s so the caller's ETA keeps moving during long native calls; it also ends
    the worker if the supervisor has gone."""

    def __init__(self, report, weights):
        self.report = report
        self.weights = weights  # graph -> relative cost
        self.total_weight = float(sum(weights.values())) or 1.0
        self.started = time.monotonic()
        self.done_weight = 0.0
        self.graph = None
        self.graph_started = None
        self.message = "starting"
        self.index = 0
        self.lock = threading.Lock()
        self.parent = os.getppid()
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def start_graph(self, graph, index, message):
        with self.lock:
            self.graph, self.index, self.graph_started, self.message = graph, index, time.monotonic(), message
        self.emit()

    def step(self, message):
        with self.lock:
            self.message = message
        self.emit()

    def finish_graph(self):
        with self.lock:
            self.done_weight += self.weights.get(self.graph, 0)
            self.graph_started = None
        self.emit()

    def emit(self):
        with self.lock:
            now = time.monotonic()
            elapsed = now - self.started
            current = 0.0
            if self.graph_started is not None and self.done_weight > 0:
                # Expected time of this graph from the rate of the finished ones; never claim it is done.
                rate = (self.graph_started - self.started) / self.done_weight
                expected = rate * self.weights.get(self.graph, 0)
                current = min(0.95, (now - self.graph_started) / expected) * self.weights.get(self.graph, 0) if expected > 0 else 0
            fraction = min(1.0, (self.done_weight + current) / self.total_weight)
            eta = None
            if self.done_weight > 0 and fraction > 0:
                eta = max(0.0, elapsed / fraction - elapsed)
            fields = dict(
                graph=self.graph or "",
                index=self.index,
                total=len(self.weights),
                fraction=round(fraction, 4),
                etaSeconds=None if eta is None else round(eta, 1),
                message=self.message,
            )
        self.report.emit("progress", **fields)

    def _heartbeat(self):
        while True:
            time.sleep(2.0)
            if os.getppid() != self.parent:
                os._exit(EXIT_CANCELLED)
            if self.graph_started is not None:
                self.emit()


def free_memory_bytes():
    """MemAvailable + SwapFree on Linux; None where it cannot be read."""
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                info[key] = int(value.split()[0]) * 1024
        return info.get("MemAvailable", info.get("MemFree", 0)) + info.get("SwapFree", 0)
    except (OSError, ValueError):
        return None


def peak_rss_bytes():
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    import resource

    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def work(args):
    report = Reporter(args.progress)
    staging = args.staging
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as error:
        report.error("FAILED", f"{sys.executable} cannot import {error.name}: install python3-torch, python3-onnx and python3-numpy.")
        return EXIT_FAILED
    from venhancer.checkpoints import CheckpointError
    from venhancer import pack_writer

    try:
        code = pack_writer.export(args, staging, report, Progress)
        report.log(f"Peak memory of the export: {peak_rss_bytes() / 1e9:.2f} GB (peakRssBytes={peak_rss_bytes()})")
        return code
    except CheckpointError as error:
        report.error("BAD_INPUT", str(error), error.file)
        return EXIT_BAD_INPUT
    except pack_writer.ResourceError as error:
        report.error("RESOURCES", str(error))
        return EXIT_RESOURCES
    except MemoryError:
        report.error("RESOURCES", "Out of memory while exporting. Close other programs (or add swap) and retry.")
        return EXIT_RESOURCES
    except OSError as error:
        if error.errno == 28:  # ENOSPC
            report.error("RESOURCES", f"The disk is full ({error.filename or staging}). Free space and retry.")
            return EXIT_RESOURCES
        raise


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        return work(args)
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main())
