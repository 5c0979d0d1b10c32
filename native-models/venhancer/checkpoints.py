"""Reading the three released files VEnhancer needs, with strict key matching.

- the VEnhancer checkpoint (``venhancer_v2.pt``) as released: ``torch.load``, an optional ``state_dict`` wrapper, no
  prefix stripped;
- the Stable Video Diffusion ``vae`` folder in diffusers layout: ``config.json`` (its architecture is checked) and
  ``diffusion_pytorch_model[.fp16].safetensors`` or ``.bin``; safetensors is read by our own small reader so no
  package beyond torch is needed;
- OpenCLIP's ``open_clip_pytorch_model.bin``, with its ``visual.*`` entries dropped (VEnhancer deletes the image tower).

Every refusal is a :class:`CheckpointError` naming the file, and says what was found and what to do.
"""

import json
import os
import struct
from collections import OrderedDict

import numpy as np
import torch


class CheckpointError(Exception):
    """A released file that cannot be used: the message names the file and what is wrong with it."""

    def __init__(self, message, file):
        super().__init__(message)
        self.file = file


# --------------------------------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw buffers.

_SAFETENSORS_DTYPES = {
    "F16": (np.dtype("<f2"), torch.float16),
    "F32": (np.dtype("<f4"), torch.float32),
    "BF16": (np.dtype("<u2"), torch.bfloat16),
}


def read_safetensors(path, header_only=False):
    """Returns an OrderedDict of CPU tensors, in the header's order (with ``header_only``, of their shapes: a cheap
    check that every tensor lies inside the file). Raises CheckpointError on a truncated or malformed file, or a
    dtype other than F16/F32/BF16."""
    size = _file_size(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path} is truncated: {size} bytes is too short for a safetensors file.", path)
        (header_len,) = struct.unpack("<Q", head)
        if header_len > size - 8 or header_len > 100_000_000:
            raise CheckpointError(
                f"{path} is not a valid safetensors file or is truncated: its header claims {header_len} bytes but "
                f"the file has {size}. Download it again.",
                path,
            )
        try:
            header = json.loads(f.read(header_len).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CheckpointError(f"{path} is not a valid safetensors file (its header is not JSON: {error}).", path)
        data_start = 8 + header_len
        data_size = size - data_start
        out = OrderedDict()
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype = info.get("dtype")
            if dtype not in _SAFETENSORS_DTYPES:
                raise CheckpointError(f"{path}: tensor {name} has dtype {dtype}; only F16, F32 and BF16 are supported.", path)
            np_dtype, torch_dtype = _SAFETENSORS_DTYPES[dtype]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
            count = int(np.prod(shape)) if shape else 1
            if end > data_size:
                raise CheckpointError(
                    f"{path} is truncated: tensor {name} ends at byte {data_start + end} but the file has {size} bytes. "
                    "Download it again.",
                    path,
                )
            if end - begin != count * np_dtype.itemsize or begin < 0:
                raise CheckpointError(f"{path}: tensor {name} has {end - begin} bytes for shape {shape} {dtype}.", path)
            if header_only:
                out[name] = tuple(shape)
                continue
            f.seek(data_start + begin)
            array = np.frombuffer(f.read(end - begin), dtype=np_dtype).reshape(shape).copy()
            if dtype == "BF16":
                tensor = torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
            else:
                tensor = torch.from_numpy(array.astype(np_dtype.newbyteorder("=")))
            out[name] = tensor
    return out


# --------------------------------------------------------------------------------------------------------------------
# torch.load with clear refusals


def _file_size(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist. Check the path.", path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path} is not a file.", path)
    if st.st_size == 0:
        raise CheckpointError(f"{path} is empty. Download it again.", path)
    return st.st_size


def torch_load(path, what):
    """torch.load on CPU; a truncated or non-PyTorch file becomes a CheckpointError naming it."""
    _file_size(path)
    try:
        return torch.load(path, map_location="cpu")
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError, ImportError, ModuleNotFoundError) as error:
        message = str(error).split("\n")[0]
        if any(s in message for s in ("central directory", "failed reading", "unexpected EOF", "Ran out of input", "truncated")) or isinstance(error, EOFError):
            raise CheckpointError(f"{path} is truncated or damaged ({message}). Download {what} again.", path)
        raise CheckpointError(f"{path} cannot be read as a PyTorch file ({message}). Is it {what}?", path)
    except Exception as error:  # pickle errors have no common base we can name under every torch version
        raise CheckpointError(f"{path} cannot be read as a PyTorch file ({type(error).__name__}: {error}). Is it {what}?", path)


def precheck_torch_file(path, what):
    """Cheap truncation check before any long work: PyTorch files (since 1.6) are zip archives, whose central
    directory sits at the end, and each member must lie inside the file."""
    size = _file_size(path)
    import zipfile

    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        return  # the legacy pickle format: torch.load will tell
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.header_offset + info.compress_size > size:
                    raise zipfile.BadZipFile(f"member {info.filename} runs past the end")
    except zipfile.BadZipFile as error:
        raise CheckpointError(f"{path} is truncated or damaged ({error}). Download {what} again.", path)


def describe_keys(keys):
    """A short guess of what model a state dict belongs to, for refusals."""
    keys = list(keys)
    has = lambda prefix: any(k.startswith(prefix) for k in keys)  # noqa: E731
    guesses = []
    if has("model.diffusion_model."):
        guesses.append("a Stable Diffusion (LDM) checkpoint")
    if has("visual.") and has("transformer.resblocks."):
        guesses.append("an OpenCLIP model")
    if has("encoder.down_blocks.") or has("decoder.up_blocks."):
        guesses.append("a diffusers VAE")
    if has("down_blocks.") and has("up_blocks.") and has("conv_in."):
        guesses.append("a diffusers UNet")
    if has("module."):
        guesses.append("a model saved with a 'module.' prefix (DataParallel)")
    if has("input_blocks.") and has("output_blocks.") and not has("control"):
        guesses.append("a UNet without VEnhancer's video ControlNet")
    sample = ", ".join(keys[:3])
    what = guesses[0] if guesses else "another model"
    return f"{what} ({len(keys)} entries, e.g. {sample})"


def match_state_dict(expected, found, path, what, max_listed=5):
    """Strict key matching: ``expected`` is the module's state_dict (names -> tensors, possibly on the meta device),
    ``found`` the file's. Raises CheckpointError naming the file and the first keys that are missing, extra or
    misshapen; when most keys differ, says what the file looks like instead."""
    expected_keys = set(expected.keys())
    found_keys = set(found.keys())
    common = expected_keys & found_keys
    if len(common) < 0.5 * len(expected_keys):
        raise CheckpointError(
            f"{path} is not {what}: it shares {len(common)} of {len(expected_keys)} expected entries and looks like "
            f"{describe_keys(found.keys())}. Give {what}.",
            path,
        )
    missing = [k for k in expected.keys() if k not in found_keys]
    extra = [k for k in found.keys() if k not in expected_keys]
    misshapen = [
        f"{k} is {list(found[k].shape)}, expected {list(expected[k].shape)}"
        for k in expected.keys()
        if k in found_keys and tuple(found[k].shape) != tuple(expected[k].shape)
    ]
    problems = []
    for label, items in (("missing", missing), ("unexpected", extra), ("misshapen", misshapen)):
        if items:
            listed = "; ".join(items[:max_listed]) + (f" and {len(items) - max_listed} more" if len(items) > max_listed else "")
            problems.append(f"{len(items)} {label} key(s): {listed}")
    if problems:
        raise CheckpointError(f"{path} does not match {what}: " + ". ".join(problems) + ".", path)
    for k, v in found.items():
        if not torch.is_floating_point(v):
            raise CheckpointError(f"{path}: {k} has dtype {v.dtype}; expected floating-point weights.", path)


# --------------------------------------------------------------------------------------------------------------------
# The three files


VENHANCER_WHAT = "the VEnhancer checkpoint (venhancer_v2.pt or venhancer_paper.pt from jwhejwhe/VEnhancer)"
VAE_WHAT = "the SVD 'vae' folder (stabilityai/stable-video-diffusion-img2vid, subfolder vae)"
CLIP_WHAT = "open_clip_pytorch_model.bin of laion/CLIP-ViT-H-14-laion2B-s32B-b79K"


def load_venhancer_checkpoint(path, expected):
    """The denoiser's state dict from the released checkpoint, matched strictly against ``expected``."""
    obj = torch_load(path, VENHANCER_WHAT)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        kind = type(obj).__name__
        raise CheckpointError(f"{path} is not {VENHANCER_WHAT}: it holds a {kind}, not a state dict of tensors.", path)
    match_state_dict(expected, obj, path, VENHANCER_WHAT)
    return obj


# The SVD VAE's architecture (AutoencoderKLTemporalDecoder). Only these config entries decide the weights' shapes and
# the graph; others (sample_size, force_upcast) do not.
SVD_VAE_ARCHITECTURE = {
    "_class_name": "AutoencoderKLTemporalDecoder",
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
}

VAE_WEIGHT_NAMES = (
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.fp16.safetensors",
    "diffusion_pytorch_model.bin",
    "diffusion_pytorch_model.fp16.bin",
)


def read_vae_config(folder, expected_arch=None):
    """config.json of the diffusers VAE folder, refused unless it is the SVD temporal VAE (or ``expected_arch``)."""
    if not os.path.isdir(folder):
        raise CheckpointError(f"{folder} is not a folder: give {VAE_WHAT}, the folder holding config.json.", folder)
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise CheckpointError(f"{folder} has no config.json: give {VAE_WHAT}.", folder)
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{config_path} is not valid JSON ({error}).", config_path)
    arch = dict(SVD_VAE_ARCHITECTURE)
    if expected_arch:
        arch.update(expected_arch)
    wrong = [f"{k} is {json.dumps(config.get(k))}, expected {json.dumps(v)}" for k, v in arch.items() if config.get(k) != v]
    if wrong:
        raise CheckpointError(
            f"{config_path} describes a VAE of another architecture ({'; '.join(wrong)}). VEnhancer needs {VAE_WHAT}.",
            config_path,
        )
    return config


def vae_weights_file(folder):
    """The folder's weight file, in diffusers' order of preference."""
    for name in VAE_WEIGHT_NAMES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise CheckpointError(f"{folder} has no weights: expected one of {', '.join(VAE_WEIGHT_NAMES)}.", folder)


def precheck_vae_folder(folder, expected_arch=None):
    """Cheap refusals before any long work: the architecture in config.json, and a weight file that is complete."""
    config = read_vae_config(folder, expected_arch)
    path = vae_weights_file(folder)
    if path.endswith(".safetensors"):
        read_safetensors(path, header_only=True)
    else:
        precheck_torch_file(path, VAE_WHAT)
    return config


def load_vae_folder(folder, expected, expected_arch=None):
    """(config, state dict) of the diffusers VAE folder, matched strictly against ``expected``."""
    config = read_vae_config(folder, expected_arch)
    path = vae_weights_file(folder)
    if path.endswith(".safetensors"):
        state = read_safetensors(path)
    else:
        state = torch_load(path, VAE_WHAT)
        if not isinstance(state, dict):
            raise CheckpointError(f"{path} holds a {type(state).__name__}, not a state dict.", path)
    match_state_dict(expected, state, path, VAE_WHAT)
    return config, state


def load_clip_text(path, expected):
    """The text tower's state dict from OpenCLIP's file: ``visual.*`` dropped, the rest matched strictly."""
    obj = torch_load(path, CLIP_WHAT)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} is not {CLIP_WHAT}: it holds a {type(obj).__name__}.", path)
    if not any(k.startswith("visual.") for k in obj) and not any(k.startswith("transformer.") for k in obj):
        raise CheckpointError(f"{path} is not {CLIP_WHAT}: it looks like {describe_keys(obj.keys())}.", path)
    text = OrderedDict((k, v) for k, v in obj.items() if not k.startswith("visual."))
    match_state_dict(expected, text, path, CLIP_WHAT)
    return text
